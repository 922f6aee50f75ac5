//! Injection through templating and client-chosen model names (docs/hostile-input.md
//! "Injection"): every place a request-chosen value reaches the upstream URL or a header, fed
//! with values that try to reach another path, host, query parameter or header. Each value is
//! either refused with a 400 (OpenAI-style error body) or lands escaped in its own place: same
//! host, same number of path segments, no `..` segment, same query names, no CR/LF in headers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::rc::Rc;

use ai_proxy::config::Config;
use ai_proxy::env::FixedEnv;
use ai_proxy::exchange::{Exchange, HeadStep, LocalReply, RequestEdits, RequestHead};
use serde_json::{json, Value};

/// Values that try to leave their place.
const HOSTILE: &[&str] = &[
    "a/b",
    "..",
    ".",
    "../../admin",
    "x?inject=1",
    "x#frag",
    "%2F",
    "%2E%2E",
    "user@evil.example",
    "evil.example/",
    "evil.example:1@x",
    "a\r\nx-injected: 1",
    "a\nb",
    "a\u{0}b",
    "a b",
    "é☃",
    "x&api-version=1",
    "x=y",
];

/// Where the value goes in the request.
#[derive(Clone, Copy)]
enum Via {
    Header(&'static str),
    Query(&'static str),
    /// A path segment matched by the config's `uri_captures` (the value is percent-encoded
    /// into the client path, as a client would send it).
    Capture,
    /// The body's `model`.
    BodyModel,
}

fn pct(v: &str) -> String {
    let mut out = String::new();
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn send(cfg: &Value, via: Via, value: &str, route_path: &str) -> Result<RequestEdits, LocalReply> {
    let cfg = Rc::new(Config::parse(cfg.to_string().as_bytes()).expect("config"));
    let mut ex = Exchange::new(cfg, Rc::new(FixedEnv::default()));
    let mut body = if route_path.contains("embeddings") {
        json!({"input": "hi"})
    } else {
        json!({"messages": [{"role": "user", "content": "hi"}]})
    };
    let mut headers = vec![];
    let mut path = route_path.to_string();
    match via {
        Via::Header(h) => headers.push((h.to_string(), value.to_string())),
        Via::Query(q) => path = format!("{path}?{q}={}", pct(value)),
        Via::Capture => path = format!("/cap/{}{route_path}", pct(value)),
        Via::BodyModel => body["model"] = json!(value),
    }
    let bytes = body.to_string().into_bytes();
    headers.push(("content-length".into(), bytes.len().to_string()));
    match ex.on_request_head(RequestHead {
        method: "POST",
        path: &path,
        headers: &headers,
    }) {
        HeadStep::WaitBody { .. } => ex.on_request_body(&bytes),
        HeadStep::Reply(r) => Err(r),
        HeadStep::Forward(e) => Ok(e),
        HeadStep::Call(c) => panic!("a call of the filter's own: {c:?}"),
    }
}

/// What must not change between a benign value and a hostile one.
#[derive(Debug, PartialEq)]
struct Shape {
    host: String,
    port: u16,
    segments: usize,
    query_names: Vec<String>,
}

fn shape(e: &RequestEdits, host_varies: bool) -> Shape {
    Shape {
        host: if host_varies {
            String::new()
        } else {
            e.target.host.clone()
        },
        port: e.target.port,
        segments: e.target.path.split('/').count(),
        query_names: e.target.query.iter().map(|(k, _)| k.clone()).collect(),
    }
}

struct Site {
    name: &'static str,
    cfg: Value,
    via: Via,
    route_path: &'static str,
    /// The host is built from the value (a host fragment); checked by `host_suffix` instead.
    host_suffix: Option<&'static str>,
}

fn with(provider: &str, route: &str, name: Option<&str>, options: Value, captures: bool) -> Value {
    let mut model = json!({"provider": provider, "options": options});
    if let Some(n) = name {
        model["name"] = json!(n);
    }
    let mut cfg = json!({"route_type": route, "model": model,
        "auth": {"header_name": "x-key", "header_value": "k"}});
    if provider == "bedrock" {
        cfg["auth"] = json!({"aws_access_key_id": "AKID", "aws_secret_access_key": "secret"});
    }
    if provider == "gemini" {
        cfg["auth"] = json!({"param_name": "key", "param_value": "k", "param_location": "query"});
    }
    if captures {
        cfg["uri_captures"] = json!("^/cap/(?<v>[^/]+)/");
    }
    cfg
}

fn sites() -> Vec<Site> {
    const CHAT: &str = "llm/v1/chat";
    const EMB: &str = "llm/v1/embeddings";
    let site = |name, cfg, via, route_path, host_suffix| Site {
        name,
        cfg,
        via,
        route_path,
        host_suffix,
    };
    vec![
        site(
            "upstream_url host",
            with(
                "openai",
                CHAT,
                Some("m"),
                json!({"upstream_url": "http://$(headers.x-v).internal:8080/v1/chat/completions"}),
                false,
            ),
            Via::Header("x-v"),
            "/v1/chat/completions",
            Some(".internal"),
        ),
        site(
            "upstream_url path",
            with(
                "openai",
                CHAT,
                Some("m"),
                json!({"upstream_url": "http://up.internal/$(headers.x-v)/chat/completions"}),
                false,
            ),
            Via::Header("x-v"),
            "/v1/chat/completions",
            None,
        ),
        site(
            "upstream_url query",
            with(
                "openai",
                CHAT,
                Some("m"),
                json!({"upstream_url": "http://up.internal/v1/chat/completions?tenant=$(query_params.t)"}),
                false,
            ),
            Via::Query("t"),
            "/v1/chat/completions",
            None,
        ),
        site(
            "upstream_url path from a uri capture",
            with(
                "openai",
                CHAT,
                Some("m"),
                json!({"upstream_url": "http://up.internal/$(uri_captures.v)/chat/completions"}),
                true,
            ),
            Via::Capture,
            "/v1/chat/completions",
            None,
        ),
        site(
            "upstream_path",
            with(
                "openai",
                CHAT,
                Some("m"),
                json!({"upstream_path": "/v1/$(uri_captures.v)/chat/completions"}),
                true,
            ),
            Via::Capture,
            "/v1/chat/completions",
            None,
        ),
        site(
            "azure_instance",
            with(
                "azure",
                CHAT,
                Some("m"),
                json!({"azure_instance": "$(headers.x-v)", "azure_deployment_id": "d"}),
                false,
            ),
            Via::Header("x-v"),
            "/v1/chat/completions",
            Some(".openai.azure.com"),
        ),
        site(
            "azure_deployment_id",
            with(
                "azure",
                CHAT,
                Some("m"),
                json!({"azure_instance": "inst", "azure_deployment_id": "$(uri_captures.v)"}),
                true,
            ),
            Via::Capture,
            "/v1/chat/completions",
            None,
        ),
        site(
            "azure_api_version",
            with(
                "azure",
                CHAT,
                Some("m"),
                json!({"azure_instance": "inst", "azure_deployment_id": "d",
                       "azure_api_version": "$(query_params.v)"}),
                false,
            ),
            Via::Query("v"),
            "/v1/chat/completions",
            None,
        ),
        site(
            "databricks workspace",
            with(
                "databricks",
                CHAT,
                Some("m"),
                json!({"databricks": {"workspace_instance_id": "$(headers.x-v)"}}),
                false,
            ),
            Via::Header("x-v"),
            "/v1/chat/completions",
            Some(".cloud.databricks.com"),
        ),
        site(
            "gemini vertex api_endpoint",
            with(
                "gemini",
                CHAT,
                Some("gemini-2.0-flash"),
                json!({"gemini": {"api_endpoint": "$(headers.x-v)-aiplatform.googleapis.com",
                    "project_id": "p", "location_id": "us-central1"}}),
                false,
            ),
            Via::Header("x-v"),
            "/v1/chat/completions",
            Some("-aiplatform.googleapis.com"),
        ),
        site(
            "gemini vertex project_id",
            with(
                "gemini",
                CHAT,
                Some("gemini-2.0-flash"),
                json!({"gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
                    "project_id": "$(headers.x-v)", "location_id": "us-central1"}}),
                false,
            ),
            Via::Header("x-v"),
            "/v1/chat/completions",
            None,
        ),
        site(
            "gemini vertex location_id",
            with(
                "gemini",
                CHAT,
                Some("gemini-2.0-flash"),
                json!({"gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
                    "project_id": "p", "location_id": "$(query_params.v)"}}),
                false,
            ),
            Via::Query("v"),
            "/v1/chat/completions",
            None,
        ),
        site(
            "gemini model from model.name template",
            with("gemini", CHAT, Some("$(headers.x-v)"), json!({}), false),
            Via::Header("x-v"),
            "/v1/chat/completions",
            None,
        ),
        site(
            "gemini model from the body",
            with("gemini", CHAT, None, json!({}), false),
            Via::BodyModel,
            "/v1/chat/completions",
            None,
        ),
        site(
            "bedrock model from the body",
            with(
                "bedrock",
                CHAT,
                None,
                json!({"bedrock": {"aws_region": "us-east-1"}}),
                false,
            ),
            Via::BodyModel,
            "/v1/chat/completions",
            None,
        ),
        site(
            "bedrock model from a uri capture",
            with(
                "bedrock",
                CHAT,
                Some("$(uri_captures.v)"),
                json!({"bedrock": {"aws_region": "us-east-1"}}),
                true,
            ),
            Via::Capture,
            "/v1/chat/completions",
            None,
        ),
        site(
            "bedrock aws_region",
            with(
                "bedrock",
                CHAT,
                Some("m"),
                json!({"bedrock": {"aws_region": "$(headers.x-v)"}}),
                false,
            ),
            Via::Header("x-v"),
            "/v1/chat/completions",
            Some(".amazonaws.com"),
        ),
        site(
            "huggingface embeddings model from the body",
            with("huggingface", EMB, None, json!({}), false),
            Via::BodyModel,
            "/v1/embeddings",
            None,
        ),
        site(
            "anthropic_version header",
            with(
                "anthropic",
                CHAT,
                Some("m"),
                json!({"anthropic_version": "$(headers.x-v)"}),
                false,
            ),
            Via::Header("x-v"),
            "/v1/chat/completions",
            None,
        ),
    ]
}

fn benign(site: &Site) -> &'static str {
    match site.name {
        "azure_api_version" => "2024-02-01",
        "bedrock aws_region" => "us-west-2",
        "gemini vertex api_endpoint" => "us-central1",
        _ => "v1",
    }
}

fn assert_refusal(site: &Site, value: &str, r: &LocalReply) {
    assert_eq!(r.status, 400, "{}: {value:?}: {r:?}", site.name);
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(
        body["error"]["message"].is_string(),
        "{}: OpenAI-style error body: {body}",
        site.name
    );
    // A refused template value is never echoed (a client-chosen model may be).
    let text = String::from_utf8_lossy(&r.body);
    if value.len() > 3 && !matches!(site.via, Via::BodyModel) {
        assert!(!text.contains(value), "{}: echoed {value:?}", site.name);
    }
}

fn assert_contained(site: &Site, value: &str, base: &RequestEdits, got: &RequestEdits) {
    let ctx = format!("{}: {value:?} → {:?}", site.name, got.target);
    let mut want = shape(base, site.host_suffix.is_some());
    let got_shape = shape(got, site.host_suffix.is_some());
    // A Hugging Face model id is `name` or `org/name`: one more segment is its own place.
    if site.name.starts_with("huggingface") && got_shape.segments == want.segments + 1 {
        want.segments += 1;
    }
    assert_eq!(got_shape, want, "{ctx}");
    if let Some(suffix) = site.host_suffix {
        let host = &got.target.host;
        assert!(host.ends_with(suffix), "{ctx}");
        assert!(
            host.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'),
            "{ctx}"
        );
    }
    for seg in got.target.path.split('/') {
        assert!(seg != ".." && seg != ".", "{ctx}: dot segment");
    }
    for (k, v) in &got.target.query {
        for s in [k, v] {
            assert!(!s.contains(['&', '#', ' ', '\r', '\n']), "{ctx}: query {s}");
        }
    }
    let pq = got.path_and_query();
    assert!(!pq.contains(['#', ' ', '\r', '\n', '\0']), "{ctx}: {pq}");
    assert!(pq.is_ascii(), "{ctx}: {pq}");
    for (k, v) in &got.set_headers {
        assert!(
            !k.contains(['\r', '\n', ':', '\0']) && !v.contains(['\r', '\n', '\0']),
            "{ctx}: header {k}: {v:?}"
        );
        assert_ne!(k, "x-injected", "{ctx}");
    }
    let host_header = got
        .set_headers
        .iter()
        .find(|(k, _)| k == "host")
        .map(|(_, v)| v.clone());
    assert_eq!(host_header, Some(got.target.authority()), "{ctx}");
}

#[test]
fn every_template_site_escapes_or_refuses() {
    let mut refused = 0;
    let mut escaped = 0;
    for site in sites() {
        let base = send(&site.cfg, site.via, benign(&site), site.route_path)
            .unwrap_or_else(|r| panic!("{}: benign value refused: {r:?}", site.name));
        for value in HOSTILE {
            match send(&site.cfg, site.via, value, site.route_path) {
                Err(r) => {
                    assert_refusal(&site, value, &r);
                    refused += 1;
                }
                Ok(e) => {
                    assert_contained(&site, value, &base, &e);
                    escaped += 1;
                }
            }
        }
    }
    assert!(
        refused > 50 && escaped > 50,
        "{refused} refused, {escaped} escaped"
    );
}

/// Values that are fine in a host stay usable: a region, a dotted instance name.
#[test]
fn plain_values_still_work_in_hosts() {
    let cfg = with(
        "azure",
        "llm/v1/chat",
        Some("m"),
        json!({"azure_instance": "$(headers.x-v)", "azure_deployment_id": "$(headers.x-d)",
               "azure_api_version": "$(query_params.v)"}),
        false,
    );
    let cfg = Rc::new(Config::parse(cfg.to_string().as_bytes()).unwrap());
    let mut ex = Exchange::new(cfg, Rc::new(FixedEnv::default()));
    let body = br#"{"messages":[{"role":"user","content":"hi"}]}"#;
    let headers = vec![
        ("x-v".to_string(), "my-inst".to_string()),
        ("x-d".to_string(), "gpt 4o/x".to_string()),
        ("content-length".to_string(), body.len().to_string()),
    ];
    let HeadStep::WaitBody { .. } = ex.on_request_head(RequestHead {
        method: "POST",
        path: "/v1/chat/completions?v=2024-02-01",
        headers: &headers,
    }) else {
        panic!("head")
    };
    let e = ex.on_request_body(body).unwrap();
    assert_eq!(e.target.host, "my-inst.openai.azure.com");
    assert_eq!(
        e.path_and_query(),
        "/openai/deployments/gpt%204o%2Fx/chat/completions?v=2024-02-01&api-version=2024-02-01"
    );
}

/// A Bedrock model id with `:` and an inference-profile ARN (AWS Bedrock API reference:
/// `modelId` is a URI path parameter; an ARN is sent URL-encoded) stay one segment, and the
/// request is still signed.
#[test]
fn bedrock_model_ids_and_arns_are_one_segment() {
    let cfg = with(
        "bedrock",
        "llm/v1/chat",
        None,
        json!({"bedrock": {"aws_region": "us-east-1"}}),
        false,
    );
    for (model, path) in [
        (
            "anthropic.claude-3-haiku-20240307-v1:0",
            "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
        ),
        (
            "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0",
            "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-haiku-20240307-v1%3A0/converse",
        ),
    ] {
        let e = send(&cfg, Via::BodyModel, model, "/v1/chat/completions").unwrap();
        assert_eq!(e.target.path, path);
        assert!(e.set_headers.iter().any(|(k, _)| k == "authorization"));
    }
}
