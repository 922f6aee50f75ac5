// The fuzz targets of docs/hostile-input.md "Fuzzing", shared by the cargo-fuzz binary
// (`fuzz/fuzz_targets/exchange.rs`, nightly; the target named by `AI_PROXY_FUZZ_TARGET`) and
// the stable driver (`tests/fuzz.rs`): one
// function per target name, each checking properties beyond "does not panic".
//
// Included with `include!`, so it is plain items (no inner attributes or docs).

use std::rc::Rc;

use ai_proxy::config::{Config, RequestView, Template};
use ai_proxy::env::FixedEnv;
use ai_proxy::exchange::{Exchange, HeadStep, LocalReply, RequestEdits, RequestHead};
use serde_json::{json, Value};

/// Provider configs the request, response and stream targets run against.
pub fn provider_configs() -> Vec<(&'static str, Value)> {
    let chat = |p: &str, o: Value| {
        json!({"route_type": "llm/v1/chat", "model": {"provider": p, "name": "m", "options": o},
               "logging": {"log_statistics": true, "log_payloads": true}})
    };
    let route = |r: &str, p: &str, o: Value| {
        json!({"route_type": r, "model": {"provider": p, "name": "m", "options": o}})
    };
    vec![
        ("openai", chat("openai", json!({}))),
        (
            "azure",
            chat("azure", json!({"azure_instance": "i", "azure_deployment_id": "d"})),
        ),
        ("anthropic", chat("anthropic", json!({"anthropic_version": "2023-06-01"}))),
        ("gemini", chat("gemini", json!({}))),
        (
            "gemini_vertex",
            chat("gemini", json!({"gemini": {"api_endpoint": "us-aiplatform.googleapis.com",
                "project_id": "p", "location_id": "us"}})),
        ),
        ("bedrock", {
            let mut c = chat("bedrock", json!({"bedrock": {"aws_region": "us-east-1"}}));
            c["auth"] = json!({"aws_access_key_id": "AKID", "aws_secret_access_key": "s"});
            c
        }),
        ("cohere", chat("cohere", json!({}))),
        ("huggingface", chat("huggingface", json!({}))),
        ("ollama", chat("ollama", json!({}))),
        (
            "llama2_raw",
            chat("llama2", json!({"llama2_format": "raw", "upstream_url": "http://h:1/"})),
        ),
        (
            "mistral_ollama",
            chat("mistral", json!({"mistral_format": "ollama", "upstream_url": "http://h:1/"})),
        ),
        (
            "anthropic_completions",
            route("llm/v1/completions", "anthropic", json!({"anthropic_version": "2023-06-01"})),
        ),
        ("gemini_embeddings", route("llm/v1/embeddings", "gemini", json!({}))),
        (
            "bedrock_embeddings",
            json!({"route_type": "llm/v1/embeddings", "model": {"provider": "bedrock",
                "name": "amazon.titan-embed-text-v2:0",
                "options": {"bedrock": {"aws_region": "us-east-1"}}},
                "auth": {"aws_access_key_id": "AKID", "aws_secret_access_key": "s"}}),
        ),
        ("cohere_embeddings", route("llm/v1/embeddings", "cohere", json!({}))),
        ("ollama_embeddings", route("llm/v1/embeddings", "ollama", json!({}))),
    ]
}

/// Every target name: `config`, `template`, then `request/…`, `response/…`, `stream/…` per
/// provider config.
pub fn target_names() -> Vec<String> {
    let mut out = vec!["config".to_string(), "template".to_string()];
    for kind in ["request", "response", "stream"] {
        for (name, _) in provider_configs() {
            out.push(format!("{kind}/{name}"));
        }
    }
    out
}

/// Runs one input through one target; panics (a finding) when a property fails.
pub fn run_target(target: &str, data: &[u8]) {
    match target.split_once('/') {
        None if target == "config" => fuzz_config(data),
        None if target == "template" => fuzz_template(data),
        Some((kind, provider)) => {
            let cfg = provider_config(provider);
            match kind {
                "request" => fuzz_request(&cfg, data),
                "response" => fuzz_response(&cfg, data, false),
                "stream" => fuzz_response(&cfg, data, true),
                _ => panic!("unknown fuzz target {target}"),
            }
        }
        None => panic!("unknown fuzz target {target}"),
    }
}

thread_local! {
    /// Parsed provider configs, by name: parsed once per process, not per execution.
    static PARSED: std::cell::RefCell<std::collections::HashMap<String, Rc<Config>>> =
        std::cell::RefCell::default();
}

/// The parsed provider config `name` of [`provider_configs`].
fn provider_config(name: &str) -> Rc<Config> {
    PARSED.with(|p| {
        p.borrow_mut()
            .entry(name.to_string())
            .or_insert_with(|| {
                let cfg = provider_configs()
                    .into_iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, c)| c)
                    .unwrap_or_else(|| panic!("unknown fuzz target provider {name}"));
                Rc::new(Config::parse(cfg.to_string().as_bytes()).expect("config"))
            })
            .clone()
    })
}

/// A config is parsed or refused with a named reason; a parsed one parses again the same.
fn fuzz_config(data: &[u8]) {
    match Config::parse(data) {
        Ok(cfg) => {
            let _ = ai_proxy::exchange::check_config(&cfg);
        }
        Err(e) => {
            for p in e.problems() {
                assert!(!p.message.is_empty(), "empty config error");
            }
        }
    }
}

/// Splits `data` at the first `\n`: the template, then the value every lookup returns.
fn fuzz_template(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (tpl, value) = text.split_once('\n').unwrap_or((&text, "v"));
    let t = Template::parse(tpl);
    let value = value.to_string();
    let look = |_: &str| Some(value.clone());
    let view = RequestView {
        header: &look,
        query: &look,
        capture: &look,
    };
    if let Ok(out) = t.render(&view) {
        assert!(
            !out.bytes().any(|b| b < 0x20 && !tpl.as_bytes().contains(&b)),
            "control character from a value: {out:?}"
        );
    }
    // The same template as an upstream URL: a value never adds a host, path or query.
    let cfg = json!({"route_type": "llm/v1/chat", "model": {"provider": "openai", "name": "m",
        "options": {"upstream_url": format!("http://up.internal/v1/{tpl}")}}});
    if let Ok(cfg) = Config::parse(cfg.to_string().as_bytes()) {
        let headers = vec![
            ("x-v".to_string(), value.clone()),
            ("content-length".to_string(), "2".to_string()),
        ];
        let mut ex = Exchange::new(Rc::new(cfg), Rc::new(FixedEnv::default()));
        if let HeadStep::WaitBody { early: Some(t) } = ex.on_request_head(RequestHead {
            method: "POST",
            path: "/v1/chat/completions",
            headers: &headers,
        }) {
            assert_eq!(t.host, "up.internal", "host moved: {t:?}");
        }
    }
}

fn send(cfg: &Rc<Config>, body: &[u8]) -> (Exchange, Result<RequestEdits, LocalReply>) {
    let mut ex = Exchange::new(cfg.clone(), Rc::new(FixedEnv::default()));
    let headers = vec![("content-length".to_string(), body.len().to_string())];
    let r = match ex.on_request_head(RequestHead {
        method: "POST",
        path: "/v1/chat/completions",
        headers: &headers,
    }) {
        HeadStep::WaitBody { .. } => ex.on_request_body(body),
        HeadStep::Forward(e) => Ok(e),
        // A call of the filter's own carries a request built like a forwarded one.
        HeadStep::Call(c) => Ok(c.edits),
        HeadStep::Reply(r) => Err(r),
    };
    (ex, r)
}

/// A local reply is a JSON error with a message and a 4xx/5xx status.
fn check_reply(r: &LocalReply) {
    assert!((400..600).contains(&r.status), "status {}", r.status);
    let v: Value = serde_json::from_slice(&r.body).expect("error body is JSON");
    assert!(v["error"]["message"].is_string(), "error body {v}");
}

/// Any client body: an upstream request with a JSON body and clean headers, or a 4xx JSON
/// error (a client's bytes never cause a 5xx).
fn fuzz_request(cfg: &Rc<Config>, data: &[u8]) {
    let (_, r) = send(cfg, data);
    match r {
        Ok(e) => {
            if let Some(b) = &e.body {
                assert!(serde_json::from_slice::<Value>(b).is_ok(), "body not JSON");
            }
            for (k, v) in &e.set_headers {
                assert!(!k.contains(['\r', '\n']) && !v.contains(['\r', '\n']), "{k}");
            }
        }
        Err(r) => {
            check_reply(&r);
            assert!(r.status < 500, "5xx for a client body: {}", String::from_utf8_lossy(&r.body));
        }
    }
}

/// A valid request, then `data` as the upstream answer: byte 0 picks status and content type,
/// byte 1 the chunk size. A streamed answer that ends always ends with `data: [DONE]` once.
fn fuzz_response(cfg: &Rc<Config>, data: &[u8], stream: bool) {
    let body: &[u8] = if stream {
        br#"{"messages":[{"role":"user","content":"hi"}],"prompt":null,"input":"hi","stream":true}"#
    } else {
        br#"{"messages":[{"role":"user","content":"hi"}],"input":"hi"}"#
    };
    let (mut ex, r) = send(cfg, body);
    let body_ok = r.is_ok();
    if !body_ok {
        // The completions/embeddings configs refuse the chat body: use their own shapes.
        let alt: &[u8] = if stream {
            br#"{"prompt":"hi","stream":true}"#
        } else {
            br#"{"prompt":"hi","input":"hi"}"#
        };
        let (e2, r2) = send(cfg, alt);
        if r2.is_err() {
            return;
        }
        ex = e2;
    }
    let (head, rest) = data.split_at(data.len().min(2));
    let pick = head.first().copied().unwrap_or(0);
    let status = [200u16, 200, 200, 200, 400, 429, 500, 503][usize::from(pick & 7)];
    let ct = [
        "text/event-stream",
        "application/json",
        "application/x-ndjson",
        "application/vnd.amazon.eventstream",
        "text/html",
        "application/json; charset=utf-8",
        "",
        "text/event-stream; charset=utf-8",
    ][usize::from((pick >> 3) & 7)];
    let gzip = pick & 0x40 != 0;
    let mut headers = vec![("content-type".to_string(), ct.to_string())];
    if gzip {
        headers.push(("content-encoding".to_string(), "gzip".to_string()));
    }
    ex.on_response_head(status, &headers);
    let size = usize::from(head.get(1).copied().unwrap_or(0)).max(1);
    let mut out = Vec::new();
    let mut done = false;
    for c in rest.chunks(size) {
        let step = ex.on_response_body(c, false);
        if let Some(b) = step.replace {
            out.extend(b);
        } else {
            out.extend_from_slice(c);
        }
        done |= step.done;
    }
    let last = ex.on_response_body(&[], true);
    if let Some(b) = last.replace {
        out.extend(b);
    }
    assert!(last.done || done, "response never done");
    // The filter never repeats the end of a stream (a passed-through answer may carry its own).
    let dones_in = rest.windows(12).filter(|w| w == b"data: [DONE]").count();
    let dones_out = out.windows(12).filter(|w| w == b"data: [DONE]").count();
    assert!(dones_out <= dones_in.max(1), "[DONE] repeated");
    let _ = ex.analytics_json();
}
