//! Providers: where a request goes, how its body is encoded for the provider, how the answer
//! is decoded back to OpenAI's shape, and how a stream is translated.
//!
//! One folder per provider with the same file roles (`mod.rs`, `wire.rs`, `encode.rs`,
//! `decode.rs`, `stream.rs`); the OpenAI-compatible family is one implementation driven by a
//! table of profiles (`openai_compat/profiles.rs`). [`for_name`] is the one dispatch point.

pub mod anthropic;
pub mod bedrock;
pub mod cohere;
pub mod gemini;
pub mod huggingface;
pub mod ollama;
pub mod openai_compat;

use serde_json::Value;

use crate::api::{LlmRequest, LlmResponse, RouteType};
use crate::config::{ModelOptions, ProviderName};
use crate::env::Env;
use crate::error::{ProxyError, TranslateError};
use crate::stream::{Framing, ProviderStream};

/// Upstream addressing lives in [`crate::upstream`] (below `config`, which validates
/// `upstream_url` with it); re-exported here for the providers that name it.
pub use crate::upstream::{Scheme, UpstreamTarget};

/// What a provider needs to know about one request.
pub struct RequestCtx<'a> {
    /// Route type of the config.
    pub route: RouteType,
    /// The resolved model name (config or request).
    pub model: &'a str,
    /// `model.options` after templating.
    pub options: &'a ModelOptions,
    /// Whether the upstream is asked to stream.
    pub stream: bool,
    /// The client's request path (without query).
    pub client_path: &'a str,
    /// Clock and ids.
    pub env: &'a dyn Env,
    /// The client body's length in bytes: [`json_body`] sizes the provider body's buffer with
    /// it (0 when unknown).
    pub body_len: usize,
}

/// What a provider needs to know about one answer.
pub struct ResponseCtx<'a> {
    /// Route type of the config.
    pub route: RouteType,
    /// The model the request was sent for.
    pub model: &'a str,
    /// `model.options` after templating.
    pub options: &'a ModelOptions,
    /// Whether the answer is a stream.
    pub stream: bool,
    /// Clock and ids.
    pub env: &'a dyn Env,
}

/// An encoded provider request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Encoded {
    /// The body to send (JSON).
    pub body: Vec<u8>,
    /// Headers to set on the upstream request (e.g. `anthropic-version`).
    pub headers: Vec<(String, String)>,
}

/// The outgoing request as it will be sent, for providers that sign it (Bedrock SigV4).
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Where it goes (query includes everything that will be sent).
    pub target: &'a UpstreamTarget,
    /// Headers that will be sent and that the signature may cover.
    pub headers: &'a [(String, String)],
    /// Body bytes.
    pub body: &'a [u8],
}

/// Credentials a signing provider needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Credentials<'a> {
    /// AWS access key id.
    pub aws_access_key_id: Option<&'a str>,
    /// AWS secret.
    pub aws_secret_access_key: Option<&'a str>,
    /// AWS session token.
    pub aws_session_token: Option<&'a str>,
}

/// A decoded answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Decoded {
    /// Translated into OpenAI's shape; the shell writes the new body.
    Translated(LlmResponse),
    /// The provider already speaks OpenAI's format: the body goes out unchanged.
    Unchanged,
}

/// How a streamed answer is handled.
pub enum StreamPlan {
    /// The provider streams OpenAI chunks already: bytes go through (usage is still read).
    Passthrough,
    /// Frames are decoded with `framing` and translated by `translator`.
    Translate {
        /// The upstream framing.
        framing: Framing,
        /// Fresh per-stream translator.
        translator: Box<dyn ProviderStream>,
    },
}

/// Serialises a provider body into a buffer allocated once, sized from the client body: a
/// translated body is about as long as the one it came from, and a buffer grown by doubling
/// would hold up to twice the body at its last step (peak memory per request,
/// docs/performance.md).
pub(crate) fn json_body<T: serde::Serialize + ?Sized>(
    value: &T,
    ctx: &RequestCtx<'_>,
) -> Result<Vec<u8>, ProxyError> {
    let mut out = Vec::with_capacity(ctx.body_len + ctx.body_len / 8 + 256);
    serde_json::to_writer(&mut out, value)
        .map_err(|e| ProxyError::Internal(format!("encoding failed: {e}")))?;
    Ok(out)
}

/// What a provider's encoder reads of the client's request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// Only the typed request: it is built from the parsed body itself (each string moves, the
    /// tree's nodes are freed as they are read) and `encode` gets `Value::Null`.
    Typed,
    /// Only the parsed body (forwarded with a few fields edited): [`Provider::encode_raw`]
    /// runs first, then the typed request is built from the same tree.
    Raw,
    /// Both: the typed request is built from a copy of the parsed body.
    Both,
}

/// One provider. Implementations are stateless unit values shared by every request.
pub trait Provider: Sync {
    /// Kong's provider name.
    fn name(&self) -> ProviderName;

    /// Whether the route type is in the capability matrix for this provider.
    fn supports(&self, route: RouteType) -> bool;

    /// Whether the provider can stream this route type.
    fn supports_stream(&self, route: RouteType) -> bool;

    /// Where the request goes (before `upstream_url` overrides, which the exchange applies).
    fn upstream(&self, ctx: &RequestCtx<'_>) -> Result<UpstreamTarget, ProxyError>;

    /// Encodes the client's request. `raw` is the client's JSON body (with model and option
    /// defaults already applied), for providers that forward it mostly unchanged.
    fn encode(
        &self,
        req: &LlmRequest,
        raw: Value,
        ctx: &RequestCtx<'_>,
    ) -> Result<Encoded, ProxyError>;

    /// What the encoder reads of the client's request; it decides how many copies of the body
    /// a request holds at once (peak memory per request, docs/performance.md).
    fn reads(&self) -> Reads {
        Reads::Both
    }

    /// Encodes the client's own JSON body, edited in place, for a provider whose
    /// [`Provider::reads`] is [`Reads::Raw`]: the exchange calls it before the typed request
    /// is built, and the typed request then takes the edited tree's strings.
    fn encode_raw(&self, _raw: &mut Value, _ctx: &RequestCtx<'_>) -> Result<Encoded, ProxyError> {
        Err(ProxyError::Internal(format!(
            "{} encodes from the typed request",
            self.name().as_str()
        )))
    }

    /// Decodes a 2xx non-streamed answer.
    fn decode(&self, body: &[u8], ctx: &ResponseCtx<'_>) -> Result<Decoded, TranslateError>;

    /// How a streamed 2xx answer is handled.
    fn stream(&self, ctx: &ResponseCtx<'_>) -> StreamPlan;

    /// Headers every request needs, also when the body is not translated (`preserve`,
    /// multipart), e.g. `anthropic-version`; default none.
    fn fixed_headers(&self, _ctx: &RequestCtx<'_>) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Headers to add after everything else is final (SigV4 signing); default none.
    fn sign(
        &self,
        _out: &Outgoing<'_>,
        _creds: &Credentials<'_>,
        _ctx: &RequestCtx<'_>,
    ) -> Result<Vec<(String, String)>, ProxyError> {
        Ok(Vec::new())
    }
}

/// The provider implementation for a config's `model.provider`.
pub fn for_name(name: ProviderName, options: &ModelOptions) -> &'static dyn Provider {
    use crate::config::schema::{Llama2Format, MistralFormat};
    match name {
        ProviderName::Anthropic => &anthropic::Anthropic,
        ProviderName::Bedrock => &bedrock::Bedrock,
        ProviderName::Cohere => &cohere::Cohere,
        ProviderName::Gemini => &gemini::Gemini,
        ProviderName::Huggingface => &huggingface::Huggingface,
        ProviderName::Ollama => &ollama::OLLAMA,
        ProviderName::Mistral => match options.mistral_format {
            Some(MistralFormat::Ollama) => &ollama::MISTRAL,
            _ => openai_compat::for_name(name),
        },
        ProviderName::Llama2 => match options.llama2_format {
            Some(Llama2Format::Ollama) => &ollama::LLAMA2,
            Some(Llama2Format::Raw) => &ollama::LLAMA2_RAW,
            _ => openai_compat::for_name(name),
        },
        _ => openai_compat::for_name(name),
    }
}
