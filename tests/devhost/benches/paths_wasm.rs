//! Per-request cost of the real `ai_proxy.wasm` in the dev host (wasmtime, Envoy profile) on
//! the cases of `benches/paths.rs`, each beside its floor measured in the same run
//! (`serde_json` parse + serialize of the same request and answer bytes), and the host calls
//! the filter makes per request (each one crosses the Wasm boundary on a real host).
//!
//! Payloads come from `benches/make_payloads.py` (`target/bench-payloads/`). Run: `make bench`
//! (or `cargo bench -p devhost --bench paths_wasm`).
//! `BENCH_QUICK=1` runs each case a few times only (a smoke run).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use devhost::harness::{self, Request, UpstreamReply};
use devhost::{testing, CallResponse, HostOptions, HttpCall, Profile, UpstreamRequest, Vm};

// ---- cases (shared with benches/paths.rs) ----------------------------------------------------

#[path = "../../../benches/common/cases.rs"]
#[allow(dead_code)]
mod cases;
use cases::{config, floor, time, us, Case};

// ---- one request, three ways ---------------------------------------------------------------

/// The real `.wasm` in the dev host (Envoy profile): the whole request.
fn wasm(vm: &mut Vm, c: &Case) -> usize {
    let req = Request::new(
        "POST",
        "/v1/chat/completions",
        &[("content-type", "application/json")],
        &c.request,
    );
    let answer = c.answer.clone();
    let mut upstream = |_: &UpstreamRequest| UpstreamReply {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        chunks: vec![answer.clone()],
    };
    let mut calls = |_: &HttpCall| -> Option<CallResponse> { None };
    // The VM keeps every log line and the harness copies them all into each outcome: drop
    // them per request, or each request costs more than the one before it.
    vm.drain_logs();
    let o = harness::run(vm, &req, &mut upstream, &mut calls);
    assert_eq!(o.status, 200, "{}: {}", c.name, o.logs);
    o.body.len()
}

fn main() {
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let budget = if quick { 0.05 } else { 1.0 };
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");

    let cases = cases::requests();

    println!("ai_proxy.wasm in the dev host (Envoy profile), per request (request + answer), median; floor = serde_json parse+serialize of the same bytes");
    println!(
        "{:<30} {:>10} {:>10} {:>7} {:>6}",
        "case", "floor", "wasm", "x", "calls"
    );
    for c in &cases {
        let cfg_text = config(c.provider);
        let t_floor = time(budget, || {
            black_box(floor(c));
        });
        let mut vm = Vm::start(
            &module,
            HostOptions::with_config(Profile::Envoy, cfg_text.clone()),
        )
        .unwrap();
        let before = vm.host_calls();
        wasm(&mut vm, c);
        let calls = vm.host_calls() - before;
        let t_wasm = time(budget, || {
            black_box(wasm(&mut vm, c));
        });
        println!(
            "{:<30} {:>10} {:>10} {:>6.2}x {:>6}",
            c.name,
            us(t_floor),
            us(t_wasm),
            t_wasm / t_floor,
            calls
        );
        if c.name.starts_with("1 MB image") {
            println!(
                "{:<30} wasm {:.2} GB/s (request bytes / time)",
                "",
                c.request.len() as f64 / t_wasm / 1e9
            );
        }
    }
}
