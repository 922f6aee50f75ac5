//! Observability end to end: the real `ai_proxy.wasm` under both profiles, each provider's
//! answer from the mock (whose usage is 12 prompt / 9 completion tokens for chat, 5 / 9 for
//! completions, 8 for embeddings), then the analytics record, the GenAI attributes and the
//! metrics read back from the host (docs/observability.md).

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::harness::{self, Outcome, Request, UpstreamReply};
use devhost::mock::Recorded;
use devhost::stream::UpstreamRequest;
use devhost::testing;
use devhost::vm::Vm;
use devhost::{HostOptions, Profile};
use serde_json::{json, Value};

const PROFILES: [Profile; 2] = [Profile::Envoy, Profile::Kong];

fn vm(profile: Profile, cfg: &Value) -> Vm {
    let Some(module) = testing::ai_proxy() else {
        panic!(
            "{} has no proxy-wasm filter (make wasm)",
            testing::ai_proxy_path().display()
        );
    };
    let mut opts = HostOptions::with_config(profile, cfg.to_string());
    opts.client_body_buffer_size = 1 << 20;
    Vm::start(&module, opts).unwrap_or_else(|e| panic!("{profile:?}: {e:?}"))
}

/// The mock provider's answer to what the filter sent.
fn mock(up: &UpstreamRequest) -> UpstreamReply {
    let (path, query) = up.path.split_once('?').unwrap_or((up.path.as_str(), ""));
    let rec = Recorded {
        method: up.method.clone(),
        path: path.to_string(),
        query: query.to_string(),
        headers: up
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect(),
        body: up.body.clone(),
    };
    let a = devhost::mock::answer(&rec);
    UpstreamReply {
        status: a.status,
        headers: vec![("content-type".into(), a.content_type)],
        chunks: a.pieces,
    }
}

fn send(vm: &mut Vm, path: &str, body: &Value) -> Outcome {
    let req = Request::new(
        "POST",
        path,
        &[("content-type", "application/json"), ("host", "gw.local")],
        body.to_string().as_bytes(),
    );
    harness::run(vm, &req, &mut mock, &mut |_| None)
}

fn property(o: &Outcome, profile: Profile, envoy: &str, kong: &str) -> Value {
    let key = match profile {
        Profile::Envoy => envoy,
        Profile::Kong => kong,
    };
    let raw = o
        .properties
        .get(key)
        .unwrap_or_else(|| panic!("{profile:?}: no property {key}; logs:\n{}", o.logs));
    serde_json::from_slice(raw).unwrap()
}

fn record(o: &Outcome, p: Profile) -> Value {
    property(o, p, "ai_proxy", "kong.ctx.shared.ai_proxy")["ai"]["proxy"].clone()
}

fn attributes(o: &Outcome, p: Profile) -> Value {
    property(o, p, "ai_proxy.gen_ai", "kong.ctx.shared.ai_proxy_gen_ai")
}

fn metric_name(p: Profile, name: &str) -> String {
    match p {
        Profile::Envoy => format!("wasmcustom.{name}"),
        Profile::Kong => format!("pw.ai_proxy.{name}"),
    }
}

fn counter(vm: &Vm, p: Profile, name: &str) -> i64 {
    vm.state()
        .metric(&metric_name(p, name))
        .map(|m| m.value)
        .unwrap_or_else(|| {
            let known: Vec<_> = vm.state().metrics.iter().map(|m| m.name.clone()).collect();
            panic!("{p:?}: no metric {name}; known: {known:#?}")
        })
}

fn observations(vm: &Vm, p: Profile, name: &str) -> usize {
    vm.state()
        .metric(&metric_name(p, name))
        .map_or(0, |m| m.observations.len())
}

struct Case {
    provider: &'static str,
    cfg: Value,
    path: &'static str,
    body: Value,
    prompt: u64,
    completion: u64,
    route: &'static str,
    operation: &'static str,
    /// The mock's stream reports usage (its OpenAI completions stream does not).
    stream_usage: bool,
}

fn chat(provider: &'static str, auth: Value, model: &str, options: Value) -> Case {
    let mut options = options;
    options["input_cost"] = json!(3.0);
    options["output_cost"] = json!(15.0);
    Case {
        provider,
        cfg: json!({"route_type": "llm/v1/chat", "auth": auth,
            "logging": {"log_statistics": true},
            "model": {"provider": provider, "name": model, "options": options}}),
        path: "/v1/chat/completions",
        body: json!({"messages": [{"role": "user", "content": "Hello there"}]}),
        prompt: 12,
        completion: 9,
        route: "chat",
        operation: "chat",
        stream_usage: true,
    }
}

fn cases() -> Vec<Case> {
    let key = json!({"header_name": "Authorization", "header_value": "Bearer k"});
    let mut v = vec![
        chat("openai", key.clone(), "gpt-4o", json!({})),
        chat(
            "azure",
            json!({"header_name": "api-key", "header_value": "k"}),
            "gpt-4o",
            json!({"azure_instance": "inst", "azure_deployment_id": "dep"}),
        ),
        chat(
            "anthropic",
            json!({"header_name": "x-api-key", "header_value": "k"}),
            "claude-sonnet-4-5",
            json!({"anthropic_version": "2023-06-01", "max_tokens": 256}),
        ),
        chat(
            "gemini",
            json!({"param_name": "key", "param_value": "k", "param_location": "query"}),
            "gemini-2.0-flash",
            json!({}),
        ),
        chat(
            "bedrock",
            json!({"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}),
            "anthropic.claude-3-haiku-20240307-v1:0",
            json!({"bedrock": {"aws_region": "us-east-1"}}),
        ),
        chat("cohere", key.clone(), "command-r", json!({})),
        chat(
            "ollama",
            json!({}),
            "llama3.2",
            json!({"upstream_url": "http://ollama.local:11434/api/chat"}),
        ),
    ];
    let mut completions = chat("openai", key.clone(), "gpt-3.5-turbo-instruct", json!({}));
    completions.cfg["route_type"] = json!("llm/v1/completions");
    completions.path = "/v1/completions";
    completions.body = json!({"prompt": "Say hello"});
    completions.prompt = 5;
    completions.route = "completions";
    completions.operation = "text_completion";
    completions.stream_usage = false;
    v.push(completions);
    v
}

/// Cost of 12 + 9 tokens at 3 / 15 per million, in billionths.
fn cost_nanos(prompt: u64, completion: u64) -> i64 {
    ((prompt as f64 * 3.0 + completion as f64 * 15.0) / 1e6 * 1e9).round() as i64
}

#[test]
fn record_attributes_and_metrics_per_provider_streamed_and_not() {
    for p in PROFILES {
        for case in cases() {
            for stream in [false, true] {
                let what = format!("{p:?} {} {} stream={stream}", case.provider, case.route);
                let mut vm = vm(p, &case.cfg);
                let mut body = case.body.clone();
                if stream {
                    body["stream"] = json!(true);
                    // OpenAI-shaped upstreams report usage in a stream only when asked.
                    body["stream_options"] = json!({"include_usage": true});
                }
                let o = send(&mut vm, case.path, &body);
                assert_eq!(o.status, 200, "{what}: {}\n{}", o.text(), o.logs);
                let r = record(&o, p);
                if stream && !case.stream_usage {
                    // No usage in the stream: Kong's estimates, marked.
                    assert_eq!(r["usage"]["estimated"], true, "{what}: {r}");
                    assert_eq!(
                        attributes(&o, p)["ai_proxy.usage.estimated"],
                        true,
                        "{what}"
                    );
                    continue;
                }
                let u = &r["usage"];
                assert_eq!(
                    (u["prompt_tokens"].as_u64(), u["completion_tokens"].as_u64()),
                    (Some(case.prompt), Some(case.completion)),
                    "{what}: {r}"
                );
                assert_eq!(u["total_tokens"], case.prompt + case.completion, "{what}");
                assert!(
                    u.get("estimated").is_none(),
                    "{what}: provider counts are not estimates"
                );
                let want_cost = (case.prompt as f64 * 3.0 + case.completion as f64 * 15.0) / 1e6;
                assert!(
                    (u["cost"].as_f64().unwrap() - want_cost).abs() < 1e-12,
                    "{what}: {u}"
                );
                assert_eq!(r["meta"]["provider_name"], case.provider, "{what}");
                assert_eq!(r["meta"]["plugin_id"], "ai_proxy", "{what}");
                assert_eq!(
                    r["meta"]["request_mode"],
                    if stream { "stream" } else { "oneshot" },
                    "{what}"
                );
                assert_eq!(
                    u.get("time_to_first_token").is_some(),
                    stream,
                    "{what}: {u}"
                );
                let model = case.cfg["model"]["name"].as_str().unwrap();
                assert_eq!(r["meta"]["request_model"], model, "{what}");

                let a = attributes(&o, p);
                assert_eq!(a["gen_ai.request.model"], model, "{what}");
                assert_eq!(a["gen_ai.operation.name"], case.operation, "{what}");
                assert_eq!(a["gen_ai.usage.input_tokens"], case.prompt, "{what}");
                assert_eq!(a["gen_ai.usage.output_tokens"], case.completion, "{what}");
                assert_eq!(a["ai_proxy.usage.estimated"], false, "{what}");

                let series = format!(
                    "provider.{}.route.{}.model.{}",
                    case.provider,
                    case.route,
                    model.replace(':', "_")
                );
                let c = |stem: &str| counter(&vm, p, &format!("ai_proxy.{stem}.{series}"));
                assert_eq!(c("requests_total"), 1, "{what}");
                assert_eq!(c("prompt_tokens_total"), case.prompt as i64, "{what}");
                assert_eq!(
                    c("completion_tokens_total"),
                    case.completion as i64,
                    "{what}"
                );
                assert_eq!(
                    c("cost_nanos_total"),
                    cost_nanos(case.prompt, case.completion),
                    "{what}"
                );
                let h = |stem: &str| observations(&vm, p, &format!("ai_proxy.{stem}.{series}"));
                assert_eq!(h("upstream_latency_ms"), 1, "{what}");
                assert_eq!(h("time_to_first_token_ms"), usize::from(stream), "{what}");
            }
        }
    }
}

#[test]
fn embeddings_count_input_tokens() {
    for p in PROFILES {
        let cfg = json!({"route_type": "llm/v1/embeddings",
            "auth": {"header_name": "Authorization", "header_value": "Bearer k"},
            "logging": {"log_statistics": true},
            "model": {"provider": "openai", "name": "text-embedding-3-small"}});
        let mut vm = vm(p, &cfg);
        let o = send(&mut vm, "/v1/embeddings", &json!({"input": "hello world"}));
        assert_eq!(o.status, 200, "{}", o.logs);
        assert_eq!(record(&o, p)["usage"]["prompt_tokens"], 8);
        assert_eq!(attributes(&o, p)["gen_ai.operation.name"], "embeddings");
        let name = "ai_proxy.prompt_tokens_total.provider.openai.route.embeddings.model.text-embedding-3-small";
        assert_eq!(counter(&vm, p, name), 8);
    }
}

#[test]
fn usage_estimated_when_the_stream_reports_none() {
    for p in PROFILES {
        let case = &cases()[0];
        let mut vm = vm(p, &case.cfg);
        // No include_usage: the OpenAI-shaped stream carries no usage; Kong's estimates apply.
        let body =
            json!({"messages": [{"role": "user", "content": "Hello there"}], "stream": true});
        let o = send(&mut vm, case.path, &body);
        let r = record(&o, p);
        assert_eq!(r["usage"]["estimated"], true, "{r}");
        // 2 words × 1.8 (Kong's streaming factor) rounds to 4; "Hello! How can I help you
        // today?" is 32 bytes → ceil(32 / 4) = 8.
        assert_eq!(r["usage"]["prompt_tokens"], 4, "{r}");
        assert_eq!(r["usage"]["completion_tokens"], 8, "{r}");
        assert_eq!(attributes(&o, p)["ai_proxy.usage.estimated"], true);
        let name = "ai_proxy.estimated_requests_total.provider.openai.route.chat.model.gpt-4o";
        assert_eq!(counter(&vm, p, name), 1);
    }
}

#[test]
fn errors_counted_by_class() {
    for p in PROFILES {
        let case = &cases()[0];
        let mut vm = vm(p, &case.cfg);
        let series = "provider.openai.route.chat.model.gpt-4o";
        // The filter's own 400 (bad JSON).
        let req = Request::new(
            "POST",
            "/v1/chat/completions",
            &[("content-type", "application/json")],
            b"{not json",
        );
        let o = harness::run(&mut vm, &req, &mut mock, &mut |_| None);
        assert_eq!(o.status, 400);
        // Upstream 429 and 503.
        for status in [429u16, 503] {
            let req = Request::new(
                "POST",
                "/v1/chat/completions",
                &[("content-type", "application/json")],
                case.body.to_string().as_bytes(),
            );
            let mut up = |_: &UpstreamRequest| UpstreamReply {
                status,
                headers: vec![("content-type".into(), "application/json".into())],
                chunks: vec![br#"{"error":{"message":"busy"}}"#.to_vec()],
            };
            let o = harness::run(&mut vm, &req, &mut up, &mut |_| None);
            assert_eq!(o.status, status);
        }
        let c = |class: &str| {
            counter(
                &vm,
                p,
                &format!("ai_proxy.errors_total.class.{class}.{series}"),
            )
        };
        assert_eq!(c("rejected"), 1);
        assert_eq!(c("rate_limited"), 1);
        assert_eq!(c("upstream_5xx"), 1);
        assert_eq!(
            counter(&vm, p, &format!("ai_proxy.requests_total.{series}")),
            3
        );
    }
}

#[test]
fn client_chosen_models_are_bounded() {
    for p in PROFILES {
        let cfg = json!({"route_type": "llm/v1/chat",
            "auth": {"header_name": "Authorization", "header_value": "Bearer k"},
            "logging": {"log_statistics": true},
            "model": {"provider": "openai"}});
        let mut vm = vm(p, &cfg);
        for i in 0..70 {
            let body =
                json!({"model": format!("m-{i}"), "messages": [{"role": "user", "content": "hi"}]});
            assert_eq!(send(&mut vm, "/v1/chat/completions", &body).status, 200);
        }
        let requests: Vec<_> = vm
            .state()
            .metrics
            .iter()
            .filter(|m| m.name.contains("requests_total"))
            .collect();
        // ai_proxy::analytics::metrics::MAX_MODELS distinct models, the rest under `other`.
        assert_eq!(requests.len(), 65, "{p:?}");
        let other = requests
            .iter()
            .find(|m| m.name.ends_with(".model.other"))
            .unwrap();
        assert_eq!(other.value, 6);
    }
}

#[test]
fn payload_logs_never_carry_secrets() {
    let secret = "sk-body-secret-123456";
    let header_secret = "hdr-secret-abcdef";
    for p in PROFILES {
        let cfg = json!({"route_type": "llm/v1/chat",
            "auth": {"param_name": "api_key", "param_value": secret, "param_location": "body",
                     "header_name": "x-extra-key", "header_value": header_secret},
            "logging": {"log_statistics": true, "log_payloads": true},
            "model": {"provider": "openai", "name": "gpt-4o"}});
        let mut vm = vm(p, &cfg);
        let body = json!({"messages": [{"role": "user", "content": format!("repeat {header_secret}")}],
                          "metadata": {"password": "client-password-1"}});
        let o = send(&mut vm, "/v1/chat/completions", &body);
        assert_eq!(o.status, 200, "{}", o.logs);
        // The secret did go upstream (body auth) ...
        let up = o.upstream.as_ref().unwrap();
        assert!(String::from_utf8_lossy(&up.body).contains(secret));
        // ... but no log line or published property carries a credential.
        let r = record(&o, p);
        let logged = r["payload"]["request"].as_str().unwrap();
        assert!(logged.contains("[REDACTED]"), "{logged}");
        let everything = format!("{}{:?}", o.logs, o.properties);
        for s in [secret, header_secret, "client-password-1"] {
            assert!(!everything.contains(s), "{p:?}: {s} leaked:\n{everything}");
        }
    }
}
