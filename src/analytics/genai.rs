//! The analytics facts under OpenTelemetry GenAI semantic-convention names (`gen_ai.*`), plus
//! the few facts the conventions have no name for under `ai_proxy.*`. One flat JSON object of
//! scalars, so a host's log format, a tracer or a tiny script can read each attribute by its
//! key without a JSON library (docs/observability.md "GenAI attributes").
//!
//! String values are restricted to characters that need no JSON escaping and cannot end a
//! value in a naive parser (`"`, `\`, `,`, `{`, `}` and control characters become `_`): model
//! names come from clients.

use serde::Serialize;
use serde_json::Value;

use super::Summary;
use crate::api::RouteType;

/// `gen_ai.system` / `gen_ai.provider.name` for a Kong provider name. Values are the
/// conventions' well-known ones where the provider has one; others keep Kong's name.
pub fn system_name(provider: &str) -> &str {
    match provider {
        "azure" => "azure.ai.openai",
        "bedrock" => "aws.bedrock",
        "gemini" => "gcp.gemini",
        "mistral" => "mistral_ai",
        "xai" => "x_ai",
        other => other,
    }
}

/// `gen_ai.operation.name` for a route type (`None` where the conventions have no name:
/// preserve, files, batches, audio, …).
pub fn operation_name(route: RouteType) -> Option<&'static str> {
    match route {
        RouteType::Chat | RouteType::Responses => Some("chat"),
        RouteType::Completions => Some("text_completion"),
        RouteType::Embeddings => Some("embeddings"),
        RouteType::ImageGenerations | RouteType::VideoGenerations => Some("generate_content"),
        _ => None,
    }
}

/// A string value safe for the flat record.
pub fn clean(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' | '\\' | ',' | '{' | '}' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect()
}

/// The flat attributes, fields in the order of their keys (a sorted JSON object, as a
/// `serde_json::Map` prints it). Serialised straight to text by the filter: building a `Value`
/// map first cost a third of the analytics time per request in V8 (docs/performance.md).
#[derive(Serialize)]
struct Attributes<'a> {
    #[serde(rename = "ai_proxy.cost")]
    cost: f64,
    #[serde(rename = "ai_proxy.llm_latency_ms")]
    llm_latency_ms: u64,
    #[serde(rename = "ai_proxy.request_mode")]
    request_mode: &'static str,
    #[serde(
        rename = "ai_proxy.time_to_first_token_ms",
        skip_serializing_if = "Option::is_none"
    )]
    time_to_first_token_ms: Option<u64>,
    #[serde(rename = "ai_proxy.usage.estimated")]
    estimated: bool,
    #[serde(
        rename = "ai_proxy.usage.reasoning_tokens",
        skip_serializing_if = "is_zero"
    )]
    reasoning_tokens: u64,
    #[serde(rename = "ai_proxy.usage.total_tokens")]
    total_tokens: u64,
    #[serde(
        rename = "gen_ai.operation.name",
        skip_serializing_if = "Option::is_none"
    )]
    operation: Option<&'static str>,
    #[serde(rename = "gen_ai.provider.name")]
    provider_name: &'a str,
    #[serde(rename = "gen_ai.request.model")]
    request_model: String,
    #[serde(rename = "gen_ai.response.model")]
    response_model: String,
    #[serde(rename = "gen_ai.system")]
    system: &'a str,
    #[serde(
        rename = "gen_ai.usage.cache_creation.input_tokens",
        skip_serializing_if = "is_zero"
    )]
    cache_creation_tokens: u64,
    #[serde(
        rename = "gen_ai.usage.cache_read.input_tokens",
        skip_serializing_if = "is_zero"
    )]
    cached_tokens: u64,
    #[serde(rename = "gen_ai.usage.input_tokens")]
    input_tokens: u64,
    #[serde(rename = "gen_ai.usage.output_tokens")]
    output_tokens: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn of<'a>(s: &Summary<'_>, system: &'a str) -> Attributes<'a> {
    Attributes {
        cost: s.cost,
        llm_latency_ms: s.llm_latency_ms,
        request_mode: s.request_mode(),
        time_to_first_token_ms: s.time_to_first_token_ms,
        estimated: s.estimated,
        reasoning_tokens: s.reasoning_tokens(),
        total_tokens: s.usage.total_tokens,
        operation: operation_name(s.route),
        provider_name: system,
        request_model: clean(s.request_model),
        response_model: clean(s.response_model),
        system,
        cache_creation_tokens: s.cache_creation_tokens(),
        cached_tokens: s.cached_tokens(),
        input_tokens: s.usage.prompt_tokens,
        output_tokens: s.usage.completion_tokens,
    }
}

/// The flat attribute object as JSON text (what the filter publishes).
pub fn attributes_text(s: &Summary<'_>) -> String {
    let system = clean(system_name(s.provider));
    serde_json::to_string(&of(s, &system)).unwrap_or_default()
}

/// The flat attribute object.
pub fn attributes(s: &Summary<'_>) -> Value {
    let system = clean(system_name(s.provider));
    serde_json::to_value(of(s, &system)).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_cannot_break_the_flat_record() {
        assert_eq!(clean("gpt-4.1"), "gpt-4.1");
        assert_eq!(clean("a\",\"b\\}\n"), "a___b___");
        assert_eq!(clean("meta-llama/Llama-3.1-8B"), "meta-llama/Llama-3.1-8B");
    }

    fn summary(full: bool) -> Summary<'static> {
        let mut usage = crate::api::Usage::new(100, 10);
        if full {
            usage = usage.with_cached(Some(40));
            if let Some(d) = usage.prompt_tokens_details.as_mut() {
                d.cache_creation_tokens = Some(5);
            }
            usage.completion_tokens_details = Some(crate::api::usage::CompletionTokensDetails {
                reasoning_tokens: Some(3),
            });
        }
        Summary {
            provider: if full { "bedrock" } else { "anthropic" },
            route: if full {
                RouteType::Chat
            } else {
                RouteType::Preserve
            },
            usage,
            estimated: !full,
            cost: if full { 0.000125 } else { 0.0 },
            request_model: "m\"1",
            response_model: "m-2",
            stream: full,
            realtime: false,
            llm_latency_ms: 42,
            time_to_first_token_ms: full.then_some(7),
        }
    }

    /// The text is the sorted JSON object a `serde_json::Map` of the same attributes prints
    /// (names and values from docs/observability.md "GenAI attributes").
    #[test]
    fn text_is_the_sorted_flat_object() {
        let full = serde_json::json!({
            "gen_ai.system": "aws.bedrock", "gen_ai.provider.name": "aws.bedrock",
            "gen_ai.operation.name": "chat", "gen_ai.request.model": "m_1",
            "gen_ai.response.model": "m-2", "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.output_tokens": 10, "gen_ai.usage.cache_read.input_tokens": 40,
            "gen_ai.usage.cache_creation.input_tokens": 5,
            "ai_proxy.usage.reasoning_tokens": 3, "ai_proxy.usage.total_tokens": 110,
            "ai_proxy.usage.estimated": false, "ai_proxy.cost": 0.000125,
            "ai_proxy.llm_latency_ms": 42, "ai_proxy.time_to_first_token_ms": 7,
            "ai_proxy.request_mode": "stream"
        });
        let bare = serde_json::json!({
            "gen_ai.system": "anthropic", "gen_ai.provider.name": "anthropic",
            "gen_ai.request.model": "m_1", "gen_ai.response.model": "m-2",
            "gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 10,
            "ai_proxy.usage.total_tokens": 110, "ai_proxy.usage.estimated": true,
            "ai_proxy.cost": 0.0, "ai_proxy.llm_latency_ms": 42,
            "ai_proxy.request_mode": "oneshot"
        });
        for (s, want) in [(summary(true), full), (summary(false), bare)] {
            assert_eq!(attributes(&s), want);
            assert_eq!(attributes_text(&s), want.to_string());
        }
    }

    #[test]
    fn semconv_system_names() {
        // OpenTelemetry GenAI semantic conventions, `gen_ai.provider.name` well-known values.
        assert_eq!(system_name("bedrock"), "aws.bedrock");
        assert_eq!(system_name("azure"), "azure.ai.openai");
        assert_eq!(system_name("anthropic"), "anthropic");
        assert_eq!(system_name("vllm"), "vllm");
    }
}
