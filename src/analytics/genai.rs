//! The analytics facts under OpenTelemetry GenAI semantic-convention names (`gen_ai.*`), plus
//! the few facts the conventions have no name for under `ai_proxy.*`. One flat JSON object of
//! scalars, so a host's log format, a tracer or a tiny script can read each attribute by its
//! key without a JSON library (docs/observability.md "GenAI attributes").
//!
//! String values are restricted to characters that need no JSON escaping and cannot end a
//! value in a naive parser (`"`, `\`, `,`, `{`, `}` and control characters become `_`): model
//! names come from clients.

use serde_json::{json, Map, Value};

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

/// The flat attribute object.
pub fn attributes(s: &Summary<'_>) -> Value {
    let mut m = Map::new();
    let system = clean(system_name(s.provider));
    m.insert("gen_ai.system".into(), json!(system));
    m.insert("gen_ai.provider.name".into(), json!(system));
    if let Some(op) = operation_name(s.route) {
        m.insert("gen_ai.operation.name".into(), json!(op));
    }
    m.insert("gen_ai.request.model".into(), json!(clean(s.request_model)));
    m.insert(
        "gen_ai.response.model".into(),
        json!(clean(s.response_model)),
    );
    m.insert(
        "gen_ai.usage.input_tokens".into(),
        json!(s.usage.prompt_tokens),
    );
    m.insert(
        "gen_ai.usage.output_tokens".into(),
        json!(s.usage.completion_tokens),
    );
    let cached = s.cached_tokens();
    if cached > 0 {
        m.insert("gen_ai.usage.cache_read.input_tokens".into(), json!(cached));
    }
    let written = s.cache_creation_tokens();
    if written > 0 {
        m.insert(
            "gen_ai.usage.cache_creation.input_tokens".into(),
            json!(written),
        );
    }
    let reasoning = s.reasoning_tokens();
    if reasoning > 0 {
        m.insert("ai_proxy.usage.reasoning_tokens".into(), json!(reasoning));
    }
    m.insert(
        "ai_proxy.usage.total_tokens".into(),
        json!(s.usage.total_tokens),
    );
    m.insert("ai_proxy.usage.estimated".into(), json!(s.estimated));
    m.insert("ai_proxy.cost".into(), json!(s.cost));
    m.insert("ai_proxy.llm_latency_ms".into(), json!(s.llm_latency_ms));
    if let Some(t) = s.time_to_first_token_ms {
        m.insert("ai_proxy.time_to_first_token_ms".into(), json!(t));
    }
    m.insert("ai_proxy.request_mode".into(), json!(s.request_mode()));
    Value::Object(m)
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

    #[test]
    fn semconv_system_names() {
        // OpenTelemetry GenAI semantic conventions, `gen_ai.provider.name` well-known values.
        assert_eq!(system_name("bedrock"), "aws.bedrock");
        assert_eq!(system_name("azure"), "azure.ai.openai");
        assert_eq!(system_name("anthropic"), "anthropic");
        assert_eq!(system_name("vllm"), "vllm");
    }
}
