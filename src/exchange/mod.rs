//! The per-request state machine, host-free. The shell feeds it what the host delivers
//! (request head, request body, response head, response body chunks) and applies the plain
//! data it returns ([`effects`]). One [`Exchange`] per HTTP context.
//!
//! Order of request checks follows Kong's normalize-request (kong-translation.md §2.3):
//! templates → prompts present → model pinning → model present → shape → streaming →
//! translation → body auth → target and header auth → signing.

pub mod effects;
mod native;
mod request;
mod response;

use std::rc::Rc;

use serde_json::Value;

use crate::analytics::Analytics;
use crate::api::{LlmRequest, RouteType};
use crate::config::{Config, ModelOptions};
use crate::env::Env;
use crate::providers::{self, Provider, StreamPlan};
use crate::stream::{emitter::ChunkEmitter, FrameDecoder, ProviderStream};

pub use effects::{
    BodySignal, BodyStep, HeadStep, LocalReply, RequestEdits, RequestHead, ResponseHeadEdits,
};

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
    /// The parsed request (JSON routes).
    request: Option<LlmRequest>,
    /// The upstream body as sent (for `log_payloads`).
    sent_body: Option<Vec<u8>>,
    started_ms: u64,
    status: u16,
    response: ResponseMode,
    analytics: Analytics,
    plan: Option<StreamPlanKind>,
    /// The client speaks the provider's native API (`llm_format` ≠ `openai`): pass-through.
    native: bool,
    /// The client's body, for signing a pass-through request (Bedrock native / preserve).
    original_body: Option<Vec<u8>>,
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
        let route = cfg.raw.route_type;
        let native = cfg.raw.llm_format != crate::config::LlmFormat::Openai;
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
            request: None,
            sent_body: None,
            started_ms: 0,
            status: 0,
            response: ResponseMode::Pending,
            analytics: Analytics::default(),
            plan: None,
            native,
            original_body: None,
        }
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

    /// The analytics record, once the response is complete (`None` when
    /// `logging.log_statistics` is off).
    pub fn analytics_json(&self) -> Option<Value> {
        if !self.cfg.raw.logging.log_statistics {
            return None;
        }
        Some(self.analytics.to_json(
            self.cfg.provider().as_str(),
            self.cfg.raw.logging.log_payloads,
        ))
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
/// type (kong-ai-proxy.md §3.1), and native formats are not implemented yet.
pub fn check_config(cfg: &Config) -> Result<(), String> {
    let options = cfg.raw.model.options.clone().unwrap_or_default();
    let provider = providers::for_name(cfg.provider(), &options);
    let route = cfg.raw.route_type;
    if route != RouteType::Preserve && !provider.supports(route) {
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
