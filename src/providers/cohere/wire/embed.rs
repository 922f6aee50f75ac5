//! Cohere's v2 Embed API (`POST /v2/embed`). Reference: `cohere-openapi.yaml` `/v2/embed`,
//! `EmbedByTypeResponse`.

use serde::{Deserialize, Serialize};

use super::generate::Meta;

/// `POST /v2/embed` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbedRequest {
    /// Model name.
    pub model: String,
    /// Texts to embed.
    pub texts: Vec<String>,
    /// `search_document`, `search_query`, `classification`, `clustering`, …
    pub input_type: String,
    /// Always `["float"]` here.
    pub embedding_types: Vec<&'static str>,
    /// Output dimensions (embed-v4 and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_dimension: Option<u32>,
}

/// `POST /v2/embed` answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EmbedResponse {
    /// Answer id.
    #[serde(default)]
    pub id: Option<String>,
    /// The vectors.
    #[serde(default)]
    pub embeddings: Option<Embeddings>,
    /// Billing metadata.
    #[serde(default)]
    pub meta: Option<Meta>,
}

/// `embeddings`: by type (what `embedding_types` asks for) or, in the older shape, a plain
/// list of float vectors.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Embeddings {
    /// `[[f64]]`
    Floats(Vec<Vec<f64>>),
    /// `{"float": [[f64]], …}`
    ByType {
        /// Float vectors.
        #[serde(default)]
        float: Option<Vec<Vec<f64>>>,
    },
}
