//! Config parsing and validation (docs/kong-compatibility.md §2): one case per schema rule and per entity
//! check of docs/kong-compatibility.md §2.2, accepted or refused with Kong's exact text, defaults filled in, unknown fields
//! refused with their path. Fixture configs live in `tests/fixtures/config/`.

// Test helpers outside #[test] fns: a panic is how they report a failure.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use ai_proxy::api::RouteType;
use ai_proxy::config::schema::{
    CohereOptions, DashscopeOptions, GenaiCategory, Llama2Format, LoggingConfig,
};
use ai_proxy::config::{
    Config, ConfigError, LlmFormat, ModelOptions, ProviderName, RequestView, ResponseStreaming,
};
use serde_json::{json, Value};

// ---------- helpers ----------

fn base() -> Value {
    json!({"route_type": "llm/v1/chat", "model": {"provider": "openai", "name": "gpt-4o"}})
}

/// `base()` with `value` set at a `/`-separated pointer, creating objects on the way.
fn with(mut cfg: Value, pointer: &str, value: Value) -> Value {
    let mut cur = &mut cfg;
    let keys: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, k) in keys.iter().enumerate() {
        if i + 1 == keys.len() {
            cur.as_object_mut().unwrap().insert((*k).to_string(), value);
            break;
        }
        cur = cur
            .as_object_mut()
            .unwrap()
            .entry((*k).to_string())
            .or_insert_with(|| json!({}));
    }
    cfg
}

fn parse(cfg: &Value) -> Result<Config, ConfigError> {
    Config::parse(cfg.to_string().as_bytes())
}

fn ok(cfg: Value) -> Config {
    match parse(&cfg) {
        Ok(c) => c,
        Err(e) => panic!("refused: {e}\nconfig: {cfg}"),
    }
}

fn refused(cfg: Value) -> String {
    match parse(&cfg) {
        Ok(_) => panic!("accepted but should be refused: {cfg}"),
        Err(e) => e.to_string(),
    }
}

fn provider(p: &str, options: Value) -> Value {
    json!({"route_type": "llm/v1/chat", "model": {"provider": p, "name": "m", "options": options}})
}

// ---------- defaults ----------

#[test]
fn minimal_config_gets_kongs_defaults() {
    let c = ok(base());
    let r = &c.raw;
    assert_eq!(r.route_type, RouteType::Chat);
    assert_eq!(r.model.provider, ProviderName::Openai);
    assert_eq!(r.model.name.as_deref(), Some("gpt-4o"));
    assert_eq!(r.response_streaming, ResponseStreaming::Allow);
    assert_eq!(r.max_request_body_size, 1_048_576);
    assert!(r.model_name_header);
    assert_eq!(r.llm_format, LlmFormat::Openai);
    assert_eq!(r.genai_category, GenaiCategory::TextGeneration);
    assert_eq!(r.logging, LoggingConfig::default());
    assert!(!r.logging.log_statistics && !r.logging.log_payloads);
    assert!(r.auth.is_none());
    assert!(r.model.options.is_none());
    assert!(r.uri_captures.is_none() && r.max_stream_event_size.is_none());
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn record_defaults_are_filled_in() {
    let c = ok(with(
        with(
            with(
                with(base(), "/auth", json!({})),
                "/model/options/cohere",
                json!({}),
            ),
            "/model/options/dashscope",
            json!({}),
        ),
        "/model/options/bedrock",
        json!({}),
    ));
    let auth = c.raw.auth.unwrap();
    assert!(!auth.allow_override && !auth.azure_use_managed_identity);
    assert!(!auth.gcp_use_service_account);
    let o = c.raw.model.options.unwrap();
    assert_eq!(o.azure_api_version.as_deref(), Some("2023-05-15"));
    assert_eq!(o.cohere, Some(CohereOptions::default()));
    assert_eq!(
        o.cohere.unwrap().embedding_input_type.as_deref(),
        Some("classification")
    );
    assert_eq!(
        o.dashscope,
        Some(DashscopeOptions {
            international: true
        })
    );
    assert!(!o.bedrock.unwrap().embeddings_normalize);
}

#[test]
fn model_options_default_equals_an_empty_options_record() {
    let c = ok(with(base(), "/model/options", json!({})));
    assert_eq!(c.raw.model.options, Some(ModelOptions::default()));
}

#[test]
fn unset_options_resolve_to_the_defaults() {
    let c = ok(base());
    let none = |_: &str| None;
    let view = RequestView {
        header: &none,
        query: &none,
        capture: &none,
    };
    let m = c.resolve_model(&view).unwrap();
    assert_eq!(m.options, ModelOptions::default());
    assert_eq!(m.options.azure_api_version.as_deref(), Some("2023-05-15"));
}

#[test]
fn null_counts_as_unset() {
    let c = ok(with(
        with(base(), "/auth", Value::Null),
        "/max_request_body_size",
        Value::Null,
    ));
    assert!(c.raw.auth.is_none());
    assert_eq!(c.raw.max_request_body_size, 1_048_576);
    assert_eq!(
        refused(with(base(), "/model", Value::Null)),
        "model: required field missing"
    );
}

#[test]
fn explicit_values_are_kept() {
    let c = ok(json!({
        "route_type": "llm/v1/embeddings",
        "model": {"provider": "openai", "name": "text-embedding-3-small", "model_alias": "emb",
                  "options": {"embeddings_dimensions": 256, "max_tokens": 512,
                              "temperature": 0.5, "top_p": 0.9, "top_k": 40,
                              "input_cost": 0.02, "output_cost": 0}},
        "response_streaming": "deny",
        "max_request_body_size": 0,
        "model_name_header": false,
        "genai_category": "text/embeddings",
        "logging": {"log_statistics": true, "log_payloads": true},
        "max_stream_event_size": 65536
    }));
    let r = &c.raw;
    assert_eq!(r.route_type, RouteType::Embeddings);
    assert_eq!(r.response_streaming, ResponseStreaming::Deny);
    assert_eq!(r.max_request_body_size, 0, "0 means unlimited");
    assert!(!r.model_name_header);
    assert_eq!(r.genai_category, GenaiCategory::TextEmbeddings);
    assert!(r.logging.log_statistics && r.logging.log_payloads);
    assert_eq!(r.max_stream_event_size, Some(65536));
    assert_eq!(r.model.model_alias.as_deref(), Some("emb"));
    let o = r.model.options.as_ref().unwrap();
    assert_eq!(o.embeddings_dimensions, Some(256));
    assert_eq!(o.temperature, Some(0.5));
    assert_eq!(o.top_k, Some(40));
}

// ---------- JSON and records ----------

#[test]
fn not_json_is_refused() {
    let e = Config::parse(b"{route_type").unwrap_err();
    assert!(e.path.is_empty());
    assert!(e.message.starts_with("config is not valid JSON"), "{e}");
}

#[test]
fn config_must_be_a_record() {
    assert_eq!(
        Config::parse(b"[]").unwrap_err().to_string(),
        "expected a record"
    );
    assert_eq!(
        Config::parse(b"\"llm/v1/chat\"").unwrap_err().to_string(),
        "expected a record"
    );
}

#[test]
fn required_fields() {
    assert_eq!(
        refused(json!({"model": {"provider": "openai"}})),
        "route_type: required field missing"
    );
    assert_eq!(
        refused(json!({"route_type": "llm/v1/chat"})),
        "model: required field missing"
    );
    assert_eq!(
        refused(json!({"route_type": "llm/v1/chat", "model": {"name": "x"}})),
        "model.provider: required field missing"
    );
    assert_eq!(
        refused(with(
            base(),
            "/model/options/cache_write_cost_list",
            json!([{"ttl": "5m"}])
        )),
        "model.options.cache_write_cost_list[0].cost: required field missing"
    );
    assert_eq!(
        refused(with(
            base(),
            "/model/options/context_window_factor",
            json!([{"above": "200000", "input_factor": 2}])
        )),
        "model.options.context_window_factor[0].output_factor: required field missing"
    );
    assert_eq!(
        refused(with(
            base(),
            "/model/options/service_tier_factor",
            json!([{"factor": 2}])
        )),
        "model.options.service_tier_factor[0].tier: required field missing"
    );
}

#[test]
fn unknown_fields_are_refused_with_their_path() {
    for (pointer, path) in [
        ("/foo", "foo"),
        ("/auth/api_key", "auth.api_key"),
        ("/model/temperature", "model.temperature"),
        ("/model/options/temprature", "model.options.temprature"),
        (
            "/model/options/gemini/region",
            "model.options.gemini.region",
        ),
        (
            "/model/options/bedrock/region",
            "model.options.bedrock.region",
        ),
        (
            "/model/options/huggingface/x",
            "model.options.huggingface.x",
        ),
        ("/model/options/cohere/x", "model.options.cohere.x"),
        ("/model/options/dashscope/x", "model.options.dashscope.x"),
        ("/model/options/databricks/x", "model.options.databricks.x"),
        ("/logging/log_everything", "logging.log_everything"),
        // 3.7's schema had response_streaming under options; 3.8+ only at the top level.
        (
            "/model/options/response_streaming",
            "model.options.response_streaming",
        ),
    ] {
        assert_eq!(
            refused(with(base(), pointer, json!(true))),
            format!("{path}: unknown field"),
            "{pointer}"
        );
    }
    assert_eq!(
        refused(with(
            base(),
            "/model/options/service_tier_factor",
            json!([{"tier": "flex", "factor": 0.5, "extra": 1}])
        )),
        "model.options.service_tier_factor[0].extra: unknown field"
    );
}

// ---------- types ----------

#[test]
fn wrong_types_name_the_field() {
    for (pointer, value, msg) in [
        ("/route_type", json!(5), "route_type: expected a string"),
        ("/model", json!("openai"), "model: expected a record"),
        ("/model/name", json!(5), "model.name: expected a string"),
        ("/auth", json!([]), "auth: expected a record"),
        (
            "/auth/allow_override",
            json!("false"),
            "auth.allow_override: expected a boolean",
        ),
        (
            "/model/options",
            json!(1),
            "model.options: expected a record",
        ),
        (
            "/model/options/temperature",
            json!("hot"),
            "model.options.temperature: expected a number",
        ),
        (
            "/model/options/max_tokens",
            json!(1.5),
            "model.options.max_tokens: expected an integer",
        ),
        (
            "/model/options/max_tokens",
            json!("10"),
            "model.options.max_tokens: expected an integer",
        ),
        (
            "/model/options/top_k",
            json!(4.0),
            "model.options.top_k: expected an integer",
        ),
        (
            "/model/options/cache_write_cost_list",
            json!({}),
            "model.options.cache_write_cost_list: expected an array",
        ),
        (
            "/model/options/cache_write_cost_list",
            json!([5]),
            "model.options.cache_write_cost_list[0]: expected a record",
        ),
        (
            "/model/options/gemini",
            json!("x"),
            "model.options.gemini: expected a record",
        ),
        (
            "/model/options/huggingface/use_cache",
            json!(1),
            "model.options.huggingface.use_cache: expected a boolean",
        ),
        (
            "/model/options/dashscope/international",
            json!("yes"),
            "model.options.dashscope.international: expected a boolean",
        ),
        (
            "/model/options/upstream_url",
            json!(80),
            "model.options.upstream_url: expected a string",
        ),
        (
            "/model_name_header",
            json!("yes"),
            "model_name_header: expected a boolean",
        ),
        (
            "/max_request_body_size",
            json!("1MB"),
            "max_request_body_size: expected an integer",
        ),
        ("/logging", json!(true), "logging: expected a record"),
        (
            "/logging/log_statistics",
            json!(1),
            "logging.log_statistics: expected a boolean",
        ),
        (
            "/uri_captures",
            json!(["x"]),
            "uri_captures: expected a string",
        ),
    ] {
        assert_eq!(refused(with(base(), pointer, value)), msg, "{pointer}");
    }
}

// ---------- enums ----------

#[test]
fn enums_list_kongs_values() {
    for (pointer, msg) in [
        ("/route_type", "route_type: expected one of: llm/v1/chat, llm/v1/completions, llm/v1/embeddings, llm/v1/files, llm/v1/batches, llm/v1/assistants, llm/v1/responses, audio/v1/audio/speech, audio/v1/audio/transcriptions, audio/v1/audio/translations, image/v1/images/generations, image/v1/images/edits, realtime/v1/realtime, video/v1/videos/generations, preserve"),
        ("/model/provider", "model.provider: expected one of: openai, azure, anthropic, cohere, mistral, llama2, gemini, bedrock, huggingface, cerebras, dashscope, xai, databricks, deepseek, ollama, vllm"),
        ("/response_streaming", "response_streaming: expected one of: allow, deny, always"),
        ("/llm_format", "llm_format: expected one of: openai, bedrock, gemini, cohere, huggingface, anthropic"),
        ("/genai_category", "genai_category: expected one of: text/generation, text/embeddings, audio/speech, audio/transcription, image/generation, video/generation"),
        ("/auth/param_location", "auth.param_location: expected one of: query, body"),
        ("/model/options/llama2_format", "model.options.llama2_format: expected one of: raw, openai, ollama"),
        ("/model/options/mistral_format", "model.options.mistral_format: expected one of: openai, ollama"),
        ("/model/options/cohere/embedding_input_type", "model.options.cohere.embedding_input_type: expected one of: classification, clustering, image, search_document, search_query"),
    ] {
        assert_eq!(refused(with(base(), pointer, json!("nope"))), msg, "{pointer}");
    }
}

#[test]
fn every_provider_value_parses() {
    for p in [
        "openai",
        "azure",
        "anthropic",
        "cohere",
        "mistral",
        "llama2",
        "gemini",
        "bedrock",
        "huggingface",
        "cerebras",
        "dashscope",
        "xai",
        "databricks",
        "deepseek",
        "ollama",
        "vllm",
    ] {
        let cfg = with(base(), "/model/provider", json!(p));
        let raw = ai_proxy::config::validate::parse_raw(cfg.to_string().as_bytes()).unwrap();
        assert_eq!(raw.model.provider.as_str(), p);
    }
}

#[test]
fn implemented_route_types_are_accepted() {
    for (rt, want) in [
        ("llm/v1/chat", RouteType::Chat),
        ("llm/v1/completions", RouteType::Completions),
        ("llm/v1/embeddings", RouteType::Embeddings),
        ("preserve", RouteType::Preserve),
    ] {
        let c = ok(with(base(), "/route_type", json!(rt)));
        assert_eq!(c.route_type(), want);
        assert_eq!(want.as_str(), rt);
    }
}

#[test]
fn every_kong_route_type_parses() {
    for rt in RouteType::ALL {
        let c = ok(with(base(), "/route_type", json!(rt.as_str())));
        assert_eq!(c.route_type(), rt);
    }
}

// ---------- ranges ----------

#[test]
fn ranges_are_inclusive_with_kongs_text() {
    for (pointer, good, bad, msg) in [
        (
            "/model/options/temperature",
            vec![json!(0), json!(5), json!(0.7)],
            vec![json!(5.01), json!(-0.1)],
            "value should be between 0 and 5",
        ),
        (
            "/model/options/top_p",
            vec![json!(0), json!(1), json!(0.5)],
            vec![json!(1.01), json!(-1)],
            "value should be between 0 and 1",
        ),
        (
            "/model/options/top_k",
            vec![json!(0), json!(500)],
            vec![json!(501), json!(-1)],
            "value should be between 0 and 500",
        ),
        (
            "/model/options/embeddings_dimensions",
            vec![json!(0), json!(3072)],
            vec![json!(4_294_967_296_u64), json!(-1)],
            "value should be between 0 and 4294967295",
        ),
        (
            "/max_request_body_size",
            vec![json!(0), json!(1), json!(104_857_600)],
            vec![json!(-1)],
            "value must be at least 0",
        ),
        (
            "/model/options/max_tokens",
            vec![json!(0), json!(4096)],
            vec![json!(-5)],
            "value must be at least 0",
        ),
        (
            "/model/options/input_cost",
            vec![json!(0), json!(2.5)],
            vec![json!(-0.01)],
            "value must be at least 0",
        ),
        (
            "/model/options/output_cost",
            vec![json!(10)],
            vec![json!(-1)],
            "value must be at least 0",
        ),
        (
            "/model/options/cache_read_cost",
            vec![json!(0.3)],
            vec![json!(-1)],
            "value must be at least 0",
        ),
        (
            "/model/options/cache_write_cost",
            vec![json!(3.75)],
            vec![json!(-1)],
            "value must be at least 0",
        ),
        (
            "/max_stream_event_size",
            vec![json!(1), json!(1_048_576)],
            vec![json!(0)],
            "value must be at least 1",
        ),
    ] {
        for g in good {
            ok(with(base(), pointer, g));
        }
        let path = pointer.trim_start_matches('/').replace('/', ".");
        for b in bad {
            assert_eq!(
                refused(with(base(), pointer, b.clone())),
                format!("{path}: {msg}"),
                "{pointer} = {b}"
            );
        }
    }
}

#[test]
fn cost_lists_parse_and_check_their_entries() {
    let c = ok(with(
        base(),
        "/model/options",
        json!({
            "cache_write_cost_list": [{"ttl": "5m", "cost": 3.75}, {"ttl": "1h", "cost": 6}],
            "context_window_factor": [{"above": "200000", "input_factor": 2, "output_factor": 1.5}],
            "service_tier_factor": [{"tier": "priority", "factor": 1.8}, {"tier": "flex", "factor": 0.5}]
        }),
    ));
    let o = c.raw.model.options.unwrap();
    assert_eq!(o.cache_write_cost_list.unwrap()[1].cost, 6.0);
    assert_eq!(o.context_window_factor.unwrap()[0].above, "200000");
    assert_eq!(o.service_tier_factor.unwrap()[1].tier, "flex");
    assert_eq!(
        refused(with(
            base(),
            "/model/options/service_tier_factor",
            json!([{"tier": "", "factor": 1}])
        )),
        "model.options.service_tier_factor[0].tier: length must be at least 1"
    );
    assert_eq!(
        refused(with(
            base(),
            "/model/options/cache_write_cost_list",
            json!([{"ttl": "5m", "cost": -1}])
        )),
        "model.options.cache_write_cost_list[0].cost: value must be at least 0"
    );
}

// ---------- docs/kong-compatibility.md §2.2 entity checks, Kong's exact texts ----------

#[test]
fn rule1_bedrock_and_gemini_refuse_allow_override() {
    const TEXT: &str = "bedrock and gemini only support auth.allow_override = false";
    for p in ["bedrock", "gemini"] {
        let cfg = with(provider(p, json!({})), "/auth/allow_override", json!(true));
        assert_eq!(refused(cfg), TEXT);
        ok(with(
            provider(p, json!({})),
            "/auth/allow_override",
            json!(false),
        ));
    }
    ok(with(base(), "/auth/allow_override", json!(true)));
}

#[test]
fn rule2_header_name_and_value_together() {
    const TEXT: &str =
        "all or none of these fields must be set: 'auth.header_name', 'auth.header_value'";
    assert_eq!(
        refused(with(
            base(),
            "/auth",
            json!({"header_name": "Authorization"})
        )),
        TEXT
    );
    assert_eq!(
        refused(with(base(), "/auth", json!({"header_value": "Bearer k"}))),
        TEXT
    );
    // Kong's emptiness rule: "" is not set.
    assert_eq!(
        refused(with(
            base(),
            "/auth",
            json!({"header_name": "", "header_value": "Bearer k"})
        )),
        TEXT
    );
    ok(with(
        base(),
        "/auth",
        json!({"header_name": "Authorization", "header_value": "Bearer k"}),
    ));
    ok(with(base(), "/auth", json!({})));
}

#[test]
fn rule3_param_name_value_location_together() {
    const TEXT: &str = "all or none of these fields must be set: 'auth.param_name', 'auth.param_value', 'auth.param_location'";
    for auth in [
        json!({"param_name": "key"}),
        json!({"param_name": "key", "param_value": "k"}),
        json!({"param_location": "query"}),
        json!({"param_value": "k", "param_location": "body"}),
    ] {
        assert_eq!(refused(with(base(), "/auth", auth)), TEXT);
    }
    for loc in ["query", "body"] {
        let c = ok(with(
            base(),
            "/auth",
            json!({"param_name": "key", "param_value": "k", "param_location": loc}),
        ));
        assert!(c.raw.auth.unwrap().param_location.is_some());
    }
}

#[test]
fn rule4_llama2_needs_its_format() {
    assert_eq!(
        refused(provider(
            "llama2",
            json!({"upstream_url": "http://llama:8080/v1/chat/completions"})
        )),
        "must set 'model.options.llama2_format' for llama2 provider"
    );
    let c = ok(provider(
        "llama2",
        json!({"llama2_format": "openai", "upstream_url": "http://llama:8080/v1/chat/completions"}),
    ));
    assert_eq!(
        c.raw.model.options.unwrap().llama2_format,
        Some(Llama2Format::Openai)
    );
}

#[test]
fn rule5_mistral_needs_its_format() {
    assert_eq!(
        refused(provider("mistral", json!({}))),
        "must set 'model.options.mistral_format' for mistral provider"
    );
    // Since 3.8 no upstream_url means the managed mistral.ai service.
    ok(provider("mistral", json!({"mistral_format": "openai"})));
}

#[test]
fn rule6_anthropic_needs_a_version() {
    const TEXT: &str = "must set 'model.options.anthropic_version' for anthropic provider";
    let no_options = json!({"route_type": "llm/v1/chat", "model": {"provider": "anthropic"}});
    assert_eq!(refused(no_options), TEXT);
    assert_eq!(
        refused(provider("anthropic", json!({"anthropic_version": ""}))),
        TEXT
    );
    ok(provider(
        "anthropic",
        json!({"anthropic_version": "2023-06-01"}),
    ));
}

#[test]
fn rule7_azure_needs_instance_version_and_deployment() {
    assert_eq!(
        refused(provider("azure", json!({}))),
        "must set 'model.options.azure_instance' for azure provider"
    );
    assert_eq!(
        refused(provider("azure", json!({"azure_instance": "res"}))),
        "must set 'model.options.azure_deployment_id' for azure provider",
        "the default api version satisfies the check"
    );
    assert_eq!(
        refused(provider(
            "azure",
            json!({"azure_instance": "res", "azure_deployment_id": "d", "azure_api_version": ""})
        )),
        "must set 'model.options.azure_api_version' for azure provider"
    );
    let c = ok(provider(
        "azure",
        json!({"azure_instance": "res", "azure_deployment_id": "gpt-4o"}),
    ));
    assert_eq!(
        c.raw.model.options.unwrap().azure_api_version.as_deref(),
        Some("2023-05-15")
    );
}

#[test]
fn rule8_self_hosted_needs_upstream_url() {
    const TEXT: &str = "must set 'model.options.upstream_url' for self-hosted providers/models";
    assert_eq!(
        refused(provider("llama2", json!({"llama2_format": "raw"}))),
        TEXT
    );
    assert_eq!(refused(provider("vllm", json!({}))), TEXT);
    // An empty URL is refused as a URL before the entity check runs.
    assert_eq!(
        refused(provider("vllm", json!({"upstream_url": ""}))),
        "model.options.upstream_url: missing scheme in url"
    );
    ok(provider(
        "vllm",
        json!({"upstream_url": "http://vllm:8000/v1/chat/completions"}),
    ));
    ok(provider("ollama", json!({})));
}

#[test]
fn rule9_vertex_trio_mutually_required() {
    const TEXT: &str = "model.options.gemini: all or none of these fields must be set: 'api_endpoint', 'project_id', 'location_id'";
    for g in [
        json!({"api_endpoint": "us-central1-aiplatform.googleapis.com"}),
        json!({"project_id": "p", "location_id": "us-central1"}),
        json!({"api_endpoint": "", "project_id": "p", "location_id": "l"}),
    ] {
        assert_eq!(refused(provider("gemini", json!({"gemini": g}))), TEXT);
    }
    ok(provider(
        "gemini",
        json!({"gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
                          "project_id": "p", "location_id": "us-central1"}}),
    ));
    ok(provider(
        "gemini",
        json!({"gemini": {"endpoint_id": "123"}}),
    ));
    ok(provider("gemini", json!({"gemini": {}})));
}

#[test]
fn rule10_no_statistics_for_anthropic_completions() {
    let cfg = json!({
        "route_type": "llm/v1/completions",
        "model": {"provider": "anthropic", "options": {"anthropic_version": "2023-06-01"}},
        "logging": {"log_statistics": true}
    });
    assert_eq!(
        refused(cfg.clone()),
        "anthropic does not support statistics when route_type is llm/v1/completions"
    );
    ok(with(cfg.clone(), "/logging/log_statistics", json!(false)));
    ok(with(cfg.clone(), "/route_type", json!("llm/v1/chat")));
    ok(with(
        with(cfg, "/model/provider", json!("openai")),
        "/model/options",
        json!({}),
    ));
}

#[test]
fn rule11_native_formats_pair_with_chat_and_their_provider() {
    assert_eq!(
        refused(with(
            with(
                provider("gemini", json!({})),
                "/llm_format",
                json!("gemini")
            ),
            "/route_type",
            json!("llm/v1/completions")
        )),
        "native provider options in llm_format can only be used with the 'llm/v1/chat' route_type"
    );
    assert_eq!(
        refused(with(
            with(
                provider("bedrock", json!({})),
                "/llm_format",
                json!("bedrock")
            ),
            "/route_type",
            json!("llm/v1/embeddings")
        )),
        "native provider options in llm_format can only be used with the 'llm/v1/chat' route_type"
    );
    assert_eq!(
        refused(with(base(), "/llm_format", json!("bedrock"))),
        "native llm_format 'bedrock' can only be used with the 'bedrock' model.provider"
    );
    assert_eq!(
        refused(with(base(), "/llm_format", json!("gemini"))),
        "native llm_format 'gemini' can only be used with the 'gemini' model.provider"
    );
}

#[test]
fn native_formats_pass_through_to_their_own_provider_only() {
    for (p, f) in [
        ("bedrock", "bedrock"),
        ("gemini", "gemini"),
        ("cohere", "cohere"),
        ("huggingface", "huggingface"),
    ] {
        ok(with(provider(p, json!({})), "/llm_format", json!(f)));
    }
    // `anthropic` goes in front of every provider, on chat (the Messages ingress).
    ok(with(
        provider("openai", json!({})),
        "/llm_format",
        json!("anthropic"),
    ));
    let embeddings = with(
        with(
            provider("openai", json!({})),
            "/llm_format",
            json!("anthropic"),
        ),
        "/route_type",
        json!("llm/v1/embeddings"),
    );
    assert_eq!(
        refused(embeddings),
        "llm_format: llm_format 'anthropic' with provider 'openai' needs route_type 'llm/v1/chat'"
    );
    assert_eq!(
        refused(with(provider("openai", json!({})), "/llm_format", json!("cohere"))),
        "llm_format: llm_format 'cohere' with provider 'openai' is not supported yet by this filter (a native format is passed through to its own provider only)"
    );
    ok(with(base(), "/llm_format", json!("openai")));
}

#[test]
fn rule12_max_request_body_size_zero_means_unlimited() {
    assert_eq!(
        ok(with(base(), "/max_request_body_size", json!(0)))
            .raw
            .max_request_body_size,
        0
    );
}

// ---------- this filter's own checks ----------

#[test]
fn upstream_url_must_be_http_or_https() {
    let url = |u: &str| with(base(), "/model/options/upstream_url", json!(u));
    for good in [
        "http://localhost:8080/v1/chat/completions",
        "https://api.example.com",
        "HTTPS://Example.com/v1?x=1",
        "http://10.0.0.1:11434/api/chat",
        "https://$(headers.x-upstream-host)/v1/chat/completions",
        "http://llm/$(uri_captures.op_path)",
    ] {
        ok(url(good));
    }
    for (bad, msg) in [
        ("localhost:8080/v1", "missing scheme in url"),
        ("/v1/chat/completions", "missing scheme in url"),
        ("$(headers.upstream)", "missing scheme in url"),
        (
            "ftp://files.example.com/x",
            "unsupported scheme 'ftp' in url (expected http or https)",
        ),
        ("http:///v1/chat", "missing host in url"),
        ("https://:8443/v1", "missing host in url"),
        (
            "https://user:pw@host/v1",
            "credentials in url are not supported",
        ),
        ("http://host:99999/v1", "invalid host or port in url"),
        ("http://host:port/v1", "invalid host or port in url"),
    ] {
        assert_eq!(
            refused(url(bad)),
            format!("model.options.upstream_url: {msg}"),
            "{bad}"
        );
    }
}

#[test]
fn uri_captures_regex_must_compile_and_name_a_group() {
    let c = ok(with(
        base(),
        "/uri_captures",
        json!("^/llm/(?<model>[^/]+)/chat$"),
    ));
    assert!(c.uri_captures.is_some());
    ok(with(base(), "/uri_captures", json!("(?P<op>.*)")));
    let e = refused(with(base(), "/uri_captures", json!("^/llm/(?<model>[^/]+")));
    assert!(e.starts_with("uri_captures: not a valid regex: "), "{e}");
    assert_eq!(
        refused(with(base(), "/uri_captures", json!("^/llm/[^/]+$"))),
        "uri_captures: the regex has no named group, e.g. (?<model>[^/]+)"
    );
}

#[test]
fn captures_come_from_the_path_without_query() {
    let c = ok(with(
        base(),
        "/uri_captures",
        json!("^/llm/(?<model>[^/]+)/(?<op>chat|completions)$"),
    ));
    let mut caps = c.captures_of("/llm/gpt-4o/chat?api-version=1");
    caps.sort();
    assert_eq!(
        caps,
        vec![
            ("model".to_string(), "gpt-4o".to_string()),
            ("op".to_string(), "chat".to_string())
        ]
    );
    assert!(c.captures_of("/other").is_empty());
    assert!(ok(base()).captures_of("/llm/x/chat").is_empty());
}

#[test]
fn warnings_for_deprecated_fields_and_dead_templates() {
    let c = ok(with(base(), "/model/options/upstream_path", json!("/v1/x")));
    assert_eq!(
        c.warnings,
        vec!["llm: config.model.options.upstream_path is deprecated, please use config.model.options.upstream_url instead"]
    );
    let c = ok(with(base(), "/model/name", json!("$(uri_captures.model)")));
    assert_eq!(
        c.warnings,
        vec!["model.name: $(uri_captures.model) needs a named group 'model' in the uri_captures regex"]
    );
    let c = ok(with(
        with(base(), "/model/name", json!("$(uri_captures.model)")),
        "/uri_captures",
        json!("/(?<model>[^/]+)$"),
    ));
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    let c = ok(with(
        base(),
        "/model/options/azure_deployment_id",
        json!("$(cookie.x)-$(headers)"),
    ));
    assert_eq!(
        c.warnings,
        vec![
            "model.options.azure_deployment_id: every request will get 400 'source 'cookie' is not supported'",
            "model.options.azure_deployment_id: every request will get 400 'cannot parse expression for field '$(cookie.x)-$(headers)''"
        ]
    );
}

// ---------- fixtures ----------

#[test]
fn fixture_configs() {
    let dir = support::fixtures().join("config");
    let mut n = 0;
    for entry in std::fs::read_dir(dir.join("valid")).unwrap() {
        let path = entry.unwrap().path();
        let cfg = support::read_json(&path);
        if let Err(e) = parse(&cfg) {
            panic!("{}: refused: {e}", path.display());
        }
        n += 1;
    }
    for entry in std::fs::read_dir(dir.join("invalid")).unwrap() {
        let path = entry.unwrap().path();
        let case = support::read_json(&path);
        match parse(&case["config"]) {
            Ok(_) => panic!("{}: accepted", path.display()),
            Err(e) => assert_eq!(
                e.to_string(),
                case["error"].as_str().unwrap(),
                "{}",
                path.display()
            ),
        }
        n += 1;
    }
    assert!(n >= 10, "only {n} fixture configs");
}

#[test]
fn refusals_never_repeat_secrets() {
    let secret = "sk-very-secret-123";
    let with_auth = |cfg: Value| {
        with(
            with(cfg, "/auth/header_name", json!("Authorization")),
            "/auth/header_value",
            json!(format!("Bearer {secret}")),
        )
    };
    for cfg in [
        with(with_auth(base()), "/auth/param_value", json!(secret)),
        with(with_auth(base()), "/model/options/temperature", json!(9)),
        with(with_auth(base()), "/auth/aws_secret_access_key", json!(5)),
        with(base(), "/auth/header_value", json!(secret)),
        with(
            base(),
            "/model/options/upstream_url",
            json!(format!("https://host:99999/v1?key={secret}")),
        ),
        with(
            provider("bedrock", json!({})),
            "/auth",
            json!({"allow_override": true, "aws_secret_access_key": secret}),
        ),
    ] {
        let e = refused(cfg);
        assert!(!e.contains(secret), "{e}");
    }
}
