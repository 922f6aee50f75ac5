//! `model.options` and its sub-records (docs/kong-compatibility.md §2.1): the serde mirror, with Kong's
//! defaults. Re-exported from `schema`, so `config::schema::ModelOptions` keeps working.

use serde::{Deserialize, Serialize};

fn default_true() -> bool {
    true
}

/// `model.options`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelOptions {
    /// Default `max_tokens`.
    #[serde(default)]
    pub max_tokens: Option<u64>,
    /// Default temperature, 0..=5.
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Default top_p, 0..=1.
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Default top_k, 0..=500.
    #[serde(default)]
    pub top_k: Option<u64>,
    /// Cost per 1M prompt tokens.
    #[serde(default)]
    pub input_cost: Option<f64>,
    /// Cost per 1M completion tokens.
    #[serde(default)]
    pub output_cost: Option<f64>,
    /// Cost per 1M cache-read tokens.
    #[serde(default)]
    pub cache_read_cost: Option<f64>,
    /// Cost per 1M cache-write tokens.
    #[serde(default)]
    pub cache_write_cost: Option<f64>,
    /// Cache-write cost per TTL.
    #[serde(default)]
    pub cache_write_cost_list: Option<Vec<CacheWriteCost>>,
    /// Price factors above an input-token threshold.
    #[serde(default)]
    pub context_window_factor: Option<Vec<ContextWindowFactor>>,
    /// Price factor per service tier.
    #[serde(default)]
    pub service_tier_factor: Option<Vec<ServiceTierFactor>>,
    /// Embedding dimensions to request.
    #[serde(default)]
    pub embeddings_dimensions: Option<u32>,
    /// Full upstream URL override.
    #[serde(default)]
    pub upstream_url: Option<String>,
    /// Path override (deprecated in Kong; used with `preserve`).
    #[serde(default)]
    pub upstream_path: Option<String>,
    /// `anthropic-version` header value.
    #[serde(default)]
    pub anthropic_version: Option<String>,
    /// Azure resource name.
    #[serde(default)]
    pub azure_instance: Option<String>,
    /// Azure deployment.
    #[serde(default)]
    pub azure_deployment_id: Option<String>,
    /// Azure `api-version` (default `2023-05-15`).
    #[serde(default = "default_azure_api_version")]
    pub azure_api_version: Option<String>,
    /// Llama2 wire format.
    #[serde(default)]
    pub llama2_format: Option<Llama2Format>,
    /// Mistral wire format.
    #[serde(default)]
    pub mistral_format: Option<MistralFormat>,
    /// Gemini / Vertex options.
    #[serde(default)]
    pub gemini: Option<GeminiOptions>,
    /// Bedrock options.
    #[serde(default)]
    pub bedrock: Option<BedrockOptions>,
    /// Hugging Face options.
    #[serde(default)]
    pub huggingface: Option<HuggingfaceOptions>,
    /// Cohere options.
    #[serde(default)]
    pub cohere: Option<CohereOptions>,
    /// DashScope options.
    #[serde(default)]
    pub dashscope: Option<DashscopeOptions>,
    /// Databricks options.
    #[serde(default)]
    pub databricks: Option<DatabricksOptions>,
}

fn default_azure_api_version() -> Option<String> {
    Some("2023-05-15".to_string())
}

impl Default for ModelOptions {
    /// The options of `"options": {}`: only `azure_api_version` has a default.
    fn default() -> Self {
        ModelOptions {
            max_tokens: None,
            temperature: None,
            top_p: None,
            top_k: None,
            input_cost: None,
            output_cost: None,
            cache_read_cost: None,
            cache_write_cost: None,
            cache_write_cost_list: None,
            context_window_factor: None,
            service_tier_factor: None,
            embeddings_dimensions: None,
            upstream_url: None,
            upstream_path: None,
            anthropic_version: None,
            azure_instance: None,
            azure_deployment_id: None,
            azure_api_version: default_azure_api_version(),
            llama2_format: None,
            mistral_format: None,
            gemini: None,
            bedrock: None,
            huggingface: None,
            cohere: None,
            dashscope: None,
            databricks: None,
        }
    }
}

/// One `cache_write_cost_list` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheWriteCost {
    /// Cache TTL, e.g. `5m`.
    pub ttl: String,
    /// Cost per 1M tokens.
    pub cost: f64,
}

/// One `context_window_factor` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextWindowFactor {
    /// Input-token threshold (a string in Kong's schema).
    pub above: String,
    /// Input price factor.
    pub input_factor: f64,
    /// Output price factor.
    pub output_factor: f64,
}

/// One `service_tier_factor` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceTierFactor {
    /// Tier name (substring match).
    pub tier: String,
    /// Factor.
    pub factor: f64,
}

/// `llama2_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Llama2Format {
    /// Raw prompt format.
    Raw,
    /// OpenAI-compatible.
    Openai,
    /// Ollama.
    Ollama,
}

/// `mistral_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MistralFormat {
    /// OpenAI-compatible.
    Openai,
    /// Ollama.
    Ollama,
}

/// `model.options.gemini`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeminiOptions {
    /// Vertex regional endpoint host.
    #[serde(default)]
    pub api_endpoint: Option<String>,
    /// GCP project.
    #[serde(default)]
    pub project_id: Option<String>,
    /// GCP location.
    #[serde(default)]
    pub location_id: Option<String>,
    /// Vertex Model Garden endpoint id.
    #[serde(default)]
    pub endpoint_id: Option<String>,
    /// Extension: where the filter's own calls to Vertex AI go (the video job poll,
    /// `:fetchPredictOperation`): Envoy cluster name, Kong `host[:port]`. Default: the
    /// upstream's host (Envoy) / `host:port` (Kong).
    #[serde(default)]
    pub vertex_cluster: Option<String>,
}

/// `model.options.bedrock`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BedrockOptions {
    /// AWS region.
    #[serde(default)]
    pub aws_region: Option<String>,
    /// Role to assume.
    #[serde(default)]
    pub aws_assume_role_arn: Option<String>,
    /// Assumed-role session name.
    #[serde(default)]
    pub aws_role_session_name: Option<String>,
    /// STS endpoint override.
    #[serde(default)]
    pub aws_sts_endpoint_url: Option<String>,
    /// Normalise embeddings.
    #[serde(default)]
    pub embeddings_normalize: bool,
    /// Forced `performanceConfig.latency`.
    #[serde(default)]
    pub performance_config_latency: Option<String>,
    /// Video output location.
    #[serde(default)]
    pub video_output_s3_uri: Option<String>,
    /// Batch bucket prefix.
    #[serde(default)]
    pub batch_bucket_prefix: Option<String>,
    /// Batch role.
    #[serde(default)]
    pub batch_role_arn: Option<String>,
}

/// `model.options.huggingface`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuggingfaceOptions {
    /// Use the inference cache.
    #[serde(default)]
    pub use_cache: Option<bool>,
    /// Wait for a cold model.
    #[serde(default)]
    pub wait_for_model: Option<bool>,
}

/// `model.options.cohere`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohereOptions {
    /// Embed `input_type` (default `classification`; one of `classification`, `clustering`,
    /// `image`, `search_document`, `search_query`, checked against the schema).
    #[serde(default = "default_cohere_input_type")]
    pub embedding_input_type: Option<String>,
    /// Wait for the model.
    #[serde(default)]
    pub wait_for_model: Option<bool>,
}

fn default_cohere_input_type() -> Option<String> {
    Some("classification".to_string())
}

impl Default for CohereOptions {
    fn default() -> Self {
        CohereOptions {
            embedding_input_type: default_cohere_input_type(),
            wait_for_model: None,
        }
    }
}

/// `model.options.dashscope`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashscopeOptions {
    /// `true` → dashscope-intl.aliyuncs.com.
    #[serde(default = "default_true")]
    pub international: bool,
}

impl Default for DashscopeOptions {
    fn default() -> Self {
        DashscopeOptions {
            international: true,
        }
    }
}

/// `model.options.databricks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabricksOptions {
    /// Workspace host prefix (`dbc-xxx-yyy`).
    #[serde(default)]
    pub workspace_instance_id: Option<String>,
}
