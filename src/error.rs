//! Every failure a client can see: its HTTP status and Kong's exact text
//! (docs/kong-compatibility.md §3.2). One mapping from error to local reply, in [`ProxyError::body`].

use std::fmt;

use crate::format::LlmFormat;

/// Kong's texts, as named constants.
pub mod text {
    /// Body is not the JSON the route expects (docs/kong-compatibility.md §3.3).
    pub const BAD_JSON: &str =
        "content-type header does not match request body, or bad JSON formatting";
    /// Chat/completions body with neither `messages` nor `prompt`.
    pub const NO_PROMPTS: &str = "request body doesn't contain valid prompts";
    /// Both `messages` and `prompt`.
    pub const MULTIPLE_FORMATS: &str = "request matches multiple LLM request formats";
    /// No model anywhere.
    pub const NO_MODEL: &str = "model parameter not found in request, nor in gateway configuration";
    /// `stream: true` under `response_streaming: deny`.
    pub const STREAMING_DENIED: &str = "response streaming is not enabled for this LLM";
    /// Request body over `max_request_body_size`.
    pub const BODY_TOO_LARGE: &str = "request body is too large";
    /// Cloud identity failed before proxying.
    pub const FAILED_BEFORE_PROXYING: &str = "LLM request failed before proxying";
    /// A model that would not stay one path segment (`..`, empty segments; this filter's text,
    /// docs/hostile-input.md).
    pub const MODEL_NOT_IN_PATH: &str = "model name cannot be used in the upstream URL path";
    /// A Vertex project or location that would not stay one path segment (this filter's text).
    pub const VALUE_NOT_IN_PATH: &str =
        "model.options.gemini value cannot be used in the upstream URL path";
}

/// A client-visible failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyError {
    /// 400 with a message.
    BadRequest(String),
    /// 413: the body is over `max_request_body_size`.
    PayloadTooLarge,
    /// 500 `transformation failed from type <provider>://<route>: <reason>`.
    Transformation {
        /// Provider string.
        provider: &'static str,
        /// Route type string.
        route: &'static str,
        /// Why.
        reason: String,
    },
    /// 500 with a message (e.g. `LLM request failed before proxying`).
    Internal(String),
    /// The credential could not be had from the cloud identity endpoint: 502 (it answered an
    /// error) or 503 (it did not answer), with Kong's text and the endpoint's reason.
    Identity {
        /// 502 or 503.
        status: u16,
        /// The reason, naming the endpoint (never a secret).
        reason: String,
    },
    /// A reply of the filter's own with its status and message: 409 (the resource is not in a
    /// state the call can be served in), 502 (the provider's answer cannot be used), 503 (the
    /// provider did not answer a call the filter made itself).
    Gateway {
        /// The status.
        status: u16,
        /// The message (never a secret).
        message: String,
    },
}

impl ProxyError {
    /// Shorthand for a 400.
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ProxyError::BadRequest(msg.into())
    }

    /// HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ProxyError::BadRequest(_) => 400,
            ProxyError::PayloadTooLarge => 413,
            ProxyError::Transformation { .. } | ProxyError::Internal(_) => 500,
            ProxyError::Identity { status, .. } | ProxyError::Gateway { status, .. } => *status,
        }
    }

    /// The message text.
    pub fn message(&self) -> String {
        match self {
            ProxyError::BadRequest(m)
            | ProxyError::Internal(m)
            | ProxyError::Gateway { message: m, .. } => m.clone(),
            ProxyError::PayloadTooLarge => text::BODY_TOO_LARGE.to_string(),
            ProxyError::Transformation {
                provider,
                route,
                reason,
            } => format!("transformation failed from type {provider}://{route}: {reason}"),
            ProxyError::Identity { reason, .. } => {
                format!("{}: {reason}", text::FAILED_BEFORE_PROXYING)
            }
        }
    }

    /// JSON body in the client's format: `{"error":{"message":…}}` (OpenAI shape) or the
    /// Anthropic error shape for `llm_format: anthropic` (docs/kong-compatibility.md §3.2).
    pub fn body(&self, format: LlmFormat) -> Vec<u8> {
        let message = self.message();
        let value = match format {
            LlmFormat::Anthropic => serde_json::json!({
                "type": "error",
                "error": {"type": anthropic_error_type(self.status()), "message": message},
            }),
            _ => serde_json::json!({"error": {"message": message}}),
        };
        serde_json::to_vec(&value).unwrap_or_default()
    }
}

fn anthropic_error_type(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        413 => "request_too_large",
        503 => "overloaded_error",
        _ => "api_error",
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status(), self.message())
    }
}

/// A failure to translate between the client's format and the provider's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TranslateError(pub String);

impl TranslateError {
    /// Builds one from any message.
    pub fn new(msg: impl Into<String>) -> Self {
        TranslateError(msg.into())
    }
}

impl fmt::Display for TranslateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<serde_json::Error> for TranslateError {
    fn from(e: serde_json::Error) -> Self {
        TranslateError(e.to_string())
    }
}
