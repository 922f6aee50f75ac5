//! What the module holds per request while the upstream answers, in its own linear memory:
//! a worker has many calls in flight for seconds each, and a linear memory never shrinks. Many
//! 200 KB chats are sent and left unanswered; the memory may grow by a fraction of one body
//! each, not by a body each (the exchange kept the typed request until the answer, ~1.1x the
//! body per call: docs/performance.md, "Peak allocation per request").

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::harness::{self, Request, UpstreamReply};
use devhost::{testing, CallResponse, HostOptions, HttpCall, Profile, Vm};

#[path = "../../../benches/common/cases.rs"]
#[allow(dead_code)]
mod cases;

const IN_FLIGHT: usize = 32;

/// Linear memory growth with `IN_FLIGHT` requests sent and none answered, after one request
/// ran whole (so the allocator already has the pages one request needs).
fn growth_in_flight(profile: Profile, config: &str, model: &str, answer: &str) -> (usize, usize) {
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");
    let mut opts = HostOptions::with_config(profile, config);
    // Kong reads a body this size from memory when `nginx_http_client_body_buffer_size`
    // allows it, as the deployment guide says to set it.
    opts.client_body_buffer_size = 1024 * 1024;
    let mut vm = Vm::start(&module, opts).unwrap();
    let body = cases::large_chat(model);
    let headers = [("content-type", "application/json")];
    let req = Request::new("POST", "/v1/chat/completions", &headers, &body);
    let mut upstream = |_: &devhost::UpstreamRequest| UpstreamReply {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        chunks: vec![answer.as_bytes().to_vec()],
    };
    let mut calls = |_: &HttpCall| -> Option<CallResponse> { None };
    let o = harness::run(&mut vm, &req, &mut upstream, &mut calls);
    assert_eq!(o.status, 200, "{}", o.logs);

    let before = vm.memory_bytes();
    let mut ids = Vec::new();
    for _ in 0..IN_FLIGHT {
        let id = vm.new_stream().unwrap();
        vm.request_headers(id, &req.head, false);
        vm.request_body(id, &body, true);
        assert!(
            vm.request_complete(id),
            "{:?} {}",
            vm.stalled(id),
            vm.log_text()
        );
        assert!(vm.upstream_request(id).is_some());
        ids.push(id);
    }
    let after = vm.memory_bytes();
    for id in ids {
        vm.finish(id);
    }
    (after.saturating_sub(before), body.len())
}

#[test]
fn unanswered_requests_hold_almost_nothing() {
    const ANTHROPIC: &str = r#"{"route_type":"llm/v1/chat","auth":{"header_name":"x-api-key","header_value":"k"},"model":{"provider":"anthropic","name":"claude-3-5-sonnet-20240620","options":{"anthropic_version":"2023-06-01","max_tokens":512}}}"#;
    const ANTHROPIC_ANSWER: &str = r#"{"id":"msg_01","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[{"type":"text","text":"Hi!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":7}}"#;
    const OPENAI: &str = r#"{"route_type":"llm/v1/chat","auth":{"header_name":"Authorization","header_value":"Bearer k"},"model":{"provider":"openai","name":"gpt-4o"}}"#;
    const OPENAI_ANSWER: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}"#;
    for profile in [Profile::Envoy, Profile::Kong] {
        for (name, config, model, answer) in [
            (
                "anthropic",
                ANTHROPIC,
                "claude-3-5-sonnet-20240620",
                ANTHROPIC_ANSWER,
            ),
            ("openai", OPENAI, "gpt-4o", OPENAI_ANSWER),
        ] {
            let (grew, body) = growth_in_flight(profile, config, model, answer);
            println!(
                "{profile:?} {name}: {IN_FLIGHT} unanswered {body} B requests grew the linear \
                 memory by {grew} B ({} B each)",
                grew / IN_FLIGHT
            );
            // A tenth of a body each: a copy of the request kept per call would be ten times that.
            assert!(
                grew <= IN_FLIGHT * body / 10,
                "{profile:?} {name}: {grew} B for {IN_FLIGHT} requests of {body} B in flight"
            );
        }
    }
}
