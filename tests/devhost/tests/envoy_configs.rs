//! The Envoy configs the project ships, in real Envoy 1.40:
//! - every `filter-config/envoy/*.yaml` passes `envoy --mode validate` (which loads the wasm and
//!   runs the filter's `on_configure` on each listener's config), and a broken filter config
//!   fails it;
//! - `envoy.yaml` itself serves a request: loopback listeners, the dynamic forward proxy swapped
//!   for a static cluster to the mock (no DNS here); the mock sees the provider's host and path;
//! - `envoy-static-clusters.yaml` (one cluster per provider host, routed on the rewritten
//!   `:authority` after `clear_route_cache`) serves one too, its clusters pointed at the mock.

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use devhost::envoy::{self, EnvoyProcess};
use devhost::mock::{MockOptions, MockServer};
use devhost::testing::{self, http};
use serde_json::{json, Value};

/// Every Envoy config the project ships.
fn shipped() -> Vec<PathBuf> {
    let dir = testing::workspace_root().join("filter-config/envoy");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    assert!(v.len() >= 2, "envoy YAMLs in {}: {v:?}", dir.display());
    v
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Points every `filename: /etc/envoy/ai_proxy.wasm` at the built filter.
fn use_built_wasm(v: &mut Value, wasm: &Path) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k == "filename" && x.as_str().is_some_and(|s| s.ends_with("ai_proxy.wasm")) {
                    *x = json!(wasm.display().to_string());
                } else {
                    use_built_wasm(x, wasm);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| use_built_wasm(x, wasm)),
        _ => {}
    }
}

/// Loopback listeners on free ports, the dynamic forward proxy filter removed and every
/// cluster replaced by a static one (same name) to `mock`.
fn localise(v: &mut Value, mock: &MockServer) {
    for l in v["static_resources"]["listeners"].as_array_mut().unwrap() {
        l["address"] = json!({"socket_address": {"address": "127.0.0.1", "port_value": 0}});
        for chain in l["filter_chains"].as_array_mut().unwrap() {
            for f in chain["filters"].as_array_mut().unwrap() {
                if let Some(hf) = f["typed_config"]["http_filters"].as_array_mut() {
                    hf.retain(|h| h["name"] != "envoy.filters.http.dynamic_forward_proxy");
                }
            }
        }
    }
    for c in v["static_resources"]["clusters"].as_array_mut().unwrap() {
        let name = c["name"].as_str().unwrap().to_string();
        *c = envoy::static_cluster(&name, "127.0.0.1", mock.addr.port(), 16 << 20);
        // A bootstrap's clusters are typed by position, not by `@type`.
        if let Some(m) = c.as_object_mut() {
            m.remove("@type");
        }
    }
}

#[test]
fn every_shipped_envoy_yaml_validates_in_envoy() {
    let wasm = envoy::built_wasm().unwrap();
    let dir = envoy::temp_dir("ai-proxy-validate").unwrap();
    for path in shipped() {
        let mut v = load(&path);
        use_built_wasm(&mut v, &wasm);
        let out = dir.join(format!(
            "{}.json",
            path.file_stem().unwrap().to_string_lossy()
        ));
        std::fs::write(&out, v.to_string()).unwrap();
        match envoy::validate(&out) {
            Ok(log) => {
                assert!(
                    envoy::problem_lines(&log).is_empty(),
                    "{}: {log}",
                    path.display()
                );
                envoy::record("envoy-real", &format!("validate {}", path.display()));
            }
            Err(log) => panic!("envoy --mode validate refused {}:\n{log}", path.display()),
        }
    }
}

#[test]
fn validate_runs_the_filters_on_configure() {
    // Same file with a config the filter refuses: validation must fail, naming the field.
    let wasm = envoy::built_wasm().unwrap();
    let path = testing::workspace_root().join("filter-config/envoy/envoy.yaml");
    let mut v = load(&path);
    use_built_wasm(&mut v, &wasm);
    let text = v.to_string().replace(
        "\\\"provider\\\": \\\"openai\\\"",
        "\\\"provider\\\": \\\"nope\\\"",
    );
    assert_ne!(text, v.to_string(), "the openai provider is in envoy.yaml");
    let out = envoy::temp_dir("ai-proxy-validate-bad")
        .unwrap()
        .join("bad.json");
    std::fs::write(&out, text).unwrap();
    let log = envoy::validate(&out).expect_err("a refused filter config must fail validation");
    assert!(
        log.contains("ai-proxy: invalid configuration"),
        "the filter's own error is in the log:\n{log}"
    );
    envoy::record("envoy-real", "validate refuses a bad filter config");
}

/// Starts Envoy with a shipped YAML made local; returns it and the mock.
fn serve(file: &str) -> (EnvoyProcess, MockServer) {
    let mock = MockServer::start(MockOptions::default()).unwrap();
    let mut v = load(
        &testing::workspace_root()
            .join("filter-config/envoy")
            .join(file),
    );
    use_built_wasm(&mut v, &envoy::built_wasm().unwrap());
    localise(&mut v, &mock);
    let e = EnvoyProcess::start(&v, "ai-proxy-shipped").unwrap();
    (e, mock)
}

fn chat(e: &EnvoyProcess, listener: &str) -> testing::HttpResponse {
    let addr = e.wait_listener(listener).unwrap();
    let body = json!({"messages": [{"role": "user", "content": "Hi"}]});
    http(
        addr,
        "POST",
        "/v1/chat/completions",
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
    .unwrap()
}

#[test]
fn shipped_envoy_yaml_serves_requests() {
    let (e, mock) = serve("envoy.yaml");
    for (listener, host, path) in [
        ("openai", "api.openai.com", "/v1/chat/completions"),
        ("anthropic", "api.anthropic.com", "/v1/messages"),
        ("self_hosted", "vllm.internal:8000", "/v1/chat/completions"),
    ] {
        let r = chat(&e, listener);
        assert_eq!(r.status, 200, "{listener}: {}", r.text());
        assert_eq!(
            r.json()["choices"][0]["message"]["content"],
            "Hello! How can I help you today?",
            "{listener}"
        );
        let seen = mock.last().unwrap();
        assert_eq!(seen.header("host"), Some(host), "{listener}");
        assert_eq!(seen.path, path, "{listener}");
        envoy::record("envoy-real", &format!("envoy.yaml {listener}"));
    }
    let bad = e.problems();
    assert!(bad.is_empty(), "{bad:?}");
}

/// The cloud identity listeners of `envoy.yaml` (Azure managed identity, Bedrock assumed role,
/// Vertex metadata token) fetch their credential through the shipped `token_*` clusters (here
/// pointed at the mock, which also answers as the identity endpoints) and send it upstream.
#[test]
fn shipped_envoy_yaml_token_clusters_serve_identity_listeners() {
    let (e, mock) = serve("envoy.yaml");
    for (listener, token_path, host) in [
        (
            "azure_mi",
            "/metadata/identity/oauth2/token",
            "my-openai-instance.openai.azure.com",
        ),
        (
            "bedrock_role",
            "/",
            "bedrock-runtime.us-east-1.amazonaws.com",
        ),
        (
            "vertex_metadata",
            "/computeMetadata/v1/instance/service-accounts/default/token",
            "us-central1-aiplatform.googleapis.com",
        ),
    ] {
        let before = mock.requests().len();
        let r = chat(&e, listener);
        assert_eq!(r.status, 200, "{listener}: {}", r.text());
        let seen = mock.requests();
        let new = seen.get(before..).unwrap_or_default();
        assert_eq!(
            new.len(),
            2,
            "{listener}: token call, then the provider: {new:?}"
        );
        assert_eq!(new[0].path, token_path, "{listener}");
        let up = &new[1];
        assert_eq!(up.header("host"), Some(host), "{listener}");
        let auth = up.header("authorization").unwrap_or_default();
        if listener == "bedrock_role" {
            assert!(
                auth.starts_with("AWS4-HMAC-SHA256 Credential=ASIAMOCKSTS"),
                "{auth}"
            );
            assert!(up.header("x-amz-security-token").is_some(), "{listener}");
        } else {
            assert!(auth.starts_with("Bearer mock-"), "{listener}: {auth}");
        }
        envoy::record(
            "envoy-real",
            &format!("envoy.yaml {listener} (cloud identity)"),
        );
    }
    let stats = e
        .admin_get("/stats?filter=cluster\\.token_.*\\.upstream_rq_total")
        .unwrap()
        .text();
    for c in ["token_azure_imds", "token_aws_sts", "token_gcp_metadata"] {
        assert!(
            stats.contains(&format!("cluster.{c}.upstream_rq_total: 1")),
            "{c}: {stats}"
        );
    }
    let bad = e.problems();
    assert!(bad.is_empty(), "{bad:?}");
}

/// The Vertex video listener of `envoy.yaml` (docs/routes.md "Video on Vertex AI"): a create
/// goes to the provider with the metadata token; a retrieve is the filter's own
/// `:fetchPredictOperation` call through the shipped `vertex_ai` cluster (here pointed at the
/// mock), with the cached token.
#[test]
fn shipped_envoy_yaml_vertex_video_polls_through_its_cluster() {
    let (e, mock) = serve("envoy.yaml");
    let addr = e.wait_listener("vertex_video").unwrap();
    let r = http(
        addr,
        "POST",
        "/v1/videos",
        &[("content-type", "application/json")],
        br#"{"prompt": "waves"}"#,
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let r = http(addr, "GET", &format!("/v1/videos/{id}"), &[], b"").unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["status"], "completed");
    let poll = mock.last().unwrap();
    assert!(
        poll.path.ends_with(":fetchPredictOperation"),
        "{}",
        poll.path
    );
    assert_eq!(
        poll.header("host"),
        Some("us-central1-aiplatform.googleapis.com")
    );
    assert!(poll
        .header("authorization")
        .is_some_and(|a| a.starts_with("Bearer mock-")));
    let stats = e
        .admin_get("/stats?filter=cluster\\.vertex_ai\\.upstream_rq_total")
        .unwrap()
        .text();
    assert!(
        stats.contains("cluster.vertex_ai.upstream_rq_total: 1"),
        "{stats}"
    );
    envoy::record("envoy-real", "envoy.yaml vertex_video (own poll)");
    let bad = e.problems();
    assert!(bad.is_empty(), "{bad:?}");
}

#[test]
fn static_clusters_route_on_the_rewritten_authority() {
    let (e, mock) = serve("envoy-static-clusters.yaml");
    for (listener, host, path) in [
        ("openai", "api.openai.com", "/v1/chat/completions"),
        ("anthropic", "api.anthropic.com", "/v1/messages"),
    ] {
        let r = chat(&e, listener);
        assert_eq!(r.status, 200, "{listener}: {}", r.text());
        let seen = mock.last().unwrap();
        assert_eq!(seen.header("host"), Some(host), "{listener}");
        assert_eq!(seen.path, path, "{listener}");
        envoy::record("envoy-real", &format!("static clusters {listener}"));
    }
    // Which cluster took each request: the route was chosen after the rewrite.
    let stats = e
        .admin_get("/stats?filter=cluster\\.(openai|anthropic)\\.upstream_rq_total")
        .unwrap()
        .text();
    assert!(
        stats.contains("cluster.openai.upstream_rq_total: 1"),
        "{stats}"
    );
    assert!(
        stats.contains("cluster.anthropic.upstream_rq_total: 1"),
        "{stats}"
    );
    // A request the filter answers itself never reaches a provider route.
    let addr = e.wait_listener("openai").unwrap();
    let r = http(addr, "GET", "/v1/chat/completions", &[], b"").unwrap();
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(e.problems().is_empty());
}
