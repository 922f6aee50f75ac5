//! Embeddings (`llm/v1/embeddings`). Reference: OpenAI "Create embeddings".

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Usage;

/// `POST /v1/embeddings` body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingsRequest {
    /// Model name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// What to embed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<EmbeddingInput>,
    /// Output dimensions (text-embedding-3 and providers that have it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// `float` or `base64`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding_format: Option<String>,
    /// End-user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Everything else, passed through to OpenAI-format upstreams.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `input`: text, texts, or token arrays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EmbeddingInput {
    /// One text.
    One(String),
    /// Several texts.
    Many(Vec<String>),
    /// One token array.
    Tokens(Vec<i64>),
    /// Several token arrays.
    TokenBatches(Vec<Vec<i64>>),
}

impl EmbeddingInput {
    /// The texts to embed, where they are in the request; `None` for token input (which only
    /// OpenAI-format upstreams take).
    pub fn texts(&self) -> Option<&[String]> {
        match self {
            EmbeddingInput::One(s) => Some(std::slice::from_ref(s)),
            EmbeddingInput::Many(v) => Some(v),
            EmbeddingInput::Tokens(_) | EmbeddingInput::TokenBatches(_) => None,
        }
    }
}

/// `list` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingsResponse {
    /// `list`.
    pub object: String,
    /// One entry per input.
    pub data: Vec<Embedding>,
    /// The model that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Token counts (`prompt_tokens`, `total_tokens`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// One embedding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    /// `embedding`.
    pub object: String,
    /// Position of the input.
    pub index: u32,
    /// The vector (or a base64 string when `encoding_format: base64`).
    pub embedding: Value,
}
