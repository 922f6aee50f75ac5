//! Host facts measured in real Envoy 1.40 that the emulator's Envoy profile follows: each test
//! runs on both and asserts the same thing (tests/devhost/README.md, "Real Envoy").

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::envoy::{scenario_on, GatewaySpec, TestHost};
use devhost::mock::{MockOptions, MockServer};
use devhost::testing::{http, send, Framing};
use serde_json::json;

/// The facts are Envoy's: real Envoy and the emulated Envoy profile.
const ENVOYS: [TestHost; 2] = [TestHost::RealEnvoy, TestHost::EmuEnvoy];

fn config() -> String {
    json!({"route_type": "llm/v1/chat", "logging": {"log_statistics": true},
        "auth": {"header_name": "Authorization", "header_value": "Bearer k"},
        "model": {"provider": "openai", "name": "gpt-4o-mini"}})
    .to_string()
}

#[test]
fn a_local_reply_from_the_filter_closes_the_connection() {
    let mock = MockServer::start(MockOptions::default()).unwrap();
    scenario_on(&ENVOYS, "filter local reply closes the connection", |h| {
        let gw = h.gateway(&config(), &mock.url());
        // Refused at headers time (no body) and after the body (not JSON).
        for (body, framing) in [
            (&b""[..], Framing::ContentLength),
            (b"not json", Framing::Chunked),
        ] {
            let r = send(gw.addr, framing, "POST", "/v1/chat/completions", &[], body).unwrap();
            assert_eq!(r.status, 400, "{}: {}", h.name(), r.text());
            assert_eq!(r.header("connection"), Some("close"), "{}", h.name());
        }
    });
}

#[test]
fn envoy_own_503_goes_through_the_filter() {
    // Nothing listens on port 9 of the loopback: Envoy answers 503 itself.
    scenario_on(&ENVOYS, "Envoy's own 503 through the filter", |h| {
        let gw = h.gateway(&config(), "http://127.0.0.1:9");
        let body = json!({"messages": [{"role": "user", "content": "Hi"}]}).to_string();
        let r = http(
            gw.addr,
            "POST",
            "/v1/chat/completions",
            &[],
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(r.status, 503, "{}: {}", h.name(), r.text());
        assert!(r.text().contains("upstream connect error"), "{}", r.text());
        if h == TestHost::RealEnvoy {
            // The filter's response callbacks ran: it logged its analytics record.
            let log = gw.envoy_log();
            assert!(log.contains("ai-proxy analytics"), "{log}");
        }
    });
}

#[test]
fn the_buffer_limit_answers_413() {
    let mock = MockServer::start(MockOptions::default()).unwrap();
    scenario_on(&ENVOYS, "buffer limit 413", |h| {
        let mut spec = GatewaySpec::new(&config(), &mock.url());
        spec.buffer_limit = 64 * 1024;
        let gw = h.try_gateway(&spec).unwrap();
        let big = "x".repeat(100 * 1024);
        let body = json!({"messages": [{"role": "user", "content": big}]}).to_string();
        let r = http(
            gw.addr,
            "POST",
            "/v1/chat/completions",
            &[],
            body.as_bytes(),
        )
        .unwrap();
        assert_eq!(r.status, 413, "{}: {}", h.name(), r.text());
        // Below the limit the same request goes through.
        let small = json!({"messages": [{"role": "user", "content": "Hi"}]}).to_string();
        let r = http(
            gw.addr,
            "POST",
            "/v1/chat/completions",
            &[],
            small.as_bytes(),
        )
        .unwrap();
        assert_eq!(r.status, 200, "{}: {}", h.name(), r.text());
    });
}
