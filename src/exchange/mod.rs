//! The per-request state machine, host-free. The shell feeds it what the host delivers
//! (request head, request body, response head, response body chunks) and applies the plain
//! data it returns ([`effects`]). One [`Exchange`] per HTTP context.
//!
//! Order of request checks follows Kong's normalize-request (docs/kong-compatibility.md §3.1):
//! templates → prompts present → model pinning → model present → shape → streaming →
//! translation → body auth → target and header auth → signing.

mod anthropic;
mod chunks;
pub mod effects;
mod forward;
mod native;
pub mod pending;
mod request;
mod response;
mod routed;
mod videos;

use std::rc::Rc;

use serde_json::Value;

use crate::analytics::metrics::ErrorClass;
use crate::analytics::{redact::Secrets, Analytics, Summary};
use crate::api::RouteType;
use crate::config::{Config, ModelOptions};
use crate::env::Env;
use crate::providers::{self, Provider, StreamPlan};
use crate::stream::{emitter::ChunkEmitter, FrameDecoder, ProviderStream};

pub use effects::{
    BodySignal, BodyStep, CallAnswer, HeadStep, HostCall, LocalReply, RequestEdits, RequestHead,
    ResponseHeadEdits,
};
pub use pending::{PendingAuth, PendingRequest};
pub use request::body_follows;

/// What the filter knows about the client request after its head.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientRequest {
    /// Method.
    pub method: String,
    /// Path without query.
    pub path: String,
    /// Raw query string (without `?`).
    pub query: String,
    /// Headers, names lowercased.
    pub headers: Vec<(String, String)>,
    /// Client accepts gzip (word match, like Kong).
    pub accepts_gzip: bool,
    /// Named captures of the `uri_captures` regex.
    pub captures: Vec<(String, String)>,
    /// Multipart body: forwarded byte for byte.
    pub multipart: bool,
}

impl ClientRequest {
    /// A header value (names are stored lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Where the response side is.
pub(crate) enum ResponseMode {
    /// Not decided yet (before response headers).
    Pending,
    /// Bytes go through unchanged. For analytics (`log_statistics`), a non-streamed body is
    /// kept to read its usage at the end, and a stream is translated in the shadow (its
    /// output discarded) to gather the provider's usage.
    Passthrough {
        /// Keep a copy of the body for usage extraction (non-stream only).
        keep: bool,
        /// The body seen so far (when `keep`).
        seen: Vec<u8>,
        /// Shadow translation of a stream, for its usage.
        shadow: Option<Box<StreamState>>,
    },
    /// Whole body buffered, then translated.
    Buffer {
        /// The body so far.
        body: Vec<u8>,
        /// Upstream body is gzip.
        gzip: bool,
        /// Upstream status is 2xx (translate) or not (only inflate).
        translate: bool,
    },
    /// Frames decoded and translated chunk by chunk.
    Translate(Box<StreamState>),
    /// Finished.
    Done,
}

/// Per-stream translation state.
pub(crate) struct StreamState {
    pub inflater: Option<crate::stream::gzip::GzipInflater>,
    pub decoder: Box<dyn FrameDecoder>,
    pub translator: Box<dyn ProviderStream>,
    pub emitter: ChunkEmitter,
    /// The Anthropic writer when the client speaks Anthropic (the chunk emitter then only
    /// gathers usage and analytics).
    pub messages: Option<anthropic::stream::MessagesEmitter>,
    /// Events of the current chunk (kept to reuse its allocation from chunk to chunk).
    pub events: Vec<crate::stream::StreamEvent>,
}

/// One request through the filter.
pub struct Exchange {
    cfg: Rc<Config>,
    env: Rc<dyn Env>,
    provider: &'static dyn Provider,
    client: ClientRequest,
    /// `model.options` after templating.
    options: ModelOptions,
    /// The resolved model name (config, template, or request).
    model: Option<String>,
    route: RouteType,
    stream: bool,
    include_usage: bool,
    /// The request body was translated (JSON routes). The typed request itself is dropped once
    /// encoded: an exchange waiting on the upstream holds none of the body (docs/performance.md).
    translated: bool,
    /// An embeddings request asked for `encoding_format: base64`.
    base64_embeddings: bool,
    /// The client body's length (sizes the encoded body's buffer).
    body_len: usize,
    started_ms: u64,
    status: u16,
    response: ResponseMode,
    analytics: Analytics,
    plan: Option<StreamPlanKind>,
    /// A passed-through OpenAI stream: its last bytes, to see whether it ended with
    /// `data: [DONE]` (docs/hostile-input.md: a cut stream ends with an error and `[DONE]`).
    stream_tail: Option<Vec<u8>>,
    /// The client speaks the provider's native API (`llm_format` ≠ `openai`): pass-through.
    native: bool,
    /// `llm/v1/responses` on a chat-only provider: served as chat, answered as Responses.
    responses_ingress: bool,
    /// The stream converter of a Responses-over-chat stream.
    responses_stream: Option<crate::ingress::responses::ChatToResponses>,
    /// An image request translated to a provider's own image API (and its answer back), with
    /// the client's `response_format: "url"`.
    image_api: Option<(crate::routes::images::ImageApi, bool)>,
    /// A video job request translated for Veo, and how its answer is read.
    video: Option<videos::VideoAnswer>,
    /// The cloud identity credential, set by the shell when the token cache has one.
    identity: Option<crate::auth::identity::Credential>,
    /// The request was built without its identity credential: how to apply it later.
    pending: Option<PendingAuth>,
    /// The config's credentials come from a cloud identity endpoint (set by the shell).
    identity_required: bool,
    /// The client speaks Anthropic's Messages API to another provider ([`anthropic`]).
    ingress: bool,
    /// What that request needs beyond the canonical model.
    hints: anthropic::request::Hints,
    /// That client asked `…/messages/count_tokens`, served by the provider's counting API.
    count_tokens: bool,
    /// A reply decided at the head, sent once the client's body is read (and dropped).
    deferred: Option<LocalReply>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamPlanKind {
    Passthrough,
    Translate,
}

impl Exchange {
    /// A fresh exchange for one request.
    pub fn new(cfg: Rc<Config>, env: Rc<dyn Env>) -> Exchange {
        let options = cfg.raw.model.options.clone().unwrap_or_default();
        let provider = providers::for_name(cfg.provider(), &options);
        let responses_ingress = responses_via_chat(cfg.raw.route_type, provider);
        let route = if responses_ingress {
            RouteType::Chat
        } else {
            cfg.raw.route_type
        };
        let ingress = anthropic::applies(&cfg);
        let native = cfg.raw.llm_format != crate::config::LlmFormat::Openai && !ingress;
        Exchange {
            cfg,
            env,
            provider,
            client: ClientRequest::default(),
            options,
            model: None,
            route,
            stream: false,
            include_usage: false,
            translated: false,
            base64_embeddings: false,
            body_len: 0,
            started_ms: 0,
            status: 0,
            response: ResponseMode::Pending,
            analytics: Analytics::default(),
            plan: None,
            stream_tail: None,
            native,
            responses_ingress,
            responses_stream: None,
            image_api: None,
            video: None,
            identity: None,
            pending: None,
            identity_required: false,
            ingress,
            hints: Default::default(),
            count_tokens: false,
            deferred: None,
        }
    }

    /// Requests need a credential from a cloud identity endpoint (the config has an
    /// [`IdentitySpec`](crate::auth::identity::IdentitySpec)): without one set by
    /// [`Exchange::set_identity`], edits are built without auth and [`Exchange::take_pending`]
    /// keeps what is left to do.
    pub fn require_identity(&mut self) {
        self.identity_required = true;
    }

    /// The cloud identity credential for this request (from the root context's cache).
    pub fn set_identity(&mut self, cred: crate::auth::identity::Credential) {
        self.identity = Some(cred);
    }

    /// When the last edits were built without the identity credential (none was set): the
    /// work left for when it arrives.
    pub fn take_pending(&mut self, edits: &RequestEdits) -> Option<PendingRequest> {
        let auth = self.pending.take()?;
        Some(PendingRequest {
            edits: edits.clone(),
            auth,
            format: self.cfg.raw.llm_format,
        })
    }

    /// The provider serving this exchange.
    pub fn provider(&self) -> &'static dyn Provider {
        self.provider
    }

    /// Whether the response is streamed.
    pub fn is_stream(&self) -> bool {
        self.stream
    }

    /// Whether the response body is buffered whole before it goes out (the shell may let the
    /// host buffer it, e.g. Envoy's StopIterationAndBuffer).
    pub fn buffers_response(&self) -> bool {
        matches!(self.response, ResponseMode::Buffer { .. })
    }

    /// The analytics facts, once the response is complete (`None` when
    /// `logging.log_statistics` is off: no record, no GenAI attributes, no metrics).
    pub fn summary(&self) -> Option<Summary<'_>> {
        if !self.cfg.raw.logging.log_statistics {
            return None;
        }
        Some(
            self.analytics
                .summary(self.cfg.provider().as_str(), self.route),
        )
    }

    /// Kong's `ai.proxy` record for a summary of this exchange.
    pub fn analytics_record(&self, s: &Summary<'_>) -> Value {
        self.analytics.to_json(s, self.cfg.raw.logging.log_payloads)
    }

    /// The record as JSON text (what the filter logs and publishes).
    pub fn analytics_text(&self, s: &Summary<'_>) -> String {
        self.analytics.to_text(s, self.cfg.raw.logging.log_payloads)
    }

    /// The analytics record, once the response is complete (`None` when
    /// `logging.log_statistics` is off).
    pub fn analytics_json(&self) -> Option<Value> {
        self.summary().map(|s| self.analytics_record(&s))
    }

    /// Why the request failed, when it did (upstream status or translation).
    pub fn error_class(&self) -> Option<ErrorClass> {
        self.analytics.error
    }

    /// Whether analytics (record, GenAI attributes, metrics) are gathered.
    pub fn observes(&self) -> bool {
        self.cfg.raw.logging.log_statistics
    }

    /// The provider's Kong name and the route type (metric labels).
    pub fn labels(&self) -> (&'static str, RouteType) {
        (self.cfg.provider().as_str(), self.route)
    }

    /// The model known so far (metric label of a local reply), if any.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// `ai.proxy.meta.plugin_id`: the host's name for this plugin instance.
    pub fn set_plugin_id(&mut self, id: Option<String>) {
        self.analytics.plugin_id = id;
    }

    /// A body as `log_payloads` may record it: credentials redacted.
    fn payload_log(&self, body: &[u8]) -> String {
        let secrets = match &self.cfg.raw.auth {
            Some(auth) => Secrets::from_auth(auth),
            None => Secrets::default(),
        };
        secrets.redact(body)
    }

    fn stream_plan(&self) -> StreamPlan {
        let ctx = crate::providers::ResponseCtx {
            route: self.route,
            model: self.model.as_deref().unwrap_or(""),
            options: &self.options,
            stream: self.stream,
            env: self.env.as_ref(),
        };
        self.provider.stream(&ctx)
    }
}

/// Checks that cannot be expressed in the config schema: the provider must serve the route
/// type (docs/kong-compatibility.md §1), and native formats are not implemented yet.
pub fn check_config(cfg: &Config) -> Result<(), String> {
    crate::auth::identity::IdentitySpec::from_config(&cfg.raw).map_err(|e| e.to_string())?;
    let options = cfg.raw.model.options.clone().unwrap_or_default();
    let provider = providers::for_name(cfg.provider(), &options);
    let route = cfg.raw.route_type;
    let vertex = providers::gemini::vertex(&options).is_some();
    if route != RouteType::Preserve
        && !provider.supports(route)
        && !responses_via_chat(route, provider)
        && crate::routes::refusal(cfg.provider(), route, vertex).is_none()
    {
        return Err(format!(
            "route_type '{}' is not supported by provider '{}'",
            route.as_str(),
            cfg.provider().as_str()
        ));
    }
    if cfg.raw.response_streaming == crate::config::ResponseStreaming::Always
        && matches!(route, RouteType::Chat | RouteType::Completions)
        && !provider.supports_stream(route)
    {
        return Err(format!(
            "response_streaming 'always': provider '{}' cannot stream {}",
            cfg.provider().as_str(),
            route.as_str()
        ));
    }
    Ok(())
}

/// Whether `llm/v1/responses` is served by translating to the provider's chat API (the
/// provider has no Responses API of its own but serves chat).
pub fn responses_via_chat(route: RouteType, provider: &dyn Provider) -> bool {
    route == RouteType::Responses
        && !provider.supports(RouteType::Responses)
        && provider.supports(RouteType::Chat)
}
