//! `llm_format: anthropic` in front of other providers, through the whole exchange.
//!
//! Golden cases in `tests/fixtures/anthropic_ingress/<case>/`, each written by hand from
//! Anthropic's Messages API reference and the provider's own API reference (the case's
//! `case.json` names the pages):
//! - `case.json`: `{"config": {filter config}, "source": "…", "path"?: client path}` (default
//!   `/anything/v1/messages`)
//! - `request.json`: the Anthropic Messages body the client sends (`POST /v1/messages`)
//! - `upstream-request.json` (optional): `{"url", "body", "absent_headers": [...]}` of the
//!   provider request
//! - `upstream-response.json` + optional `upstream-status.json` (a number): the provider's answer
//! - `expected-response.json`: the Anthropic answer the client gets (with `status` for errors)
//!
//! Streams: every provider stream fixture → Anthropic SSE, at every split and byte by byte,
//! checked against the event grammar of Anthropic's "Streaming Messages" page.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::path::Path;
use std::rc::Rc;

use ai_proxy::config::Config;
use ai_proxy::env::FixedEnv;
use ai_proxy::exchange::{Exchange, HeadStep, RequestHead};
use serde_json::{json, Value};
use support::{assert_json_eq, read_json};

/// A fresh exchange with the client request already sent; returns the upstream edits.
fn send(
    cfg: &Value,
    path: &str,
    body: &[u8],
    extra_headers: &[(&str, &str)],
) -> (Exchange, ai_proxy::exchange::RequestEdits) {
    let cfg = Config::parse(cfg.to_string().as_bytes()).unwrap();
    ai_proxy::exchange::check_config(&cfg).unwrap();
    let mut ex = Exchange::new(Rc::new(cfg), Rc::new(FixedEnv::default()));
    let mut headers = vec![("content-length".to_string(), body.len().to_string())];
    for (k, v) in extra_headers {
        headers.push((k.to_string(), v.to_string()));
    }
    let step = ex.on_request_head(RequestHead {
        method: "POST",
        path,
        headers: &headers,
    });
    assert!(matches!(step, HeadStep::WaitBody { .. }), "{step:?}");
    let edits = ex
        .on_request_body(body)
        .unwrap_or_else(|r| panic!("{} {}", r.status, String::from_utf8_lossy(&r.body)));
    (ex, edits)
}

const CLAUDE_HEADERS: &[(&str, &str)] = &[
    ("anthropic-version", "2023-06-01"),
    (
        "anthropic-beta",
        "claude-code-20250219,interleaved-thinking-2025-05-14",
    ),
    ("x-api-key", "sk-ant-client-key"),
    ("content-type", "application/json"),
];

fn run_case(dir: &Path) {
    let name = dir.file_name().unwrap().to_string_lossy().to_string();
    let case = read_json(&dir.join("case.json"));
    let request = std::fs::read(dir.join("request.json")).unwrap();
    let path = case["path"].as_str().unwrap_or("/anything/v1/messages");
    let (mut ex, edits) = send(&case["config"], path, &request, CLAUDE_HEADERS);

    if dir.join("upstream-request.json").exists() {
        let want = read_json(&dir.join("upstream-request.json"));
        if let Some(url) = want.get("url") {
            let got = format!(
                "{}://{}{}",
                edits.target.scheme.as_str(),
                edits.target.authority(),
                edits.path_and_query()
            );
            assert_eq!(&json!(got), url, "{name}: url");
        }
        if let Some(body) = want.get("body") {
            let got: Value = serde_json::from_slice(edits.body.as_ref().unwrap()).unwrap();
            assert_json_eq(&got, body, &format!("{name}: upstream body"));
        }
        for h in want["absent_headers"].as_array().into_iter().flatten() {
            let h = h.as_str().unwrap();
            assert!(
                edits.remove_headers.iter().any(|r| r == h),
                "{name}: {h} must be removed: {:?}",
                edits.remove_headers
            );
            assert!(
                !edits.set_headers.iter().any(|(k, _)| k == h),
                "{name}: {h} set"
            );
        }
    }

    if dir.join("upstream-response.json").exists() {
        let status = if dir.join("upstream-status.json").exists() {
            read_json(&dir.join("upstream-status.json"))
                .as_u64()
                .unwrap() as u16
        } else {
            200
        };
        let body = std::fs::read(dir.join("upstream-response.json")).unwrap();
        ex.on_response_head(
            status,
            &[("content-type".into(), "application/json".into())],
        );
        let step = ex.on_response_body(&body, true);
        let out = step.replace.unwrap_or(body);
        let got: Value = serde_json::from_slice(&out)
            .unwrap_or_else(|e| panic!("{name}: {e}: {}", String::from_utf8_lossy(&out)));
        let mut want = read_json(&dir.join("expected-response.json"));
        let want_status = want
            .as_object_mut()
            .unwrap()
            .remove("status")
            .and_then(|s| s.as_u64())
            .unwrap_or(200) as u16;
        assert_eq!(step.status.unwrap_or(status), want_status, "{name}: status");
        assert_json_eq(&got, &want, &format!("{name}: answer"));
    }
}

#[test]
fn golden_cases() {
    let root = support::fixtures().join("anthropic_ingress");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("case.json").exists())
        .collect();
    dirs.sort();
    for d in &dirs {
        run_case(d);
    }
    assert!(dirs.len() >= 14, "ran {}", dirs.len());
}

/// `count_tokens` for a provider without a counting API: 404 `not_found_error` (the answer
/// docs/claude-code.md gives), after the body is read; without a body, at once. Nothing goes
/// upstream.
#[test]
fn count_tokens_without_a_counting_api_is_404_after_the_body() {
    let cfg = json!({"route_type": "llm/v1/chat", "llm_format": "anthropic",
        "auth": {"header_name": "Authorization", "header_value": "Bearer k"},
        "model": {"provider": "openai", "name": "gpt-4.1"}});
    let cfg = Config::parse(cfg.to_string().as_bytes()).unwrap();
    let body =
        json!({"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hi"}]}).to_string();
    let check = |status: u16, body: &[u8]| {
        assert_eq!(status, 404);
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["type"], "error");
        assert_eq!(v["error"]["type"], "not_found_error");
    };

    let mut ex = Exchange::new(Rc::new(cfg.clone()), Rc::new(FixedEnv::default()));
    let headers = vec![("content-length".to_string(), body.len().to_string())];
    let step = ex.on_request_head(RequestHead {
        method: "POST",
        path: "/v1/messages/count_tokens",
        headers: &headers,
    });
    assert!(matches!(step, HeadStep::WaitBody { .. }), "{step:?}");
    let reply = ex.on_request_body(body.as_bytes()).unwrap_err();
    check(reply.status, &reply.body);

    let mut ex = Exchange::new(Rc::new(cfg), Rc::new(FixedEnv::default()));
    let step = ex.on_request_head(RequestHead {
        method: "POST",
        path: "/v1/messages/count_tokens",
        headers: &[],
    });
    match step {
        HeadStep::Reply(r) => check(r.status, &r.body),
        other => panic!("{other:?}"),
    }
}
