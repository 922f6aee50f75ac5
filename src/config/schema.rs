//! Serde mirror of Kong's `ai-proxy` config schema (docs/kong-compatibility.md §2.1, the 3.14/3.15
//! schema): types, defaults and enums. Entity checks (docs/kong-compatibility.md §2.2) live in
//! `validate.rs`.
//!
//! Every struct refuses unknown fields. The structural rules (types, enums, ranges, required)
//! are checked first against the JSON Schema (`shape.rs`), which names the field path; these
//! types then carry the values and the defaults. `tests/schema_drift.rs` keeps both in step.
//! `Default` on every record equals what parsing `{}` gives (defaults filled in).

use serde::{Deserialize, Serialize};

use crate::api::RouteType;
/// `llm_format` lives in the bottom layer ([`crate::format`]); re-exported at its old path.
pub use crate::format::LlmFormat;

pub use super::options::{
    BedrockOptions, CacheWriteCost, CohereOptions, ContextWindowFactor, DashscopeOptions,
    DatabricksOptions, GeminiOptions, HuggingfaceOptions, Llama2Format, MistralFormat,
    ModelOptions, ServiceTierFactor,
};

/// The whole filter config (Kong's `config` record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// `route_type` (required).
    pub route_type: RouteType,
    /// `auth`.
    #[serde(default)]
    pub auth: Option<AuthConfig>,
    /// `model` (required).
    pub model: ModelConfig,
    /// `logging`.
    #[serde(default)]
    pub logging: LoggingConfig,
    /// `response_streaming`: `allow` (default), `deny`, `always`.
    #[serde(default)]
    pub response_streaming: ResponseStreaming,
    /// `max_request_body_size`: default 1 MiB (3.13+), `0` = unlimited (docs/kong-compatibility.md §3.4).
    #[serde(default = "default_max_request_body_size")]
    pub max_request_body_size: u64,
    /// `model_name_header`: add `X-Kong-LLM-Model` (default true).
    #[serde(default = "default_true")]
    pub model_name_header: bool,
    /// `llm_format`: what the client speaks.
    #[serde(default)]
    pub llm_format: LlmFormat,
    /// `genai_category`.
    #[serde(default)]
    pub genai_category: GenaiCategory,
    /// Extension (not in Kong): a regex with named groups matched against the request path,
    /// whose groups feed `$(uri_captures.NAME)` (hosts do not expose Kong's route captures).
    #[serde(default)]
    pub uri_captures: Option<String>,
    /// Extension (not in Kong): the largest single stream event, in bytes (`None`: 1 MiB).
    #[serde(default)]
    pub max_stream_event_size: Option<u64>,
}

fn default_true() -> bool {
    true
}

fn default_max_request_body_size() -> u64 {
    1_048_576
}

/// `response_streaming`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResponseStreaming {
    /// The client chooses.
    #[default]
    Allow,
    /// `stream: true` is refused.
    Deny,
    /// Streaming is forced.
    Always,
}

/// `genai_category`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum GenaiCategory {
    /// `text/generation`
    #[default]
    #[serde(rename = "text/generation")]
    TextGeneration,
    /// `text/embeddings`
    #[serde(rename = "text/embeddings")]
    TextEmbeddings,
    /// `audio/speech`
    #[serde(rename = "audio/speech")]
    AudioSpeech,
    /// `audio/transcription`
    #[serde(rename = "audio/transcription")]
    AudioTranscription,
    /// `image/generation`
    #[serde(rename = "image/generation")]
    ImageGeneration,
    /// `video/generation`
    #[serde(rename = "video/generation")]
    VideoGeneration,
}

/// `auth`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Header carrying the key.
    #[serde(default)]
    pub header_name: Option<String>,
    /// Its value.
    #[serde(default)]
    pub header_value: Option<String>,
    /// Query/body parameter carrying the key.
    #[serde(default)]
    pub param_name: Option<String>,
    /// Its value.
    #[serde(default)]
    pub param_value: Option<String>,
    /// `query` or `body`.
    #[serde(default)]
    pub param_location: Option<ParamLocation>,
    /// Keep a client-sent credential of the same name.
    #[serde(default)]
    pub allow_override: bool,
    /// Azure managed identity (needs a token service: see README host limits).
    #[serde(default)]
    pub azure_use_managed_identity: bool,
    /// Azure client id.
    #[serde(default)]
    pub azure_client_id: Option<String>,
    /// Azure client secret.
    #[serde(default)]
    pub azure_client_secret: Option<String>,
    /// Azure tenant id.
    #[serde(default)]
    pub azure_tenant_id: Option<String>,
    /// GCP service-account OAuth.
    #[serde(default)]
    pub gcp_use_service_account: bool,
    /// Service-account JSON.
    #[serde(default)]
    pub gcp_service_account_json: Option<String>,
    /// Metadata endpoint override.
    #[serde(default)]
    pub gcp_metadata_url: Option<String>,
    /// OAuth token endpoint override.
    #[serde(default)]
    pub gcp_oauth_token_url: Option<String>,
    /// AWS access key id (Bedrock SigV4).
    #[serde(default)]
    pub aws_access_key_id: Option<String>,
    /// AWS secret access key.
    #[serde(default)]
    pub aws_secret_access_key: Option<String>,
    /// AWS session token (extension: Kong reads it from the environment only).
    #[serde(default)]
    pub aws_session_token: Option<String>,
    /// Extension: cluster (Envoy) / `host:port` (Kong) of the GCP token endpoint.
    #[serde(default)]
    pub gcp_token_cluster: Option<String>,
    /// Extension: cluster (Envoy) / `host:port` (Kong) of the Azure token endpoint.
    #[serde(default)]
    pub azure_token_cluster: Option<String>,
    /// Extension: App Service `IDENTITY_ENDPOINT`, or an IMDS URL replacement.
    #[serde(default)]
    pub azure_identity_endpoint: Option<String>,
    /// Extension: App Service `IDENTITY_HEADER`.
    #[serde(default)]
    pub azure_identity_header: Option<String>,
    /// Extension: Entra authority (default `https://login.microsoftonline.com`).
    #[serde(default)]
    pub azure_authority_url: Option<String>,
    /// Extension: OIDC token for `AssumeRoleWithWebIdentity`.
    #[serde(default)]
    pub aws_web_identity_token: Option<String>,
    /// Extension: container credentials URL (ECS / EKS Pod Identity).
    #[serde(default)]
    pub aws_container_credentials_url: Option<String>,
    /// Extension: `Authorization` for the container credentials URL.
    #[serde(default)]
    pub aws_container_authorization_token: Option<String>,
    /// Extension: AWS keys from EC2 instance metadata (IMDSv2).
    #[serde(default)]
    pub aws_use_instance_metadata: bool,
    /// Extension: instance metadata base URL.
    #[serde(default)]
    pub aws_imds_url: Option<String>,
    /// Extension: cluster / `host:port` of the container or instance metadata endpoint.
    #[serde(default)]
    pub aws_credentials_cluster: Option<String>,
    /// Extension: cluster / `host:port` of the STS endpoint.
    #[serde(default)]
    pub aws_sts_cluster: Option<String>,
    /// Extension: timeout of one token call, milliseconds.
    #[serde(default)]
    pub identity_timeout_ms: Option<u64>,
}

/// `auth.param_location`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    /// Query string.
    Query,
    /// JSON body.
    Body,
}

/// `model`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// `provider` (required).
    pub provider: ProviderName,
    /// Model name (templatable).
    #[serde(default)]
    pub name: Option<String>,
    /// Request model name that maps to `name`.
    #[serde(default)]
    pub model_alias: Option<String>,
    /// Options (every string templatable).
    #[serde(default)]
    pub options: Option<ModelOptions>,
}

/// `model.provider`: Kong's provider strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderName {
    /// OpenAI.
    Openai,
    /// Azure OpenAI.
    Azure,
    /// Anthropic.
    Anthropic,
    /// Cohere.
    Cohere,
    /// Mistral.
    Mistral,
    /// Llama2 (self-hosted).
    Llama2,
    /// Gemini (AI Studio or Vertex).
    Gemini,
    /// Amazon Bedrock.
    Bedrock,
    /// Hugging Face.
    Huggingface,
    /// Cerebras.
    Cerebras,
    /// Alibaba DashScope.
    Dashscope,
    /// xAI.
    Xai,
    /// Databricks.
    Databricks,
    /// DeepSeek.
    Deepseek,
    /// Ollama.
    Ollama,
    /// vLLM.
    Vllm,
}

impl ProviderName {
    /// Kong's string for the provider.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderName::Openai => "openai",
            ProviderName::Azure => "azure",
            ProviderName::Anthropic => "anthropic",
            ProviderName::Cohere => "cohere",
            ProviderName::Mistral => "mistral",
            ProviderName::Llama2 => "llama2",
            ProviderName::Gemini => "gemini",
            ProviderName::Bedrock => "bedrock",
            ProviderName::Huggingface => "huggingface",
            ProviderName::Cerebras => "cerebras",
            ProviderName::Dashscope => "dashscope",
            ProviderName::Xai => "xai",
            ProviderName::Databricks => "databricks",
            ProviderName::Deepseek => "deepseek",
            ProviderName::Ollama => "ollama",
            ProviderName::Vllm => "vllm",
        }
    }
}

/// `logging`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggingConfig {
    /// Log usage statistics.
    #[serde(default)]
    pub log_statistics: bool,
    /// Log request and response bodies.
    #[serde(default)]
    pub log_payloads: bool,
}
