//! The profile table of the OpenAI-compatible family: one row per provider, no code
//! (docs/kong-compatibility.md §1, §8, §13.1).

use super::Compat;
use crate::api::RouteType;
use crate::config::ProviderName;

/// How the host of a profile is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// A fixed base URL.
    Fixed(&'static str),
    /// `https://{azure_instance}.openai.azure.com/openai/deployments/{azure_deployment_id}`.
    Azure,
    /// `https://dashscope-intl.aliyuncs.com` or `https://dashscope.aliyuncs.com`
    /// (`options.dashscope.international`, default true).
    Dashscope,
    /// `https://{databricks.workspace_instance_id}.cloud.databricks.com`.
    Databricks,
    /// Self-hosted: `options.upstream_url` is required (config validation enforces it).
    UpstreamUrl,
}

/// One provider's data.
#[derive(Debug)]
pub struct Profile {
    /// Kong's provider name.
    pub name: ProviderName,
    /// Where requests go.
    pub base: Base,
    /// Path for `llm/v1/chat` (None = route unsupported).
    pub chat: Option<&'static str>,
    /// Path for `llm/v1/completions`.
    pub completions: Option<&'static str>,
    /// Path for `llm/v1/embeddings`.
    pub embeddings: Option<&'static str>,
    /// Whether chat/completions stream.
    pub streams: bool,
    /// Whether `top_k` is forwarded (OpenAI rejects it; vLLM and Ollama-style servers take it).
    pub keeps_top_k: bool,
}

impl Profile {
    /// The operation path for a route, if the provider serves it.
    pub fn path(&self, route: RouteType) -> Option<&'static str> {
        match route {
            RouteType::Chat => self.chat,
            RouteType::Completions => self.completions,
            RouteType::Embeddings => self.embeddings,
            RouteType::Preserve => Some("/"),
            // The other route types are mapped by `crate::routes` (openai, azure, xai only).
            _ => None,
        }
    }
}

macro_rules! profile {
    ($static:ident, $name:ident, $base:expr, $chat:expr, $cmpl:expr, $emb:expr, $streams:expr, $top_k:expr) => {
        static $static: Compat = Compat {
            profile: &Profile {
                name: ProviderName::$name,
                base: $base,
                chat: $chat,
                completions: $cmpl,
                embeddings: $emb,
                streams: $streams,
                keeps_top_k: $top_k,
            },
        };
    };
}

const CHAT: Option<&str> = Some("/v1/chat/completions");
const COMPLETIONS: Option<&str> = Some("/v1/completions");
const EMBEDDINGS: Option<&str> = Some("/v1/embeddings");

profile!(
    OPENAI,
    Openai,
    Base::Fixed("https://api.openai.com:443"),
    CHAT,
    COMPLETIONS,
    EMBEDDINGS,
    true,
    false
);
profile!(
    AZURE,
    Azure,
    Base::Azure,
    Some("/chat/completions"),
    Some("/completions"),
    Some("/embeddings"),
    true,
    false
);
profile!(
    MISTRAL,
    Mistral,
    Base::Fixed("https://api.mistral.ai:443"),
    CHAT,
    None,
    EMBEDDINGS,
    true,
    false
);
profile!(
    LLAMA2,
    Llama2,
    Base::UpstreamUrl,
    CHAT,
    COMPLETIONS,
    EMBEDDINGS,
    true,
    true
);
profile!(
    CEREBRAS,
    Cerebras,
    Base::Fixed("https://api.cerebras.ai"),
    CHAT,
    None,
    None,
    true,
    false
);
// xAI: Kong's matrix says "no streaming"; xAI's API streams like OpenAI's, so we allow it.
profile!(
    XAI,
    Xai,
    Base::Fixed("https://api.x.ai:443"),
    CHAT,
    None,
    None,
    true,
    false
);
profile!(
    DEEPSEEK,
    Deepseek,
    Base::Fixed("https://api.deepseek.com"),
    CHAT,
    None,
    None,
    true,
    false
);
// Databricks serves OpenAI-compatible chat at /serving-endpoints/chat/completions (its docs);
// Kong's data file writes /serving-endpoints/v1/chat/completions, which Databricks does not serve.
profile!(
    DATABRICKS,
    Databricks,
    Base::Databricks,
    Some("/serving-endpoints/chat/completions"),
    None,
    Some("/serving-endpoints/embeddings"),
    true,
    false
);
// vLLM's server implements chat, completions and embeddings (Kong's matrix lists chat only).
profile!(
    VLLM,
    Vllm,
    Base::UpstreamUrl,
    CHAT,
    COMPLETIONS,
    EMBEDDINGS,
    true,
    true
);
profile!(
    DASHSCOPE,
    Dashscope,
    Base::Dashscope,
    Some("/compatible-mode/v1/chat/completions"),
    None,
    Some("/compatible-mode/v1/embeddings"),
    true,
    false
);

/// The implementation for `name`. Providers outside the family never reach this (see
/// `providers::for_name`); they fall back to OpenAI's row.
pub fn compat(name: ProviderName) -> &'static Compat {
    match name {
        ProviderName::Azure => &AZURE,
        ProviderName::Mistral => &MISTRAL,
        ProviderName::Llama2 => &LLAMA2,
        ProviderName::Cerebras => &CEREBRAS,
        ProviderName::Xai => &XAI,
        ProviderName::Deepseek => &DEEPSEEK,
        ProviderName::Databricks => &DATABRICKS,
        ProviderName::Vllm => &VLLM,
        ProviderName::Dashscope => &DASHSCOPE,
        _ => &OPENAI,
    }
}
