//! Embeddings through InvokeModel (`POST /model/{modelId}/invoke`): the request body and the
//! answer depend on the model family, recognised from the model id.
//!
//! References: Bedrock User Guide "Amazon Titan Embeddings Text" (v1/G1: `inputText`; v2:
//! `inputText`, `dimensions`, `normalize`; answer `embedding`, `inputTextTokenCount`), "Amazon
//! Titan Multimodal Embeddings" (`embeddingConfig.outputEmbeddingLength`), "Cohere Embed v3" and
//! "Cohere Embed v4" (`texts`, `input_type`, v4 `output_dimension`; answer `embeddings` as a
//! list or keyed by type). docs/kong-compatibility.md §2.1 (`bedrock.embeddings_normalize`,
//! `cohere.embedding_input_type`).

use serde::{Deserialize, Serialize};

use crate::api::embeddings::{Embedding, EmbeddingInput, EmbeddingsRequest, EmbeddingsResponse};
use crate::api::Usage;
use crate::config::ModelOptions;
use crate::error::{ProxyError, TranslateError};
use crate::providers::ResponseCtx;

/// Embedding model families with a known InvokeModel body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbedFamily {
    /// `amazon.titan-embed-text-v1` (G1): `inputText` only.
    TitanV1,
    /// `amazon.titan-embed-text-v2:0`: `inputText`, `dimensions`, `normalize`.
    TitanV2,
    /// `amazon.titan-embed-image-v1`: `inputText`, `embeddingConfig.outputEmbeddingLength`.
    TitanMultimodal,
    /// `cohere.embed-*`: `texts`, `input_type` (v4 adds `output_dimension`).
    Cohere {
        /// `cohere.embed-v4`.
        v4: bool,
    },
}

/// The family of an embeddings model id (inference-profile prefixes such as `us.` and ARNs
/// that name the model are fine; a provisioned-throughput ARN is not recognisable).
pub fn embed_family(model: &str) -> Option<EmbedFamily> {
    let m = model.to_ascii_lowercase();
    if m.contains("titan-embed-text-v1") || m.contains("titan-embed-g1-text") {
        Some(EmbedFamily::TitanV1)
    } else if m.contains("titan-embed-text-v2") {
        Some(EmbedFamily::TitanV2)
    } else if m.contains("titan-embed-image") {
        Some(EmbedFamily::TitanMultimodal)
    } else if m.contains("cohere.embed") {
        Some(EmbedFamily::Cohere {
            v4: m.contains("embed-v4"),
        })
    } else {
        None
    }
}

/// Embeddings → InvokeModel body.
///
/// Titan takes one text per call: a list of more than one is refused with a 400 (the client can
/// send one request per text). Dropped: `encoding_format` (the answer always carries floats),
/// `user`, unknown fields; `dimensions` for Titan v1 and Cohere v3 (fixed sizes). The body
/// borrows the texts from `req`.
pub fn encode_embeddings<'a>(
    req: &'a EmbeddingsRequest,
    model: &str,
    options: &'a ModelOptions,
) -> Result<EmbedRequest<'a>, ProxyError> {
    let EmbeddingsRequest {
        model: _,
        input,
        dimensions,
        encoding_format: _,
        user: _,
        extra: _,
    } = req;
    let family = embed_family(model).ok_or_else(|| {
        ProxyError::bad_request(format!(
            "Bedrock embeddings: unsupported model '{model}' (supported: amazon.titan-embed-text-v1, amazon.titan-embed-text-v2, amazon.titan-embed-image-v1, cohere.embed-*)"
        ))
    })?;
    let Some(texts) = input.as_ref().and_then(EmbeddingInput::texts) else {
        return Err(ProxyError::bad_request(
            "Bedrock embeddings take text input, not token arrays",
        ));
    };
    let dims = dimensions.or(options.embeddings_dimensions);
    if let EmbedFamily::Cohere { v4 } = family {
        let input_type = options
            .cohere
            .as_ref()
            .and_then(|c| c.embedding_input_type.as_deref())
            .unwrap_or("classification");
        return Ok(EmbedRequest::Cohere(CohereEmbedRequest {
            texts,
            input_type,
            output_dimension: if v4 { dims } else { None },
        }));
    }
    let [text] = texts else {
        return Err(ProxyError::bad_request(format!(
            "Amazon Titan embeddings take exactly one input text per request; got {}",
            texts.len()
        )));
    };
    let mut body = TitanEmbedRequest {
        input_text: text,
        dimensions: None,
        normalize: None,
        embedding_config: None,
    };
    match family {
        EmbedFamily::TitanV2 => {
            body.dimensions = dims;
            // Kong's `bedrock.embeddings_normalize` (default false) is sent as is.
            body.normalize = Some(
                options
                    .bedrock
                    .as_ref()
                    .is_some_and(|b| b.embeddings_normalize),
            );
        }
        EmbedFamily::TitanMultimodal => {
            body.embedding_config = dims.map(|n| TitanEmbeddingConfig {
                output_embedding_length: n,
            });
        }
        EmbedFamily::TitanV1 | EmbedFamily::Cohere { .. } => {}
    }
    Ok(EmbedRequest::Titan(body))
}

/// InvokeModel embeddings answer → OpenAI list. Titan reports `inputTextTokenCount` (used as
/// prompt and total tokens); Cohere on Bedrock reports no token count (no `usage`).
pub fn decode_embeddings(
    body: &[u8],
    ctx: &ResponseCtx<'_>,
) -> Result<EmbeddingsResponse, TranslateError> {
    let family = embed_family(ctx.model)
        .ok_or_else(|| TranslateError::new("unknown Bedrock embeddings model family"))?;
    let (vectors, tokens) = match family {
        EmbedFamily::Cohere { .. } => {
            let r: CohereEmbedResponse = serde_json::from_slice(body)?;
            let v = match r.embeddings {
                CohereEmbeddings::Floats(v) | CohereEmbeddings::ByType { float: v } => v,
            };
            (v, None)
        }
        EmbedFamily::TitanV1 | EmbedFamily::TitanV2 | EmbedFamily::TitanMultimodal => {
            let r: TitanEmbedResponse = serde_json::from_slice(body)?;
            (vec![r.embedding], r.input_text_token_count)
        }
    };
    let data = vectors
        .into_iter()
        .zip(0u32..)
        .map(|(v, index)| Embedding {
            object: "embedding".to_string(),
            index,
            embedding: serde_json::Value::from(v),
        })
        .collect();
    Ok(EmbeddingsResponse {
        object: "list".to_string(),
        data,
        model: Some(ctx.model.to_string()),
        usage: tokens.map(|t| Usage::new(t, 0)),
    })
}

// Wire types.

/// Amazon Titan Text Embeddings request (v1 takes `inputText` only; v2 adds `dimensions` and
/// `normalize`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanEmbedRequest<'a> {
    /// The one text to embed.
    pub input_text: &'a str,
    /// v2: 1024, 512 or 256.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u32>,
    /// v2: unit-length output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    /// Titan Multimodal Embeddings: `{"outputEmbeddingLength": n}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedding_config: Option<TitanEmbeddingConfig>,
}

/// Titan Multimodal Embeddings `embeddingConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanEmbeddingConfig {
    /// 256, 384 or 1024.
    pub output_embedding_length: u32,
}

/// Titan embeddings answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanEmbedResponse {
    /// The vector.
    pub embedding: Vec<f64>,
    /// Input token count.
    #[serde(default)]
    pub input_text_token_count: Option<u64>,
}

/// Cohere Embed (v3/v4) on Bedrock request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CohereEmbedRequest<'a> {
    /// Texts to embed (at most 96).
    pub texts: &'a [String],
    /// `search_document`, `search_query`, `classification` or `clustering`.
    pub input_type: &'a str,
    /// v4: 256, 512, 1024 or 1536.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_dimension: Option<u32>,
}

/// Cohere Embed answer: `embeddings` is a list of vectors (`embeddings_floats`) or an object
/// keyed by type (`embeddings_by_type`, `float` used).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CohereEmbedResponse {
    /// The vectors.
    pub embeddings: CohereEmbeddings,
}

/// The two shapes of Cohere's `embeddings`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum CohereEmbeddings {
    /// `[[f64…], …]`
    Floats(Vec<Vec<f64>>),
    /// `{"float": [[f64…], …], …}`
    ByType {
        /// Float vectors.
        float: Vec<Vec<f64>>,
    },
}

/// An InvokeModel embeddings body, per model family.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EmbedRequest<'a> {
    /// Amazon Titan (text v1/v2, multimodal).
    Titan(TitanEmbedRequest<'a>),
    /// Cohere Embed.
    Cohere(CohereEmbedRequest<'a>),
}
