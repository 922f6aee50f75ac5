//! Host calls per request: on Envoy each `proxy_*` import the filter calls crosses the V8
//! boundary (docs/performance.md, "Where the time goes"), so their number is a budget. This
//! runs the benchmark's 1 KB chat → Anthropic request through the `.wasm` (Envoy profile) and
//! fails when a change adds host calls to that path. A streamed answer costs two host calls per
//! body chunk (read it, write the translation), and no more.

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
    calls_of(log_statistics, REQUEST, "application/json", || {
        vec![ANSWER.as_bytes().to_vec()]
    })
}

/// An Anthropic stream (Messages API reference, "Streaming Messages": the event sequence of a
/// text answer) with `deltas` text deltas, one body chunk per event.
fn anthropic_stream(deltas: usize) -> Vec<Vec<u8>> {
    let event = |name: &str, data: &str| format!("event: {name}\ndata: {data}\n\n").into_bytes();
    let mut chunks = vec![
        event(
            "message_start",
            r#"{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":"claude-3-5-sonnet-20240620","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}"#,
        ),
        event(
            "content_block_start",
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        ),
    ];
    for i in 0..deltas {
        let data = format!(
            r#"{{"type":"content_block_delta","index":0,"delta":{{"type":"text_delta","text":"word{i} "}}}}"#
        );
        chunks.push(event("content_block_delta", &data));
    }
    chunks.push(event(
        "content_block_stop",
        r#"{"type":"content_block_stop","index":0}"#,
    ));
    chunks.push(event("message_delta", r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#));
    chunks.push(event("message_stop", r#"{"type":"message_stop"}"#));
    chunks
}

/// Host calls of the second request on one VM whose answer is `answer()`'s body chunks.
fn calls_of(
    log_statistics: bool,
    request: &str,
    content_type: &str,
    answer: impl Fn() -> Vec<Vec<u8>>,
) -> u64 {
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");
    let cfg = CONFIG.replace("LOG", if log_statistics { "true" } else { "false" });
    let mut vm = Vm::start(&module, HostOptions::with_config(Profile::Envoy, cfg)).unwrap();
    let one = |vm: &mut Vm| {
        let req = Request::new(
            "POST",
            "/v1/chat/completions",
            &[("content-type", "application/json")],
            request.as_bytes(),
        );
        let mut upstream = |_: &UpstreamRequest| UpstreamReply {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            chunks: answer(),
        };
        let mut calls = |_: &HttpCall| -> Option<CallResponse> { None };
        let o = harness::run(vm, &req, &mut upstream, &mut calls);
        assert_eq!(o.status, 200, "{}", o.logs);
        // Translated into OpenAI's shape (a chat completion, or its chunks).
        assert!(o.text().contains(r#""choices""#), "{}", o.text());
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

#[test]
fn a_stream_costs_two_host_calls_per_event() {
    let streamed = REQUEST.replacen('{', r#"{"stream":true,"#, 1);
    let of = |deltas| {
        calls_of(true, &streamed, "text/event-stream", || {
            anthropic_stream(deltas)
        })
    };
    let (few, many) = (of(10), of(110));
    let per_event = (many - few) as f64 / 100.0;
    println!("host calls per stream event: {per_event}");
    assert!(
        per_event <= 2.0,
        "{per_event} host calls per stream event (budget 2)"
    );
}
