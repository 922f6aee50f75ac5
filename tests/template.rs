//! Templating (docs/kong-compatibility.md §5): `$(headers.x)`,
//! `$(query_params.x)`, `$(uri_captures.x)` in `model.name` and every string under
//! `model.options`; Kong's three 400 texts; several placeholders per value; the shared config
//! is never changed by a request.

// Test helpers outside #[test] fns: a panic is how they report a failure.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use std::collections::HashMap;

use ai_proxy::config::{Config, RequestView, Template};
use ai_proxy::error::ProxyError;
use serde_json::{json, Value};

/// A request as the host shows it: lowercase header names, decoded query args, a path.
#[derive(Default)]
struct Req {
    headers: HashMap<String, String>,
    query: HashMap<String, String>,
    path: String,
}

impl Req {
    fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.insert(k.to_ascii_lowercase(), v.into());
        self
    }
    fn query(mut self, k: &str, v: &str) -> Self {
        self.query.insert(k.into(), v.into());
        self
    }
    fn path(mut self, p: &str) -> Self {
        self.path = p.into();
        self
    }
}

/// Resolves the model of `cfg` for `req`, building the view the way the exchange does.
fn resolve(cfg: &Config, req: &Req) -> Result<(Option<String>, Value), ProxyError> {
    let caps: HashMap<String, String> = cfg.captures_of(&req.path).into_iter().collect();
    let header = |k: &str| req.headers.get(k).cloned();
    let query = |k: &str| req.query.get(k).cloned();
    let capture = |k: &str| caps.get(k).cloned();
    let view = RequestView {
        header: &header,
        query: &query,
        capture: &capture,
    };
    let m = cfg.resolve_model(&view)?;
    Ok((m.name, serde_json::to_value(&m.options).unwrap()))
}

fn config(model: Value) -> Config {
    config_with(model, json!({}))
}

fn config_with(model: Value, extra: Value) -> Config {
    let mut cfg = json!({"route_type": "llm/v1/chat", "model": model});
    for (k, v) in extra.as_object().unwrap() {
        cfg[k] = v.clone();
    }
    Config::parse(cfg.to_string().as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn name_of(name: &str, req: &Req) -> Result<Option<String>, ProxyError> {
    let cfg = config(json!({"provider": "openai", "name": name}));
    resolve(&cfg, req).map(|(n, _)| n)
}

fn bad(msg: &str) -> ProxyError {
    ProxyError::BadRequest(msg.into())
}

// ---------- sources ----------

#[test]
fn header_placeholder_is_case_insensitive() {
    let req = Req::default().header("X-Model-Name", "gpt-4o");
    for t in [
        "$(headers.x-model-name)",
        "$(headers.X-Model-Name)",
        "$(headers.X-MODEL-NAME)",
    ] {
        assert_eq!(name_of(t, &req).unwrap().as_deref(), Some("gpt-4o"), "{t}");
    }
}

#[test]
fn header_placeholder_accepts_underscores_for_dashes() {
    // Kong's kong.request.get_header: `x_model_name` finds `X-Model-Name`.
    let req = Req::default().header("x-model-name", "gpt-4o");
    assert_eq!(
        name_of("$(headers.x_model_name)", &req).unwrap().as_deref(),
        Some("gpt-4o")
    );
}

#[test]
fn query_param_placeholder() {
    let req = Req::default().query("model", "gpt-4o-mini");
    assert_eq!(
        name_of("$(query_params.model)", &req).unwrap().as_deref(),
        Some("gpt-4o-mini")
    );
    // Query names are case-sensitive.
    assert_eq!(
        name_of("$(query_params.Model)", &req),
        Err(bad("query_params key Model was not provided"))
    );
}

#[test]
fn uri_capture_placeholder_reads_the_configured_regex() {
    // The docs' sdk-dynamic-model-selection route: ~/(?<model>[^#?/]+)/chat/completions$
    let cfg = config_with(
        json!({"provider": "openai", "name": "$(uri_captures.model)"}),
        json!({"uri_captures": "^/(?<model>[^#?/]+)/chat/completions$"}),
    );
    let req = Req::default().path("/gpt-4/chat/completions?x=1");
    assert_eq!(resolve(&cfg, &req).unwrap().0.as_deref(), Some("gpt-4"));
    let other = Req::default().path("/v1/embeddings");
    assert_eq!(
        resolve(&cfg, &other).unwrap_err(),
        bad("uri_captures key model was not provided")
    );
}

#[test]
fn capture_without_a_regex_is_not_provided() {
    let cfg = config(json!({"provider": "openai", "name": "$(uri_captures.model)"}));
    let req = Req::default().path("/gpt-4/chat/completions");
    assert_eq!(
        resolve(&cfg, &req).unwrap_err(),
        bad("uri_captures key model was not provided")
    );
    assert_eq!(cfg.warnings.len(), 1);
}

// ---------- composition ----------

#[test]
fn surrounding_text_is_kept() {
    // The docs' example: azure_deployment_id "west-europe-$(headers.x-model-name)".
    let cfg = config(json!({
        "provider": "azure",
        "name": "$(headers.x-model-name)",
        "options": {"azure_instance": "llm-deployment-v1",
                    "azure_deployment_id": "west-europe-$(headers.x-model-name)",
                    "azure_api_version": "2024-10-01"}
    }));
    let req = Req::default().header("x-model-name", "gpt-4o");
    let (name, options) = resolve(&cfg, &req).unwrap();
    assert_eq!(name.as_deref(), Some("gpt-4o"));
    assert_eq!(options["azure_deployment_id"], "west-europe-gpt-4o");
    assert_eq!(options["azure_instance"], "llm-deployment-v1");
    assert_eq!(options["azure_api_version"], "2024-10-01");
}

#[test]
fn several_placeholders_in_one_value() {
    let cfg = config_with(
        json!({"provider": "openai", "name": "$(uri_captures.group1)/$(uri_captures.group2)"}),
        json!({"uri_captures": "^/(?<group1>[^/]+)/(?<group2>[^/]+)/chat$"}),
    );
    let req = Req::default().path("/meta/llama-3/chat");
    assert_eq!(
        resolve(&cfg, &req).unwrap().0.as_deref(),
        Some("meta/llama-3")
    );

    let req = Req::default().header("x-a", "A").query("b", "B");
    assert_eq!(
        name_of("pre-$(headers.x-a)-mid-$(query_params.b)-post", &req)
            .unwrap()
            .as_deref(),
        Some("pre-A-mid-B-post")
    );
    assert_eq!(
        name_of("$(headers.x-a)$(headers.x-a)", &req)
            .unwrap()
            .as_deref(),
        Some("AA")
    );
}

#[test]
fn text_that_is_not_a_placeholder_is_kept() {
    let req = Req::default().header("x-a", "A");
    for literal in [
        "gpt-4o",
        "price $5",
        "$ (headers.x-a)",
        "$(headers.x-a",
        "(headers.x-a)",
    ] {
        assert_eq!(name_of(literal, &req).unwrap().as_deref(), Some(literal));
    }
    assert_eq!(
        name_of("$(headers.x-a) and $(unclosed", &req)
            .unwrap()
            .as_deref(),
        Some("A and $(unclosed")
    );
}

#[test]
fn substituted_values_are_not_rescanned() {
    let req = Req::default()
        .header("x-a", "$(headers.x-b)")
        .header("x-b", "B");
    assert_eq!(
        name_of("$(headers.x-a)", &req).unwrap().as_deref(),
        Some("$(headers.x-b)")
    );
}

#[test]
fn an_empty_value_is_provided() {
    let req = Req::default().header("x-a", "").query("q", "");
    assert_eq!(
        name_of("m$(headers.x-a)$(query_params.q)", &req)
            .unwrap()
            .as_deref(),
        Some("m")
    );
}

// ---------- Kong's 400 texts ----------

#[test]
fn missing_key_texts() {
    let req = Req::default();
    assert_eq!(
        name_of("$(headers.x-model-name)", &req),
        Err(bad("headers key x-model-name was not provided"))
    );
    // The key is quoted as written, not as looked up.
    assert_eq!(
        name_of("$(headers.X_Model)", &req),
        Err(bad("headers key X_Model was not provided"))
    );
    assert_eq!(
        name_of("$(query_params.m)", &req),
        Err(bad("query_params key m was not provided"))
    );
    assert_eq!(
        name_of("$(uri_captures.uri_cap_3)", &req),
        Err(bad("uri_captures key uri_cap_3 was not provided"))
    );
    assert_eq!(name_of("$(headers.x)", &req).unwrap_err().status(), 400);
}

#[test]
fn unsupported_source_text() {
    let req = Req::default().header("x", "1");
    assert_eq!(
        name_of("$(cookies.session)", &req),
        Err(bad("source 'cookies' is not supported"))
    );
    assert_eq!(
        name_of("$(header.x)", &req),
        Err(bad("source 'header' is not supported"))
    );
    // `$($(a.b))`: the inside is `$(a.b`, whose source is `$(a`.
    assert_eq!(
        name_of("$($(a.b))", &req),
        Err(bad("source '$(a' is not supported"))
    );
}

#[test]
fn malformed_expression_text_quotes_the_whole_value() {
    let req = Req::default().header("x", "1");
    for t in [
        "$(headers)",
        "$(headers.x.y)",
        "$()",
        "prefix-$(a.b.c)-suffix",
        "$(headers.x)-$(nodot)",
    ] {
        assert_eq!(
            name_of(t, &req),
            Err(bad(&format!("cannot parse expression for field '{t}'"))),
            "{t}"
        );
    }
}

#[test]
fn first_failing_placeholder_wins() {
    let req = Req::default();
    assert_eq!(
        name_of("$(headers.missing)-$(cookies.a)-$(bad)", &req),
        Err(bad("headers key missing was not provided"))
    );
    assert_eq!(
        name_of("$(cookies.a)-$(headers.missing)", &req),
        Err(bad("source 'cookies' is not supported"))
    );
}

#[test]
fn bad_templates_are_accepted_at_configure_time_and_reported() {
    let cfg = config(json!({"provider": "openai", "name": "$(cookies.a)"}));
    assert_eq!(
        cfg.warnings,
        vec!["model.name: every request will get 400 'source 'cookies' is not supported'"]
    );
    let t = Template::parse("x-$(a.b.c)");
    assert!(t.has_placeholders());
    assert_eq!(
        t.problems(),
        vec!["cannot parse expression for field 'x-$(a.b.c)'"]
    );
    assert!(!Template::parse("plain").has_placeholders());
}

// ---------- options ----------

#[test]
fn nested_options_and_lists_are_rendered() {
    let cfg = config_with(
        json!({
            "provider": "gemini",
            "name": "gemini-2.0-flash",
            "options": {
                "upstream_url": "https://$(headers.x-host)/v1/$(uri_captures.op)",
                "upstream_path": "/$(uri_captures.op)",
                "max_tokens": 100,
                "temperature": 0.5,
                "gemini": {"api_endpoint": "$(query_params.region)-aiplatform.googleapis.com",
                           "project_id": "$(headers.x-project)",
                           "location_id": "$(query_params.region)"},
                "bedrock": {"aws_region": "$(headers.x-region)", "embeddings_normalize": true},
                "cache_write_cost_list": [{"ttl": "5m", "cost": 1}, {"ttl": "$(headers.x-ttl)", "cost": 2}],
                "service_tier_factor": [{"tier": "$(headers.x-tier)", "factor": 1.5}]
            }
        }),
        json!({"uri_captures": "^/v1/(?<op>[a-z]+)$"}),
    );
    assert!(cfg.options_templated);
    let req = Req::default()
        .path("/v1/chat")
        .header("X-Host", "llm.internal")
        .header("x-project", "proj-1")
        .header("x-region", "eu-west-1")
        .header("x-ttl", "1h")
        .header("x-tier", "flex")
        .query("region", "us-central1");
    let (_, o) = resolve(&cfg, &req).unwrap();
    let want = json!({
        "upstream_url": "https://llm.internal/v1/chat",
        "upstream_path": "/chat",
        "gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
                   "project_id": "proj-1", "location_id": "us-central1", "endpoint_id": null,
                   "vertex_cluster": null},
        "bedrock_region": "eu-west-1",
        "ttls": ["5m", "1h"],
        "tier": "flex",
        "max_tokens": 100,
        "temperature": 0.5,
        "embeddings_normalize": true
    });
    let got = json!({
        "upstream_url": o["upstream_url"],
        "upstream_path": o["upstream_path"],
        "gemini": o["gemini"],
        "bedrock_region": o["bedrock"]["aws_region"],
        "ttls": [o["cache_write_cost_list"][0]["ttl"], o["cache_write_cost_list"][1]["ttl"]],
        "tier": o["service_tier_factor"][0]["tier"],
        "max_tokens": o["max_tokens"],
        "temperature": o["temperature"],
        "embeddings_normalize": o["bedrock"]["embeddings_normalize"]
    });
    support::assert_json_eq(&got, &want, "rendered options");
}

#[test]
fn an_error_in_the_options_is_the_request_error() {
    let cfg = config(json!({
        "provider": "azure",
        "options": {"azure_instance": "res", "azure_deployment_id": "$(headers.x-deployment)"}
    }));
    assert_eq!(
        resolve(&cfg, &Req::default()).unwrap_err(),
        bad("headers key x-deployment was not provided")
    );
}

#[test]
fn model_name_errors_come_before_option_errors() {
    let cfg = config(json!({
        "provider": "openai",
        "name": "$(headers.x-model)",
        "options": {"upstream_url": "https://$(headers.x-host)/v1"}
    }));
    assert_eq!(
        resolve(&cfg, &Req::default()).unwrap_err(),
        bad("headers key x-model was not provided")
    );
}

#[test]
fn untemplated_options_are_returned_as_configured() {
    let cfg = config(json!({
        "provider": "openai",
        "name": "gpt-4o",
        "options": {"upstream_url": "https://api.example.com/v1/chat/completions", "temperature": 0.2}
    }));
    assert!(!cfg.options_templated);
    let (name, o) = resolve(&cfg, &Req::default()).unwrap();
    assert_eq!(name.as_deref(), Some("gpt-4o"));
    assert_eq!(
        o,
        serde_json::to_value(cfg.raw.model.options.as_ref().unwrap()).unwrap()
    );
}

#[test]
fn model_alias_and_provider_are_never_templated() {
    // model_alias is matched against the request's model as written (our choice: Kong's docs
    // only name `model.name` and `model.options`).
    let cfg =
        config(json!({"provider": "openai", "name": "gpt-4o", "model_alias": "$(headers.x)"}));
    let req = Req::default().header("x", "1");
    resolve(&cfg, &req).unwrap();
    assert_eq!(cfg.raw.model.model_alias.as_deref(), Some("$(headers.x)"));
    // A templated provider is not one of the provider values.
    let e = Config::parse(
        br#"{"route_type":"llm/v1/chat","model":{"provider":"$(headers.provider)"}}"#,
    )
    .unwrap_err();
    assert_eq!(e.path, "model.provider");
}

#[test]
fn rendering_never_changes_the_shared_config() {
    let cfg = config(json!({
        "provider": "azure",
        "name": "$(headers.x-model)",
        "options": {"azure_instance": "res", "azure_deployment_id": "dep-$(headers.x-model)",
                    "gemini": {"api_endpoint": "e", "project_id": "$(headers.x-model)",
                               "location_id": "l"}}
    }));
    let before = cfg.raw.clone();
    let a = resolve(&cfg, &Req::default().header("x-model", "gpt-4o")).unwrap();
    let b = resolve(&cfg, &Req::default().header("x-model", "gpt-35")).unwrap();
    assert_eq!(a.0.as_deref(), Some("gpt-4o"));
    assert_eq!(b.0.as_deref(), Some("gpt-35"));
    assert_eq!(a.1["azure_deployment_id"], "dep-gpt-4o");
    assert_eq!(b.1["azure_deployment_id"], "dep-gpt-35");
    assert_eq!(b.1["gemini"]["project_id"], "gpt-35");
    assert!(resolve(&cfg, &Req::default()).is_err());
    assert_eq!(cfg.raw, before);
    assert_eq!(cfg.raw.model.name.as_deref(), Some("$(headers.x-model)"));
}

/// Every free-text string field of the schema under `model.options` (enums excluded: a
/// placeholder is never one of their values) is rendered, so the visitor cannot miss one.
#[test]
fn every_string_option_of_the_schema_is_templated() {
    let schema: Value = serde_json::from_str(ai_proxy::config::shape::SCHEMA_JSON).unwrap();
    let props = &schema["properties"]["model"]["properties"]["options"]["properties"];
    let mut paths = Vec::new();
    let options = fill(props, "", &mut paths);
    assert!(paths.len() >= 20, "{paths:?}");
    let cfg = config(json!({"provider": "openai", "options": options}));
    let (_, got) = resolve(&cfg, &Req::default().header("x-v", "V")).unwrap();
    for p in &paths {
        // upstream_url must stay a URL at configure time: `fill` gives it a scheme and host.
        let want = if p == "/upstream_url" {
            "http://h/V"
        } else {
            "V"
        };
        assert_eq!(got.pointer(p), Some(&json!(want)), "{p} was not rendered");
    }
}

/// Builds options with every free-text string set to `$(headers.x-v)`, other leaves to a
/// valid value; records the JSON pointers of the templated strings.
fn fill(props: &Value, at: &str, paths: &mut Vec<String>) -> Value {
    let mut out = serde_json::Map::new();
    for (name, s) in props.as_object().unwrap() {
        let here = format!("{at}/{name}");
        let v = match s["type"].as_str().unwrap() {
            "object" => fill(&s["properties"], &here, paths),
            "array" => json!([fill(&s["items"]["properties"], &format!("{here}/0"), paths)]),
            "string" if s.get("enum").is_some() => s["enum"][0].clone(),
            "string" if name == "upstream_url" => {
                paths.push(here);
                json!("http://h/$(headers.x-v)")
            }
            "string" => {
                paths.push(here);
                json!("$(headers.x-v)")
            }
            "integer" | "number" => s.get("minimum").cloned().unwrap_or(json!(1)),
            "boolean" => json!(true),
            other => panic!("unexpected type {other}"),
        };
        out.insert(name.clone(), v);
    }
    Value::Object(out)
}
