//! The OpenAI wire model: the canonical format the client speaks with `llm_format: openai`
//! (docs/kong-compatibility.md §3.6). Every provider encodes from and decodes to these types.
//!
//! Unions are typed enums; floats are `f64`; only the top-level request structs carry an
//! `extra` map (`#[serde(flatten)]`) so fields we do not model pass through to OpenAI-format
//! upstreams unchanged.

pub mod chat;
pub mod chunk;
pub mod completions;
pub mod embeddings;
pub mod usage;

use serde::{Deserialize, Serialize};

pub use chat::{ChatRequest, ChatResponse};
pub use completions::{CompletionsRequest, CompletionsResponse};
pub use embeddings::{EmbeddingsRequest, EmbeddingsResponse};
pub use usage::Usage;

/// `config.route_type` values (Kong's 3.14 enum, docs/kong-compatibility.md §2.1, §16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RouteType {
    /// `llm/v1/chat`
    #[serde(rename = "llm/v1/chat")]
    Chat,
    /// `llm/v1/completions`
    #[serde(rename = "llm/v1/completions")]
    Completions,
    /// `llm/v1/embeddings`
    #[serde(rename = "llm/v1/embeddings")]
    Embeddings,
    /// `llm/v1/files` (REST surface, multipart uploads).
    #[serde(rename = "llm/v1/files")]
    Files,
    /// `llm/v1/batches` (REST surface).
    #[serde(rename = "llm/v1/batches")]
    Batches,
    /// `llm/v1/assistants` (REST surface: assistants, threads, runs, vector stores).
    #[serde(rename = "llm/v1/assistants")]
    Assistants,
    /// `llm/v1/responses` (OpenAI Responses API, REST surface).
    #[serde(rename = "llm/v1/responses")]
    Responses,
    /// `audio/v1/audio/speech` (JSON in, audio bytes out).
    #[serde(rename = "audio/v1/audio/speech")]
    AudioSpeech,
    /// `audio/v1/audio/transcriptions` (multipart in).
    #[serde(rename = "audio/v1/audio/transcriptions")]
    AudioTranscriptions,
    /// `audio/v1/audio/translations` (multipart in).
    #[serde(rename = "audio/v1/audio/translations")]
    AudioTranslations,
    /// `image/v1/images/generations`
    #[serde(rename = "image/v1/images/generations")]
    ImageGenerations,
    /// `image/v1/images/edits` (multipart in).
    #[serde(rename = "image/v1/images/edits")]
    ImageEdits,
    /// `video/v1/videos/generations` (REST surface: create, retrieve, content).
    #[serde(rename = "video/v1/videos/generations")]
    VideoGenerations,
    /// `realtime/v1/realtime` (WebSocket upgrade; frames are not inspected).
    #[serde(rename = "realtime/v1/realtime")]
    Realtime,
    /// `preserve`: the body is forwarded as is; only auth and the target change.
    #[serde(rename = "preserve")]
    Preserve,
}

impl RouteType {
    /// Every route type, in Kong's schema order (preserve last).
    pub const ALL: [RouteType; 15] = [
        RouteType::Chat,
        RouteType::Completions,
        RouteType::Embeddings,
        RouteType::Files,
        RouteType::Batches,
        RouteType::Assistants,
        RouteType::Responses,
        RouteType::AudioSpeech,
        RouteType::AudioTranscriptions,
        RouteType::AudioTranslations,
        RouteType::ImageGenerations,
        RouteType::ImageEdits,
        RouteType::VideoGenerations,
        RouteType::Realtime,
        RouteType::Preserve,
    ];

    /// Kong's string for the route type.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteType::Chat => "llm/v1/chat",
            RouteType::Completions => "llm/v1/completions",
            RouteType::Embeddings => "llm/v1/embeddings",
            RouteType::Files => "llm/v1/files",
            RouteType::Batches => "llm/v1/batches",
            RouteType::Assistants => "llm/v1/assistants",
            RouteType::Responses => "llm/v1/responses",
            RouteType::AudioSpeech => "audio/v1/audio/speech",
            RouteType::AudioTranscriptions => "audio/v1/audio/transcriptions",
            RouteType::AudioTranslations => "audio/v1/audio/translations",
            RouteType::ImageGenerations => "image/v1/images/generations",
            RouteType::ImageEdits => "image/v1/images/edits",
            RouteType::VideoGenerations => "video/v1/videos/generations",
            RouteType::Realtime => "realtime/v1/realtime",
            RouteType::Preserve => "preserve",
        }
    }

    /// Whether the body is parsed into the OpenAI chat/completions/embeddings model and
    /// translated per provider. The other route types are forwarded to OpenAI-shaped APIs
    /// (`crate::routes`).
    pub fn is_llm(self) -> bool {
        matches!(
            self,
            RouteType::Chat | RouteType::Completions | RouteType::Embeddings
        )
    }
}

/// A parsed client request, one variant per JSON route type.
#[allow(clippy::large_enum_variant)] // one per request; boxing buys nothing
#[derive(Debug, Clone, PartialEq)]
pub enum LlmRequest {
    /// `llm/v1/chat`
    Chat(ChatRequest),
    /// `llm/v1/completions`
    Completions(CompletionsRequest),
    /// `llm/v1/embeddings`
    Embeddings(EmbeddingsRequest),
}

impl LlmRequest {
    /// The route type this request belongs to.
    pub fn route(&self) -> RouteType {
        match self {
            LlmRequest::Chat(_) => RouteType::Chat,
            LlmRequest::Completions(_) => RouteType::Completions,
            LlmRequest::Embeddings(_) => RouteType::Embeddings,
        }
    }

    /// The `model` the client asked for, if any (an empty string counts as none).
    pub fn model(&self) -> Option<&str> {
        let m = match self {
            LlmRequest::Chat(r) => r.model.as_deref(),
            LlmRequest::Completions(r) => r.model.as_deref(),
            LlmRequest::Embeddings(r) => r.model.as_deref(),
        };
        m.filter(|s| !s.is_empty())
    }

    /// Sets the `model` field.
    pub fn set_model(&mut self, model: &str) {
        let slot = match self {
            LlmRequest::Chat(r) => &mut r.model,
            LlmRequest::Completions(r) => &mut r.model,
            LlmRequest::Embeddings(r) => &mut r.model,
        };
        *slot = Some(model.to_string());
    }

    /// Whether the client asked for a stream (`"stream": true`).
    pub fn stream(&self) -> bool {
        match self {
            LlmRequest::Chat(r) => r.stream.unwrap_or(false),
            LlmRequest::Completions(r) => r.stream.unwrap_or(false),
            LlmRequest::Embeddings(_) => false,
        }
    }
}

/// A translated answer, ready to be serialised to the client.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmResponse {
    /// `chat.completion`
    Chat(ChatResponse),
    /// `text_completion`
    Completions(CompletionsResponse),
    /// `list` of embeddings
    Embeddings(EmbeddingsResponse),
}

impl LlmResponse {
    /// Token usage carried by the answer.
    pub fn usage(&self) -> Option<&Usage> {
        match self {
            LlmResponse::Chat(r) => r.usage.as_ref(),
            LlmResponse::Completions(r) => r.usage.as_ref(),
            LlmResponse::Embeddings(r) => r.usage.as_ref(),
        }
    }

    /// The model the answer names.
    pub fn model(&self) -> Option<&str> {
        match self {
            LlmResponse::Chat(r) => r.model.as_deref(),
            LlmResponse::Completions(r) => r.model.as_deref(),
            LlmResponse::Embeddings(r) => r.model.as_deref(),
        }
    }

    /// Serialises the answer as JSON bytes.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        match self {
            LlmResponse::Chat(r) => serde_json::to_vec(r),
            LlmResponse::Completions(r) => serde_json::to_vec(r),
            LlmResponse::Embeddings(r) => serde_json::to_vec(r),
        }
    }
}

/// OpenAI's `finish_reason` set (docs/kong-compatibility.md §11: every provider maps into it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// Natural end or a stop sequence.
    Stop,
    /// The token limit was reached.
    Length,
    /// The model called tools.
    ToolCalls,
    /// Content was withheld by a filter.
    ContentFilter,
    /// Legacy `function_call`.
    FunctionCall,
}

/// `stop`: a string or a list of strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Stop {
    /// One sequence.
    One(String),
    /// Several sequences.
    Many(Vec<String>),
}

impl Stop {
    /// The sequences as a list.
    pub fn to_vec(&self) -> Vec<String> {
        self.as_slice().to_vec()
    }

    /// The sequences, borrowed (encoders serialise them without copying).
    pub fn as_slice(&self) -> &[String] {
        match self {
            Stop::One(s) => std::slice::from_ref(s),
            Stop::Many(v) => v,
        }
    }
}
