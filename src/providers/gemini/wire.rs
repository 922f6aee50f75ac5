//! Serde types of the Gemini API (Google AI Studio `v1beta`) and of Vertex AI's
//! `publishers/google/models` surface, which share the `GenerateContent*` shapes.
//!
//! References: Gemini API reference "models.generateContent", "models.streamGenerateContent",
//! "models.batchEmbedContents", "Caching"/"UsageMetadata"; Vertex AI reference
//! "GenerateContentResponse" and "Text embeddings API" (`:predict`). Only the fields we read or
//! write are modelled; unknown response fields are ignored by serde, unknown enum values land in
//! `Unknown`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// generateContent request
// ---------------------------------------------------------------------------------------------

/// `GenerateContentRequest` body (the model is in the URL, so there is no `model` field).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerateContentRequest {
    /// The conversation.
    pub contents: Vec<Content>,
    /// System prompt(s), as text parts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_instruction: Option<Content>,
    /// Function declarations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<Vec<Tool>>,
    /// How functions may be called.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_config: Option<ToolConfig>,
    /// Sampling and output settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation_config: Option<GenerationConfig>,
}

/// A `Content`: one turn (or the system instruction) made of parts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// `user` or `model`; absent on `systemInstruction`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The parts, in order.
    #[serde(default)]
    pub parts: Vec<Part>,
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    /// Text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// `true` on thought-summary parts (reasoning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought: Option<bool>,
    /// Opaque signature of the model's reasoning, to be sent back on the same part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thought_signature: Option<String>,
    /// Inline bytes (base64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_data: Option<Blob>,
    /// A file by URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_data: Option<FileData>,
    /// A call the model makes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_call: Option<FunctionCall>,
    /// The result of a call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_response: Option<FunctionResponse>,
}

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Part {
        Part {
            text: Some(text.into()),
            ..Part::default()
        }
    }
}

/// `inlineData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Blob {
    /// IANA media type.
    pub mime_type: String,
    /// Base64 bytes.
    pub data: String,
}

/// `fileData`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileData {
    /// IANA media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// `gs://…`, `https://…` or a Files API URI.
    pub file_uri: String,
}

/// `functionCall`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// Call id (set by some models / the Live API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Function name.
    pub name: String,
    /// Arguments as a JSON object (opaque).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Value>,
}

/// `functionResponse`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunctionResponse {
    /// Function name (must match the call).
    pub name: String,
    /// The result, a JSON object (opaque).
    pub response: Value,
}

/// One entry of `tools`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    /// The functions.
    pub function_declarations: Vec<FunctionDeclaration>,
}

/// `FunctionDeclaration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionDeclaration {
    /// Name.
    pub name: String,
    /// What it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Parameters as Gemini's OpenAPI schema subset (see `schema.rs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
}

/// `toolConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolConfig {
    /// Function-calling mode.
    pub function_calling_config: FunctionCallingConfig,
}

/// `functionCallingConfig`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionCallingConfig {
    /// `AUTO`, `ANY` or `NONE`.
    pub mode: FunctionCallingMode,
    /// With `ANY`: the only functions the model may call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_function_names: Option<Vec<String>>,
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
pub struct GenerationConfig {
    /// Stop sequences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_sequences: Option<Vec<String>>,
    /// `application/json` for JSON mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_mime_type: Option<String>,
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

impl GenerationConfig {
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
    pub content: Option<Content>,
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
pub struct BatchEmbedContentsRequest {
    /// One request per input text.
    pub requests: Vec<EmbedContentRequest>,
}

/// One `EmbedContentRequest`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbedContentRequest {
    /// `models/<model>` (must match the URL's model).
    pub model: String,
    /// The text, as one part.
    pub content: Content,
    /// Truncated output size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_dimensionality: Option<u32>,
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
pub struct PredictRequest {
    /// One instance per text.
    pub instances: Vec<PredictInstance>,
    /// Shared parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<PredictParameters>,
}

/// One embedding instance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PredictInstance {
    /// The text.
    pub content: String,
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
