//! The JSON Schema (`filter-config/ai_proxy.schema.json`) and the Rust config types must not
//! drift apart. Checked both ways:
//! - every schema property (every enum value, range end) is accepted by the Rust parser and read
//!   back at the same place with the same value; wrong values are refused at that path;
//! - every Rust field (a struct literal that the compiler keeps complete) exists in the schema
//!   with a matching type, every Rust enum variant is in the schema's enum;
//! - schema defaults equal the Rust defaults, in both directions;
//! - an unknown property is refused by the Rust parser and by the schema at every record;
//! - example configs are valid against the schema (checked by a small draft-4 validator written
//!   here, independent of the filter's own walker) and accepted by `Config::parse`.

// Test helpers outside #[test] fns: a panic is how they report a failure.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

#[path = "../support/mod.rs"]
mod support;

mod draft4;
mod walk;

use ai_proxy::api::RouteType;
use ai_proxy::config::schema::*;
use ai_proxy::config::shape::SCHEMA_JSON;
use ai_proxy::config::validate::parse_raw;
use ai_proxy::config::Config;
use serde_json::{json, Value};

use draft4::{schema_errors, violations, KEYWORDS};
use walk::{all_nodes, bad_values, build, dotted, good_values, is_record, pointer, same, sample};

pub(crate) fn schema() -> Value {
    serde_json::from_str(SCHEMA_JSON).unwrap()
}

// ---------- the schema itself ----------

#[test]
fn schema_is_a_draft4_subset_the_filter_understands() {
    let s = schema();
    assert_eq!(s["$schema"], "http://json-schema.org/draft-04/schema#");
    let mut checked = 0;
    for (segs, node) in all_nodes() {
        let at = dotted(&segs);
        for k in node.as_object().unwrap().keys() {
            assert!(KEYWORDS.contains(&k.as_str()), "{at}: keyword {k}");
        }
        let ty = node["type"]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: no type"));
        assert!(
            ["object", "array", "string", "integer", "number", "boolean"].contains(&ty),
            "{at}: type {ty}"
        );
        if is_record(&node) {
            assert_eq!(node["additionalProperties"], json!(false), "{at}");
            let props = node["properties"].as_object().unwrap();
            if let Some(req) = node.get("required") {
                let req = req.as_array().unwrap();
                assert!(!req.is_empty(), "{at}: draft 4 wants a non-empty required");
                for r in req {
                    assert!(props.contains_key(r.as_str().unwrap()), "{at}: {r}");
                }
            }
        }
        if ty == "array" {
            assert!(is_record(&node["items"]), "{at}: items");
        }
        if let Some(e) = node.get("enum") {
            for v in e.as_array().unwrap() {
                let mut out = Vec::new();
                violations(v, &json!({"type": ty}), &at, &mut out);
                assert!(out.is_empty(), "{at}: enum value {v}");
            }
        }
        if let Some(d) = node.get("default") {
            let mut out = Vec::new();
            violations(d, &node, &at, &mut out);
            assert!(out.is_empty(), "{at}: default {d}: {out:?}");
        }
        checked += 1;
    }
    assert!(checked >= 90, "only {checked} nodes");
}

// ---------- schema → Rust ----------

#[test]
fn every_schema_property_is_accepted_and_read_back() {
    let root = schema();
    let mut leaves = 0;
    for (segs, node) in all_nodes() {
        if segs.is_empty() || is_record(&node) || node["type"] == "array" {
            continue;
        }
        let name = segs.last().unwrap().clone().unwrap();
        for v in good_values(&node, &name) {
            let cfg = build(&root, &segs, &v);
            let at = dotted(&segs);
            assert!(
                schema_errors(&cfg).is_empty(),
                "{at}={v}: {:?}",
                schema_errors(&cfg)
            );
            let raw = parse_raw(cfg.to_string().as_bytes())
                .unwrap_or_else(|e| panic!("{at}={v} refused: {e}"));
            let back = serde_json::to_value(&raw).unwrap();
            let got = back.pointer(&pointer(&segs)).unwrap_or(&Value::Null);
            assert!(same(got, &v), "{at}: set {v}, Rust read {got}");
        }
        leaves += 1;
    }
    assert!(leaves > 70, "only {leaves} leaves");
}

#[test]
fn every_wrong_value_is_refused_at_its_path_by_both() {
    let root = schema();
    for (segs, node) in all_nodes() {
        if segs.is_empty() {
            continue;
        }
        let at = dotted(&segs);
        for (v, text) in bad_values(&node) {
            let cfg = build(&root, &segs, &v);
            assert!(!schema_errors(&cfg).is_empty(), "{at}={v}: schema accepts");
            let e = parse_raw(cfg.to_string().as_bytes())
                .err()
                .unwrap_or_else(|| panic!("{at}={v}: Rust accepts"));
            assert_eq!(e.path, at, "{at}={v}: {e}");
            assert!(e.message.starts_with(text), "{at}={v}: {e}");
        }
    }
}

#[test]
fn an_unknown_property_is_refused_by_both_at_every_record() {
    let root = schema();
    let mut records = 0;
    for (segs, node) in all_nodes() {
        if !is_record(&node) {
            continue;
        }
        let mut unknown = segs.clone();
        unknown.push(Some("zz_unknown".into()));
        let cfg = build(&root, &unknown, &json!(true));
        assert!(!schema_errors(&cfg).is_empty(), "{}", dotted(&unknown));
        let e = parse_raw(cfg.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}: unknown field", dotted(&unknown))
        );
        records += 1;
    }
    assert!(records >= 14, "only {records} records");
}

// ---------- Rust → schema ----------

/// Every field of every config struct, each set (the literal has no `..Default::default()`, so
/// a new Rust field fails to compile here until it is added, and then must be in the schema).
fn full_config() -> RawConfig {
    RawConfig {
        route_type: RouteType::Chat,
        auth: Some(AuthConfig {
            header_name: Some("Authorization".into()),
            header_value: Some("Bearer k".into()),
            param_name: Some("key".into()),
            param_value: Some("k".into()),
            param_location: Some(ParamLocation::Query),
            allow_override: true,
            azure_use_managed_identity: true,
            azure_client_id: Some("c".into()),
            azure_client_secret: Some("s".into()),
            azure_tenant_id: Some("t".into()),
            gcp_use_service_account: true,
            gcp_service_account_json: Some("{}".into()),
            gcp_metadata_url: Some("http://metadata".into()),
            gcp_oauth_token_url: Some("https://oauth2".into()),
            aws_access_key_id: Some("AKID".into()),
            aws_secret_access_key: Some("secret".into()),
            aws_session_token: Some("token".into()),
            gcp_token_cluster: Some("gcp_token".into()),
            azure_token_cluster: Some("azure_token".into()),
            azure_identity_endpoint: Some("http://127.0.0.1:41000/msi/token".into()),
            azure_identity_header: Some("header".into()),
            azure_authority_url: Some("https://login.microsoftonline.us".into()),
            aws_web_identity_token: Some("oidc".into()),
            aws_container_credentials_url: Some("http://169.254.170.2/v2/credentials/x".into()),
            aws_container_authorization_token: Some("auth".into()),
            aws_use_instance_metadata: true,
            aws_imds_url: Some("http://169.254.169.254".into()),
            aws_credentials_cluster: Some("aws_creds".into()),
            aws_sts_cluster: Some("aws_sts".into()),
            identity_timeout_ms: Some(5000),
        }),
        model: ModelConfig {
            provider: ProviderName::Openai,
            name: Some("gpt-4o".into()),
            model_alias: Some("alias".into()),
            options: Some(ModelOptions {
                max_tokens: Some(256),
                temperature: Some(0.5),
                top_p: Some(0.9),
                top_k: Some(40),
                input_cost: Some(2.5),
                output_cost: Some(10.0),
                cache_read_cost: Some(1.25),
                cache_write_cost: Some(3.75),
                cache_write_cost_list: Some(vec![CacheWriteCost {
                    ttl: "5m".into(),
                    cost: 3.75,
                }]),
                context_window_factor: Some(vec![ContextWindowFactor {
                    above: "200000".into(),
                    input_factor: 2.0,
                    output_factor: 1.5,
                }]),
                service_tier_factor: Some(vec![ServiceTierFactor {
                    tier: "flex".into(),
                    factor: 0.5,
                }]),
                embeddings_dimensions: Some(256),
                upstream_url: Some("https://example.com/v1".into()),
                upstream_path: Some("/v1/x".into()),
                anthropic_version: Some("2023-06-01".into()),
                azure_instance: Some("i".into()),
                azure_deployment_id: Some("d".into()),
                azure_api_version: Some("2024-10-21".into()),
                llama2_format: Some(Llama2Format::Openai),
                mistral_format: Some(MistralFormat::Openai),
                gemini: Some(GeminiOptions {
                    api_endpoint: Some("e".into()),
                    project_id: Some("p".into()),
                    location_id: Some("l".into()),
                    endpoint_id: Some("1".into()),
                    vertex_cluster: Some("vertex".into()),
                }),
                bedrock: Some(BedrockOptions {
                    aws_region: Some("us-east-1".into()),
                    aws_assume_role_arn: Some("arn".into()),
                    aws_role_session_name: Some("s".into()),
                    aws_sts_endpoint_url: Some("https://sts".into()),
                    embeddings_normalize: true,
                    performance_config_latency: Some("optimized".into()),
                    video_output_s3_uri: Some("s3://b/p".into()),
                    batch_bucket_prefix: Some("s3://b/p/".into()),
                    batch_role_arn: Some("arn".into()),
                }),
                huggingface: Some(HuggingfaceOptions {
                    use_cache: Some(true),
                    wait_for_model: Some(true),
                }),
                cohere: Some(CohereOptions {
                    embedding_input_type: Some("search_query".into()),
                    wait_for_model: Some(true),
                }),
                dashscope: Some(DashscopeOptions {
                    international: false,
                }),
                databricks: Some(DatabricksOptions {
                    workspace_instance_id: Some("dbc-a-b".into()),
                }),
            }),
        },
        logging: LoggingConfig {
            log_statistics: true,
            log_payloads: true,
        },
        response_streaming: ResponseStreaming::Always,
        max_request_body_size: 0,
        model_name_header: false,
        llm_format: LlmFormat::Openai,
        genai_category: GenaiCategory::TextGeneration,
        uri_captures: Some("(?<model>[^/]+)".into()),
        max_stream_event_size: Some(4096),
    }
}

/// Checks that every member of `value` is a property of `node` with a compatible type.
fn in_schema(value: &Value, node: &Value, at: &str) {
    match value {
        Value::Object(m) => {
            assert!(
                is_record(node),
                "{at}: Rust has a record, schema has {}",
                node["type"]
            );
            for (k, v) in m {
                let sub = node["properties"]
                    .get(k)
                    .unwrap_or_else(|| panic!("{at}.{k}: Rust field missing from the schema"));
                in_schema(v, sub, &format!("{at}.{k}"));
            }
        }
        Value::Array(items) => {
            assert_eq!(node["type"], "array", "{at}");
            for item in items {
                in_schema(item, &node["items"], &format!("{at}[]"));
            }
        }
        Value::Null => panic!("{at}: not set in full_config()"),
        leaf => {
            let mut out = Vec::new();
            violations(leaf, node, at, &mut out);
            assert!(out.is_empty(), "{out:?}");
        }
    }
}

#[test]
fn every_rust_field_is_in_the_schema() {
    let full = serde_json::to_value(full_config()).unwrap();
    in_schema(&full, &schema(), "config");
    assert!(
        schema_errors(&full).is_empty(),
        "{:?}",
        schema_errors(&full)
    );
    // And the Rust parser reads its own output back.
    let again = parse_raw(full.to_string().as_bytes()).unwrap();
    assert_eq!(again, full_config());
}

/// Lists every variant; the exhaustive `match` stops compiling when a variant is added.
macro_rules! variants {
    ($t:ident: $($v:ident),+ $(,)?) => {{
        let all = vec![$($t::$v),+];
        for x in &all {
            match x { $($t::$v)|+ => {} }
        }
        all.into_iter().map(|v| serde_json::to_value(v).unwrap()).collect::<Vec<Value>>()
    }};
}

fn enum_of(dotted_path: &str) -> Vec<Value> {
    let mut node = schema();
    for name in dotted_path.split('.') {
        node = node["properties"][name].clone();
    }
    node["enum"].as_array().unwrap().clone()
}

fn assert_same_set(rust: Vec<Value>, schema: Vec<Value>, what: &str) {
    for v in &rust {
        assert!(
            schema.contains(v),
            "{what}: Rust variant {v} not in the schema"
        );
    }
    for v in &schema {
        assert!(rust.contains(v), "{what}: schema value {v} not in Rust");
    }
}

#[test]
fn every_rust_enum_matches_the_schema_enum() {
    assert_same_set(
        variants!(ProviderName: Openai, Azure, Anthropic, Cohere, Mistral, Llama2, Gemini,
            Bedrock, Huggingface, Cerebras, Dashscope, Xai, Databricks, Deepseek, Ollama, Vllm),
        enum_of("model.provider"),
        "model.provider",
    );
    assert_same_set(
        variants!(ResponseStreaming: Allow, Deny, Always),
        enum_of("response_streaming"),
        "response_streaming",
    );
    assert_same_set(
        variants!(LlmFormat: Openai, Bedrock, Gemini, Cohere, Huggingface, Anthropic),
        enum_of("llm_format"),
        "llm_format",
    );
    assert_same_set(
        variants!(GenaiCategory: TextGeneration, TextEmbeddings, AudioSpeech,
            AudioTranscription, ImageGeneration, VideoGeneration),
        enum_of("genai_category"),
        "genai_category",
    );
    assert_same_set(
        variants!(ParamLocation: Query, Body),
        enum_of("auth.param_location"),
        "auth.param_location",
    );
    assert_same_set(
        variants!(Llama2Format: Raw, Openai, Ollama),
        enum_of("model.options.llama2_format"),
        "llama2_format",
    );
    assert_same_set(
        variants!(MistralFormat: Openai, Ollama),
        enum_of("model.options.mistral_format"),
        "mistral_format",
    );
    // route_type: the Rust enum is exactly Kong's enum.
    let route_types = variants!(RouteType: Chat, Completions, Embeddings, Files, Batches,
        Assistants, Responses, AudioSpeech, AudioTranscriptions, AudioTranslations,
        ImageGenerations, ImageEdits, VideoGenerations, Realtime, Preserve);
    assert_same_set(route_types, enum_of("route_type"), "route_type");
    assert_eq!(RouteType::ALL.len(), 15);
    // as_str() agrees with serde.
    for p in [
        ProviderName::Openai,
        ProviderName::Llama2,
        ProviderName::Vllm,
    ] {
        assert_eq!(serde_json::to_value(p).unwrap(), json!(p.as_str()));
    }
    for f in [LlmFormat::Openai, LlmFormat::Anthropic] {
        assert_eq!(serde_json::to_value(f).unwrap(), json!(f.as_str()));
    }
}

// ---------- defaults ----------

/// `parsed` (what Rust filled in) against the schema's defaults: a schema default must be the
/// Rust value; a Rust value with no schema default is drift (records recurse).
fn defaults_agree(parsed: &Value, node: &Value, at: &str) {
    if let Some(d) = node.get("default") {
        assert!(
            same(parsed, d),
            "{at}: schema default {d}, Rust default {parsed}"
        );
        return;
    }
    match parsed {
        Value::Null => {}
        Value::Object(m) if is_record(node) => {
            for (name, sub) in node["properties"].as_object().unwrap() {
                let v = m.get(name).unwrap_or(&Value::Null);
                defaults_agree(v, sub, &format!("{at}.{name}"));
            }
        }
        other => panic!("{at}: Rust fills in {other}, the schema has no default"),
    }
}

/// Every record (not array items) present and empty, required fields sampled.
fn empty_records(node: &Value) -> Value {
    let mut v = sample(node, None);
    for (name, sub) in node["properties"].as_object().unwrap() {
        if is_record(sub) {
            v[name] = empty_records(sub);
        }
    }
    v
}

#[test]
fn schema_defaults_equal_rust_defaults() {
    let s = schema();
    for cfg in [sample(&s, None), empty_records(&s)] {
        let raw = parse_raw(cfg.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let parsed = serde_json::to_value(&raw).unwrap();
        // Given values are not defaults: compare only what the input left out.
        let mut filled = parsed.clone();
        filled["route_type"] = Value::Null;
        filled["model"]["provider"] = Value::Null;
        defaults_agree(&filled, &s, "config");
    }
    // Default impls equal an empty record.
    assert_eq!(
        serde_json::to_value(ModelOptions::default()).unwrap(),
        serde_json::to_value(serde_json::from_value::<ModelOptions>(json!({})).unwrap()).unwrap()
    );
    for (d, empty) in [
        (
            json!(CohereOptions::default()),
            json!(serde_json::from_value::<CohereOptions>(json!({})).unwrap()),
        ),
        (
            json!(DashscopeOptions::default()),
            json!(serde_json::from_value::<DashscopeOptions>(json!({})).unwrap()),
        ),
        (
            json!(BedrockOptions::default()),
            json!(serde_json::from_value::<BedrockOptions>(json!({})).unwrap()),
        ),
        (
            json!(AuthConfig::default()),
            json!(serde_json::from_value::<AuthConfig>(json!({})).unwrap()),
        ),
        (
            json!(LoggingConfig::default()),
            json!(serde_json::from_value::<LoggingConfig>(json!({})).unwrap()),
        ),
    ] {
        assert_eq!(d, empty);
    }
}

// ---------- examples ----------

#[test]
fn example_configs_are_valid_against_the_schema_and_accepted() {
    let mut files = Vec::new();
    let valid = support::fixtures().join("config/valid");
    for e in std::fs::read_dir(valid).unwrap() {
        files.push(e.unwrap().path());
    }
    // The declarative configs shipped in filter-config/ (all but the schema itself).
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("filter-config");
    for e in std::fs::read_dir(shipped).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json")
            && p.file_name().is_some_and(|n| n != "ai_proxy.schema.json")
        {
            files.push(p);
        }
    }
    assert!(files.len() >= 10);
    for p in &files {
        let cfg = support::read_json(p);
        assert_eq!(schema_errors(&cfg), Vec::<String>::new(), "{}", p.display());
        if let Err(e) = Config::parse(cfg.to_string().as_bytes()) {
            panic!("{}: {e}", p.display());
        }
    }
}

#[test]
fn schema_level_invalid_fixtures_are_refused_by_the_schema_too() {
    let dir = support::fixtures().join("config/invalid");
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let case = support::read_json(&p);
        let err = case["error"].as_str().unwrap();
        let structural = ["unknown field", "value should be between", "expected "]
            .iter()
            .any(|t| err.contains(t));
        assert_eq!(
            !schema_errors(&case["config"]).is_empty(),
            structural,
            "{}",
            p.display()
        );
    }
}
