//! Host calls per request: on Envoy each `proxy_*` import the filter calls crosses the V8
//! boundary (docs/performance.md, "Where the time goes"), so their number is a budget. This
//! runs the benchmark's 1 KB chat → Anthropic request through the `.wasm` (Envoy profile) and
//! fails when a change adds host calls to that path.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::harness::{self, Request, UpstreamReply};
use devhost::{testing, CallResponse, HostOptions, HttpCall, Profile, UpstreamRequest, Vm};

const CONFIG: &str = r#"{"route_type":"llm/v1/chat","auth":{"header_name":"x-api-key","header_value":"k"},"model":{"provider":"anthropic","name":"claude-3-5-sonnet-20240620","options":{"anthropic_version":"2023-06-01","max_tokens":512}},"logging":{"log_statistics":LOG}}"#;

/// From Anthropic's Messages API reference (a text answer with usage).
const ANSWER: &str = r#"{"id":"msg_01","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[{"type":"text","text":"Hi! How can I help?"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":7}}"#;

const REQUEST: &str = r#"{"model":"claude-3-5-sonnet-20240620","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Hello there"}],"max_tokens":64}"#;

/// Host calls of the second request on one VM (the first one also reads per-VM facts).
fn calls_per_request(log_statistics: bool) -> u64 {
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");
    let cfg = CONFIG.replace("LOG", if log_statistics { "true" } else { "false" });
    let mut vm = Vm::start(&module, HostOptions::with_config(Profile::Envoy, cfg)).unwrap();
    let one = |vm: &mut Vm| {
        let req = Request::new(
            "POST",
            "/v1/chat/completions",
            &[("content-type", "application/json")],
            REQUEST.as_bytes(),
        );
        let mut upstream = |_: &UpstreamRequest| UpstreamReply {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            chunks: vec![ANSWER.as_bytes().to_vec()],
        };
        let mut calls = |_: &HttpCall| -> Option<CallResponse> { None };
        let o = harness::run(vm, &req, &mut upstream, &mut calls);
        assert_eq!(o.status, 200, "{}", o.logs);
    };
    one(&mut vm);
    let before = vm.host_calls();
    one(&mut vm);
    vm.host_calls() - before
}

#[test]
fn chat_to_anthropic_stays_within_its_host_call_budget() {
    let with = calls_per_request(true);
    let without = calls_per_request(false);
    println!("host calls per request: {with} (log_statistics on), {without} (off)");
    // docs/performance.md lists them: 24 for the request and the answer (headers and bodies
    // read and written, route cache, clock), 7 more for analytics (log line, two filter-state
    // properties, four metric samples).
    assert!(with <= 31, "{with} host calls per request (budget 31)");
    assert!(
        without <= 24,
        "{without} host calls per request (budget 24)"
    );
}
