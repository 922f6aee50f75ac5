//! Serde types of the Gemini API (Google AI Studio `v1beta`) and of Vertex AI's
//! `publishers/google/models` surface, which share the `GenerateContent*` shapes.
//!
//! References: Gemini API reference "models.generateContent", "models.streamGenerateContent",
//! "models.batchEmbedContents", "Caching"/"UsageMetadata"; Vertex AI reference
//! "GenerateContentResponse" and "Text embeddings API" (`:predict`). Only the fields we read or
//! write are modelled; unknown response fields are ignored by serde, unknown enum values land in
//! `Unknown`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// generateContent request
// ---------------------------------------------------------------------------------------------
//
// The request types borrow from the client's typed request (lifetime `'a`): a text, an image's
// base64 data or a name is written out from where it already is, and only what the encoder
// computes (joined texts, converted schemas, parsed arguments) is owned. `Content`, `Part` and
// the types inside them are also read from answers; there they own everything (`'static`,
// serde reads a `Cow` as `Owned`).

/// `GenerateContentRequest` body (the model is in the URL, so there is no `model` field).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentRequest<'a> {
    /// The conversation.
    pub contents: Vec<Content<'a>>,
    /// System prompt(s), as text parts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_instruction: Option<Content<'a>>,
    /// Function declarations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool<'a>>>,
    /// How functions may be called.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfig<'a>>,
    /// Sampling and output settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation_config: Option<GenerationConfig<'a>>,
}

/// A `Content`: one turn (or the system instruction) made of parts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Content<'a> {
    /// `user` or `model`; absent on `systemInstruction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The parts, in order.
    #[serde(default)]
    pub parts: Vec<Part<'a>>,
}

/// Author of a `Content`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The user (also carries function responses).
    User,
    /// The model.
    Model,
    /// Anything else.
    #[serde(other)]
    Unknown,
}

/// A `Part`: exactly one data field is set, plus the `thought` flag and signature.
///
/// The data fields other than `text` are boxed: most parts are text, and a conversation holds
/// one `Part` per turn at least, so the struct stays small (88 bytes on 64-bit targets instead
/// of about 290).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part<'a> {
    /// Text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<Cow<'a, str>>,
    /// `true` on thought-summary parts (reasoning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    /// Opaque signature of the model's reasoning, to be sent back on the same part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<Cow<'a, str>>,
    /// Inline bytes (base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_data: Option<Box<Blob<'a>>>,
    /// A file by URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<Box<FileData<'a>>>,
    /// A call the model makes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<Box<FunctionCall<'a>>>,
    /// The result of a call (request only: answers never carry one, so it is not read).
    #[serde(default, skip_serializing_if = "Option::is_none", skip_deserializing)]
    pub function_response: Option<Box<FunctionResponse<'a>>>,
}

impl<'a> Part<'a> {
    /// A text part.
    pub fn text(text: impl Into<Cow<'a, str>>) -> Part<'a> {
        Part {
            text: Some(text.into()),
            ..Part::default()
        }
    }
}

/// `inlineData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob<'a> {
    /// IANA media type.
    pub mime_type: Cow<'a, str>,
    /// Base64 bytes.
    pub data: Cow<'a, str>,
}

/// `fileData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData<'a> {
    /// IANA media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<Cow<'a, str>>,
    /// `gs://…`, `https://…` or a Files API URI.
    pub file_uri: Cow<'a, str>,
}

/// `functionCall`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall<'a> {
    /// Call id (set by some models / the Live API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Cow<'a, str>>,
    /// Function name.
    pub name: Cow<'a, str>,
    /// Arguments as a JSON object (opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Value>,
}

/// `functionResponse` (request only).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionResponse<'a> {
    /// Function name (must match the call).
    pub name: &'a str,
    /// The result, a JSON object.
    pub response: FunctionResult<'a>,
}

/// `functionResponse.response`: the tool's JSON object as it is, or any other tool output
/// wrapped as `{"content": "<text>"}` (written from the text where it is).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FunctionResult<'a> {
    /// The tool answered a JSON object.
    Object(Value),
    /// Any other answer, as text.
    Wrapped {
        /// The tool's text.
        content: Cow<'a, str>,
    },
}

/// One entry of `tools`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool<'a> {
    /// The functions.
    pub function_declarations: Vec<FunctionDeclaration<'a>>,
}

/// `FunctionDeclaration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionDeclaration<'a> {
    /// Name.
    pub name: &'a str,
    /// What it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    /// Parameters as Gemini's OpenAPI schema subset (see `schema.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

/// `toolConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig<'a> {
    /// Function-calling mode.
    pub function_calling_config: FunctionCallingConfig<'a>,
}

/// `functionCallingConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionCallingConfig<'a> {
    /// `AUTO`, `ANY` or `NONE`.
    pub mode: FunctionCallingMode,
    /// With `ANY`: the only functions the model may call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_function_names: Option<[&'a str; 1]>,
}

/// `functionCallingConfig.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FunctionCallingMode {
    /// The model decides.
    Auto,
    /// The model must call a function.
    Any,
    /// No function calls.
    None,
}

/// `generationConfig`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerationConfig<'a> {
    /// Stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<&'a [String]>,
    /// `application/json` for JSON mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_mime_type: Option<&'a str>,
    /// Output schema (OpenAPI subset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_schema: Option<Value>,
    /// Number of candidates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate_count: Option<u32>,
    /// Output token limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_output_tokens: Option<u64>,
    /// Temperature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Nucleus mass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f64>,
    /// Top-k.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_k: Option<u64>,
    /// Presence penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_penalty: Option<f64>,
    /// Frequency penalty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_penalty: Option<f64>,
    /// Sampling seed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
}

impl GenerationConfig<'_> {
    /// Whether no field is set (then the whole object is left out).
    pub fn is_empty(&self) -> bool {
        *self == GenerationConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// generateContent response (also one stream chunk)
// ---------------------------------------------------------------------------------------------

/// `GenerateContentResponse`; in a stream, one chunk. A chunk may instead carry `error`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentResponse {
    /// The candidates.
    #[serde(default)]
    pub candidates: Vec<Candidate>,
    /// Set when the prompt itself was blocked (then there are no candidates).
    #[serde(default)]
    pub prompt_feedback: Option<PromptFeedback>,
    /// Token counts (cumulative in streams).
    #[serde(default)]
    pub usage_metadata: Option<UsageMetadata>,
    /// The model version that answered.
    #[serde(default)]
    pub model_version: Option<String>,
    /// Answer id.
    #[serde(default)]
    pub response_id: Option<String>,
    /// Vertex: RFC 3339 time of the request.
    #[serde(default)]
    pub create_time: Option<String>,
    /// An error object (in-stream errors).
    #[serde(default)]
    pub error: Option<ApiError>,
}

/// One `Candidate`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    /// The generated content.
    #[serde(default)]
    pub content: Option<Content<'static>>,
    /// Why generation stopped (absent until the last chunk of a stream).
    #[serde(default)]
    pub finish_reason: Option<FinishReason>,
    /// Position among the candidates.
    #[serde(default)]
    pub index: Option<u32>,
}

/// `Candidate.finishReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FinishReason {
    /// Unused default.
    FinishReasonUnspecified,
    /// Natural end or a stop sequence.
    Stop,
    /// Token limit.
    MaxTokens,
    /// Safety filter.
    Safety,
    /// Recitation filter.
    Recitation,
    /// Unsupported language.
    Language,
    /// Other reason.
    Other,
    /// Blocklisted terms.
    Blocklist,
    /// Prohibited content.
    ProhibitedContent,
    /// Sensitive personal information.
    Spii,
    /// The model produced an invalid function call.
    MalformedFunctionCall,
    /// Generated image failed safety.
    ImageSafety,
    /// Generated image is prohibited content.
    ImageProhibitedContent,
    /// Generated image failed recitation.
    ImageRecitation,
    /// Any newer value.
    #[serde(other)]
    Unknown,
}

/// `promptFeedback`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PromptFeedback {
    /// Why the prompt was blocked.
    #[serde(default)]
    pub block_reason: Option<BlockReason>,
}

/// `promptFeedback.blockReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BlockReason {
    /// Unused default.
    BlockReasonUnspecified,
    /// Safety.
    Safety,
    /// Other.
    Other,
    /// Blocklisted terms.
    Blocklist,
    /// Prohibited content.
    ProhibitedContent,
    /// Unsafe image content.
    ImageSafety,
    /// Any newer value.
    #[serde(other)]
    Unknown,
}

/// `usageMetadata`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageMetadata {
    /// Prompt tokens (cached ones included).
    #[serde(default)]
    pub prompt_token_count: Option<u64>,
    /// Output tokens of all candidates (thoughts excluded).
    #[serde(default)]
    pub candidates_token_count: Option<u64>,
    /// Everything, as billed.
    #[serde(default)]
    pub total_token_count: Option<u64>,
    /// Prompt tokens served from the context cache.
    #[serde(default)]
    pub cached_content_token_count: Option<u64>,
    /// Reasoning tokens.
    #[serde(default)]
    pub thoughts_token_count: Option<u64>,
    /// Tokens of tool-use prompts (e.g. search results fed back).
    #[serde(default)]
    pub tool_use_prompt_token_count: Option<u64>,
}

/// A Google API error object (`{"error":{"code","message","status"}}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    /// HTTP-like code.
    #[serde(default)]
    pub code: Option<i64>,
    /// Message.
    #[serde(default)]
    pub message: Option<String>,
    /// Canonical status, e.g. `RESOURCE_EXHAUSTED`.
    #[serde(default)]
    pub status: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Embeddings
// ---------------------------------------------------------------------------------------------

/// AI Studio `batchEmbedContents` body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchEmbedContentsRequest<'a> {
    /// One request per input text.
    pub requests: Vec<EmbedContentRequest<'a>>,
}

/// One `EmbedContentRequest`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbedContentRequest<'a> {
    /// `models/<model>` (must match the URL's model).
    pub model: ModelPath<'a>,
    /// The text, as one part.
    pub content: Content<'a>,
    /// Truncated output size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_dimensionality: Option<u32>,
}

/// A model as `models/<name>`, written out without building that string once per input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelPath<'a>(pub &'a str);

impl Serialize for ModelPath<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("models/{}", self.0))
    }
}

/// AI Studio `batchEmbedContents` answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchEmbedContentsResponse {
    /// One embedding per request, in order.
    #[serde(default)]
    pub embeddings: Vec<ContentEmbedding>,
    /// Token counts, where reported.
    #[serde(default)]
    pub usage_metadata: Option<UsageMetadata>,
}

/// `ContentEmbedding`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ContentEmbedding {
    /// The vector.
    #[serde(default)]
    pub values: Vec<f64>,
}

/// Vertex `:predict` body for text-embedding models.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictRequest<'a> {
    /// One instance per text.
    pub instances: Vec<PredictInstance<'a>>,
    /// Shared parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<PredictParameters>,
}

/// One embedding instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictInstance<'a> {
    /// The text.
    pub content: &'a str,
}

/// `parameters` of a text-embedding prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PredictParameters {
    /// Truncated output size.
    pub output_dimensionality: u32,
}

/// Vertex `:predict` answer.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PredictResponse {
    /// One prediction per instance, in order.
    #[serde(default)]
    pub predictions: Vec<Prediction>,
}

/// One text-embedding prediction.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Prediction {
    /// The embedding.
    #[serde(default)]
    pub embeddings: Option<PredictionEmbedding>,
}

/// `predictions[].embeddings`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct PredictionEmbedding {
    /// The vector.
    #[serde(default)]
    pub values: Vec<f64>,
    /// Token statistics.
    #[serde(default)]
    pub statistics: Option<EmbeddingStatistics>,
}

/// `predictions[].embeddings.statistics` (a protobuf Struct: numbers may be floats).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EmbeddingStatistics {
    /// Input tokens.
    #[serde(default)]
    pub token_count: Option<f64>,
    /// Whether the input was truncated.
    #[serde(default)]
    pub truncated: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_stays_small() {
        // One `Part` per turn at least: two optional strings, four boxes and the flag (on
        // 64-bit targets; unboxed it was about 290 bytes).
        assert!(std::mem::size_of::<Part<'_>>() <= 88);
    }

    #[test]
    fn model_path_is_a_json_string() {
        assert_eq!(
            serde_json::to_string(&ModelPath("text-embedding-004")).unwrap(),
            r#""models/text-embedding-004""#
        );
        assert_eq!(
            serde_json::to_string(&ModelPath("a\"b")).unwrap(),
            r#""models/a\"b""#
        );
    }
}
