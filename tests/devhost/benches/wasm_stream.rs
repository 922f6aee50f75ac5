//! Streaming cost per event of the real `ai_proxy.wasm` in the dev host (Envoy and Kong
//! profiles), with the same answer translated by the native core in the same run as the
//! baseline: the 200-event Anthropic stream (`tests/fixtures/streams/framing/anthropic_200/input.sse`) in
//! 512-byte chunks (two to three events each), then one event per chunk (as the Envoy and
//! Kong-engine benches' mock sends them, so the per-chunk work is not shared), translated to
//! OpenAI chunks. Per-event cost = (time of the whole request
//! with 200 events − time with the first 2 events) / 198, so the request phase cancels out.
//!
//! Run: `make bench` (or `cargo bench -p devhost --bench wasm_stream`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;

use devhost::harness::{self, Request, UpstreamReply};
use devhost::{testing, CallResponse, HostOptions, HttpCall, Profile, UpstreamRequest, Vm};

const CONFIG: &str = r#"{"route_type":"llm/v1/chat","model":{"provider":"anthropic","name":"claude","options":{"anthropic_version":"2023-06-01"}}}"#;
const BODY: &[u8] = br#"{"messages":[{"role":"user","content":"hi"}],"stream":true}"#;

fn payload() -> Vec<u8> {
    let root = testing::workspace_root();
    std::fs::read(root.join("tests/fixtures/streams/framing/anthropic_200/input.sse")).unwrap()
}

/// The first `events` SSE events of the stream.
fn prefix(bytes: &[u8], events: usize) -> Vec<u8> {
    let text = std::str::from_utf8(bytes).unwrap();
    let mut out = String::new();
    for ev in text.split_inclusive("\n\n").take(events) {
        out.push_str(ev);
    }
    out.into_bytes()
}

/// The stream cut as the upstream sends it: 512-byte chunks, or one event per chunk.
fn pieces(bytes: &[u8], per_event: bool) -> Vec<Vec<u8>> {
    if per_event {
        let text = std::str::from_utf8(bytes).unwrap();
        text.split_inclusive("\n\n")
            .map(|e| e.as_bytes().to_vec())
            .collect()
    } else {
        bytes.chunks(512).map(|c| c.to_vec()).collect()
    }
}

fn min_time(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..runs {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn wasm_run(vm: &mut Vm, stream: &[u8], per_event: bool) -> usize {
    let req = Request::new(
        "POST",
        "/v1/chat/completions",
        &[("content-type", "application/json")],
        BODY,
    );
    let chunks = pieces(stream, per_event);
    let mut upstream = |_: &UpstreamRequest| UpstreamReply {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        chunks: chunks.clone(),
    };
    let mut calls = |_: &HttpCall| -> Option<CallResponse> { None };
    // The VM keeps every log line and the harness copies them all into each outcome: drop
    // them per request, or each request costs more than the one before it.
    vm.drain_logs();
    let o = harness::run(vm, &req, &mut upstream, &mut calls);
    assert_eq!(o.status, 200, "{}", o.logs);
    o.body.len()
}

fn native_run(cfg: &Rc<ai_proxy::config::Config>, stream: &[u8], per_event: bool) -> usize {
    let mut ex =
        ai_proxy::exchange::Exchange::new(cfg.clone(), Rc::new(ai_proxy::env::FixedEnv::default()));
    let headers = vec![("content-length".to_string(), BODY.len().to_string())];
    ex.on_request_head(ai_proxy::exchange::RequestHead {
        method: "POST",
        path: "/v1/chat/completions",
        headers: &headers,
    });
    ex.on_request_body(BODY).unwrap();
    ex.on_response_head(200, &[("content-type".into(), "text/event-stream".into())]);
    let pieces = pieces(stream, per_event);
    let mut n = 0;
    for (i, c) in pieces.iter().enumerate() {
        n += ex
            .on_response_body(c, i + 1 == pieces.len())
            .replace
            .map(|r| r.len())
            .unwrap_or(0);
    }
    n
}

fn main() {
    let full = payload();
    let short = prefix(&full, 2);
    let events = 198.0;
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");
    let cfg = Rc::new(ai_proxy::config::Config::parse(CONFIG.as_bytes()).unwrap());

    let runs = 300;
    for per_event in [false, true] {
        let native = (min_time(runs, || {
            black_box(native_run(&cfg, &full, per_event));
        }) - min_time(runs, || {
            black_box(native_run(&cfg, &short, per_event));
        })) / events;
        let chunks = if per_event {
            "one event per chunk"
        } else {
            "512-byte chunks"
        };
        println!("per translated event, {chunks}, min of {runs} runs (same run, same machine):");
        println!("  native core (baseline)       {:.3} us", native * 1e6);
        for profile in [Profile::Envoy, Profile::Kong] {
            let mut vm = Vm::start(&module, HostOptions::with_config(profile, CONFIG)).unwrap();
            let t_full = min_time(runs, || {
                black_box(wasm_run(&mut vm, &full, per_event));
            });
            let t_short = min_time(runs, || {
                black_box(wasm_run(&mut vm, &short, per_event));
            });
            let per = (t_full - t_short) / events;
            println!(
                "  ai_proxy.wasm, {:<5} profile {:.3} us  ({:.1}x native; whole 200-event request {:.0} us)",
                format!("{profile:?}"),
                per * 1e6,
                per / native,
                t_full * 1e6
            );
        }
    }
    println!(
        "  (LiteLLM's SSE parser alone: 20.6 us/event, measured once on the same machine type)"
    );
}
