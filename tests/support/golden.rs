//! The golden-fixture runner: for every case of a provider, encode `request.json` and compare
//! with `upstream-request.json`, then decode `upstream-response.json` and compare with
//! `expected-response.json`. Comparison is on JSON values, never bytes.

#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;

use ai_proxy::api::{LlmRequest, RouteType};
use ai_proxy::config::{ModelOptions, ProviderName};
use ai_proxy::env::FixedEnv;
use ai_proxy::providers::{self, Decoded, RequestCtx, ResponseCtx};
use serde_json::{json, Value};

use super::{assert_json_eq, provider_cases, read_json};

/// Route folder name → route type.
pub fn route_of(dir: &str) -> RouteType {
    match dir {
        "chat" => RouteType::Chat,
        "completions" => RouteType::Completions,
        "embeddings" => RouteType::Embeddings,
        "preserve" => RouteType::Preserve,
        other => panic!("unknown route folder {other}"),
    }
}

/// Parses a request body for a route.
pub fn parse_request(route: RouteType, body: &Value) -> LlmRequest {
    match route {
        RouteType::Chat => LlmRequest::Chat(serde_json::from_value(body.clone()).unwrap()),
        RouteType::Completions => {
            LlmRequest::Completions(serde_json::from_value(body.clone()).unwrap())
        }
        RouteType::Embeddings => {
            LlmRequest::Embeddings(serde_json::from_value(body.clone()).unwrap())
        }
        other => panic!("{} has no typed request", other.as_str()),
    }
}

/// Runs every case of `fixtures/providers/<dir>/`; returns how many ran (callers assert > 0).
pub fn run_provider(dir: &str, provider: ProviderName) -> usize {
    let cases = provider_cases(dir);
    for (route_dir, case, path) in &cases {
        run_case(
            provider,
            route_of(route_dir),
            &format!("{dir}/{route_dir}/{case}"),
            path,
        );
    }
    cases.len()
}

fn run_case(provider: ProviderName, route: RouteType, name: &str, path: &Path) {
    let case = read_json(&path.join("case.json"));
    let options: ModelOptions =
        serde_json::from_value(case.get("options").cloned().unwrap_or_else(|| json!({})))
            .unwrap_or_else(|e| panic!("{name}: options: {e}"));
    let model = case
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let stream = case.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let env = FixedEnv::default();
    let imp = providers::for_name(provider, &options);
    let req_ctx = RequestCtx {
        route,
        model: &model,
        options: &options,
        stream,
        client_path: "/",
        env: &env,
        body_len: 0,
    };

    let raw = read_json(&path.join("request.json"));
    let req = parse_request(route, &raw);
    let encoded = imp
        .upstream(&req_ctx)
        .and_then(|t| imp.encode(&req, raw.clone(), &req_ctx).map(|e| (t, e)));

    if path.join("expected-error.json").exists() {
        let want = read_json(&path.join("expected-error.json"));
        let err = match encoded {
            Ok(_) => panic!("{name}: expected an error, got a request"),
            Err(e) => e,
        };
        assert_eq!(
            json!({"status": err.status(), "message": err.message()}),
            want,
            "{name}: error"
        );
        return;
    }
    let (target, enc) = encoded.unwrap_or_else(|e| panic!("{name}: encode failed: {e}"));

    if path.join("upstream-request.json").exists() {
        let want = read_json(&path.join("upstream-request.json"));
        let mut url = format!(
            "{}://{}{}",
            target.scheme.as_str(),
            target.authority(),
            target.path
        );
        if !target.query.is_empty() {
            let q: Vec<String> = target
                .query
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            url.push('?');
            url.push_str(&q.join("&"));
        }
        if let Some(u) = want.get("url") {
            assert_eq!(&json!(url), u, "{name}: upstream url");
        }
        if let Some(Value::Object(h)) = want.get("headers") {
            for (k, v) in h {
                let got = enc
                    .headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(k))
                    .map(|(_, v)| json!(v))
                    .unwrap_or(Value::Null);
                assert_eq!(&got, v, "{name}: header {k}");
            }
        }
        if let Some(body) = want.get("body") {
            let got: Value = serde_json::from_slice(&enc.body)
                .unwrap_or_else(|e| panic!("{name}: encoded body is not JSON: {e}"));
            assert_json_eq(&got, body, &format!("{name}: upstream body"));
        }
    }

    if path.join("upstream-response.json").exists() {
        let upstream = std::fs::read(path.join("upstream-response.json")).unwrap();
        let resp_ctx = ResponseCtx {
            route,
            model: &model,
            options: &options,
            stream: false,
            env: &env,
        };
        let decoded = imp.decode(&upstream, &resp_ctx);
        let want = read_json(&path.join("expected-response.json"));
        match decoded {
            Ok(Decoded::Translated(r)) => {
                let got: Value = serde_json::from_slice(&r.to_json().unwrap()).unwrap();
                assert_json_eq(&got, &want, &format!("{name}: client response"));
            }
            Ok(Decoded::Unchanged) => {
                let got: Value = serde_json::from_slice(&upstream).unwrap();
                assert_json_eq(&got, &want, &format!("{name}: client response (unchanged)"));
            }
            Err(e) => {
                let got = json!({"status": 500, "message": format!("transformation failed from type {}://{}: {}", provider.as_str(), route.as_str(), e)});
                assert_json_eq(&got, &want, &format!("{name}: decode error"));
            }
        }
    }
}
