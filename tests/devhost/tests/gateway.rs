//! `ai-gateway` behaviour with the config-driven test filter and the mock upstream: where the
//! request goes under each profile, override keeping Host and path, streaming, local
//! responses, dispatch over the network.

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::client::Target;
use devhost::gateway::{self, GatewayConfig, RunningGateway};
use devhost::mock::{MockOptions, MockServer};
use devhost::testing::{self, http};
use devhost::{HostOptions, Profile};
use serde_json::{json, Value};

fn start(profile: Profile, config: Value, mock: &MockServer) -> RunningGateway {
    let cfg = GatewayConfig {
        module: testing::test_filter(),
        opts: HostOptions::with_config(profile, config.to_string()),
        upstream_override: Some(Target::from_url(&mock.url()).unwrap()),
        clusters: Vec::new(),
        log_json: false,
        quiet: true,
    };
    gateway::spawn(cfg).unwrap()
}

/// Envoy profile: the request goes where `:authority`/`:path` point after the filter; the
/// override keeps the Host header and path (docs/design.md §8).
#[test]
fn envoy_profile_forwards_to_authority_and_path_the_filter_set() {
    let mock = MockServer::start(MockOptions::default()).unwrap();
    let cfg = json!({"request_headers": {"ops": [
        {"op": "set_header", "name": ":authority", "value": "api.openai.com"},
        {"op": "set_header", "name": ":path", "value": "/v1/chat/completions"}]}});
    let gw = start(Profile::Envoy, cfg, &mock);
    let r = http(
        gw.addr,
        "POST",
        "/anything",
        &[("content-type", "application/json")],
        br#"{"model":"m","messages":[]}"#,
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["object"], "chat.completion");
    let seen = mock.last().unwrap();
    assert_eq!(seen.path, "/v1/chat/completions");
    assert_eq!(seen.header("host"), Some("api.openai.com"));
}

/// Kong profile: `kong.service.target` and `ngx.upstream_uri` decide (docs/hosts.md §8).
#[test]
fn kong_profile_forwards_to_service_target_and_upstream_uri() {
    let mock = MockServer::start(MockOptions::default()).unwrap();
    let cfg = json!({"request_headers": {"ops": [
        {"op": "set_property", "path": ["kong", "service", "target"], "value": "api.anthropic.com:443"},
        {"op": "set_property", "path": ["kong", "service", "request", "scheme"], "value": "https"},
        {"op": "set_property", "path": ["ngx", "upstream_uri"], "value": "/v1/messages"}]}});
    let gw = start(Profile::Kong, cfg, &mock);
    let r = http(
        gw.addr,
        "POST",
        "/chat",
        &[("content-type", "application/json")],
        br#"{"model":"m","messages":[]}"#,
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["type"], "message");
    let seen = mock.last().unwrap();
    assert_eq!(seen.path, "/v1/messages");
    assert_eq!(seen.header("host"), Some("api.anthropic.com"));
}

/// Response bodies stream: chunks cut at 7 bytes by the mock arrive complete and in order
/// under both profiles (each chunk goes through on_http_response_body).
#[test]
fn streamed_answer_passes_through_on_both_profiles() {
    for p in Profile::ALL {
        let mock = MockServer::start(MockOptions {
            chunk_size: Some(7),
        })
        .unwrap();
        let cfg = json!({"request_headers": {"ops": [{"op": "set_header", "name": ":path", "value": "/v1/chat/completions"}]}});
        let gw = start(p, cfg, &mock);
        let r = http(
            gw.addr,
            "POST",
            "/v1/chat/completions",
            &[("content-type", "application/json")],
            br#"{"model":"m","stream":true,"messages":[]}"#,
        )
        .unwrap();
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let t = r.text();
        assert!(t.starts_with("data: {"), "{t}");
        assert!(t.ends_with("data: [DONE]\n\n"), "{p:?}: {t}");
    }
}

/// A local response from the filter goes to the client; nothing reaches the upstream.
#[test]
fn local_response_goes_to_the_client() {
    for p in Profile::ALL {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let cfg = json!({"request_headers": {"action": "pause", "ops": [{"op": "send_response", "status": 401, "body": "{\"error\":\"no\"}"}]}});
        let gw = start(p, cfg, &mock);
        let r = http(gw.addr, "GET", "/", &[], b"").unwrap();
        // Kong's module ends the body with a line feed (docs/hosts.md §10).
        let lf = if p == Profile::Kong { "\n" } else { "" };
        assert_eq!(
            (r.status, r.text()),
            (401, format!("{{\"error\":\"no\"}}{lf}")),
            "{p:?}"
        );
        assert!(mock.requests().is_empty());
    }
}

/// A dispatched call goes over the network (to the override) and its answer resumes the request.
#[test]
fn dispatch_goes_over_the_network_and_resumes() {
    for p in Profile::ALL {
        let mock = MockServer::start(MockOptions::default()).unwrap();
        let cfg = json!({
            "request_headers": {"action": "pause", "ops": [{"op": "dispatch", "upstream": "auth.example:80",
                "headers": [[":method", "POST"], [":path", "/v1/embeddings"], [":authority", "auth.example"]], "body": "{\"input\":\"x\"}"}]},
            "http_call_response": {"ops": [{"op": "get_body", "buffer": "call"}, {"op": "set_header", "name": ":path", "value": "/api/chat"}, {"op": "resume_request"}]}
        });
        let gw = start(p, cfg, &mock);
        let r = http(
            gw.addr,
            "POST",
            "/x",
            &[("content-type", "application/json")],
            br#"{"model":"llama3","stream":false,"messages":[]}"#,
        )
        .unwrap();
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let reqs = mock.requests();
        assert_eq!(reqs.len(), 2, "{p:?}");
        assert_eq!(reqs[0].path, "/v1/embeddings");
        assert_eq!(reqs[0].header("host"), Some("auth.example"));
        assert_eq!(reqs[1].path, "/api/chat");
        assert_eq!(r.json()["done"], true);
    }
}

/// Envoy: a trap fails the VM and the gateway answers 503 to every later request.
#[test]
fn envoy_trap_makes_later_requests_503() {
    let mock = MockServer::start(MockOptions::default()).unwrap();
    let cfg = json!({"request_headers": {"ops": [{"op": "panic", "message": "boom", "if_header": "x-panic"}]}});
    let gw = start(Profile::Envoy, cfg, &mock);
    assert_eq!(
        http(gw.addr, "GET", "/", &[("x-panic", "1")], b"")
            .unwrap()
            .status,
        503
    );
    assert_eq!(http(gw.addr, "GET", "/", &[], b"").unwrap().status, 503);
}
