//! The mock upstream: every provider route answers in its provider's shape, requests are
//! recorded, streams can be cut at arbitrary byte boundaries, eventstream frames are valid.

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::mock::{eventstream_message, MockOptions, MockServer};
use devhost::testing::http;
use serde_json::{json, Value};

fn post(
    m: &MockServer,
    path: &str,
    body: Value,
    headers: &[(&str, &str)],
) -> devhost::testing::HttpResponse {
    let mut h = vec![("content-type", "application/json")];
    h.extend_from_slice(headers);
    http(m.addr, "POST", path, &h, body.to_string().as_bytes()).unwrap()
}

/// AWS eventstream framing: total length, headers length, prelude CRC32, headers, payload,
/// message CRC32 (big-endian).
#[test]
fn eventstream_frame_has_valid_prelude_and_crcs() {
    let m = eventstream_message(&[(":event-type", "messageStop")], b"{}");
    let total = u32::from_be_bytes(m[0..4].try_into().unwrap()) as usize;
    let hlen = u32::from_be_bytes(m[4..8].try_into().unwrap()) as usize;
    assert_eq!(total, m.len());
    assert_eq!(hlen, 1 + 11 + 1 + 2 + 11);
    assert_eq!(
        u32::from_be_bytes(m[8..12].try_into().unwrap()),
        crc32fast::hash(&m[0..8])
    );
    assert_eq!(
        u32::from_be_bytes(m[total - 4..].try_into().unwrap()),
        crc32fast::hash(&m[..total - 4])
    );
    assert_eq!(&m[12 + hlen..total - 4], b"{}");
}

#[test]
fn records_method_path_query_headers_body() {
    let m = MockServer::start(MockOptions::default()).unwrap();
    let r = http(
        m.addr,
        "POST",
        "/openai/deployments/d1/chat/completions?api-version=2024-10-21",
        &[("api-key", "k")],
        br#"{"messages":[]}"#,
    )
    .unwrap();
    assert_eq!(r.status, 200);
    let seen = m.last().unwrap();
    assert_eq!(
        (
            seen.method.as_str(),
            seen.path.as_str(),
            seen.query.as_str()
        ),
        (
            "POST",
            "/openai/deployments/d1/chat/completions",
            "api-version=2024-10-21"
        )
    );
    assert_eq!(seen.header("api-key"), Some("k"));
    assert_eq!(seen.json(), json!({"messages": []}));
}

#[test]
fn openai_stream_cut_at_one_byte_still_complete() {
    let m = MockServer::start(MockOptions::default()).unwrap();
    let r = post(
        &m,
        "/v1/chat/completions",
        json!({"stream": true, "stream_options": {"include_usage": true}}),
        &[("x-mock-chunk-size", "1")],
    );
    let t = r.text();
    assert!(t.ends_with("data: [DONE]\n\n"));
    assert!(t.contains("\"usage\":{"));
    assert!(t.contains("\"finish_reason\":\"stop\""));
}

#[test]
fn every_provider_route_answers_in_its_shape() {
    let m = MockServer::start(MockOptions::default()).unwrap();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/v1/chat/completions",
            json!({"model": "gpt-4o"}),
            "/choices/0/message/content",
        ),
        (
            "/v1/embeddings",
            json!({"input": ["a", "b"]}),
            "/data/1/embedding",
        ),
        ("/v1/completions", json!({"prompt": "x"}), "/choices/0/text"),
        (
            "/v1/messages",
            json!({"model": "claude"}),
            "/content/0/text",
        ),
        ("/v1/chat", json!({"message": "hi"}), "/text"),
        (
            "/v2/chat",
            json!({"messages": []}),
            "/message/content/0/text",
        ),
        ("/v2/embed", json!({"texts": ["a"]}), "/embeddings/float/0"),
        (
            "/v1beta/models/gemini-2.0-flash:generateContent",
            json!({}),
            "/candidates/0/content/parts/0/text",
        ),
        (
            "/v1beta/models/text-embedding-004:embedContent",
            json!({}),
            "/embedding/values",
        ),
        (
            "/model/anthropic.claude-3/converse",
            json!({}),
            "/output/message/content/0/text",
        ),
        (
            "/model/amazon.titan-embed-text-v2:0/invoke",
            json!({"inputText": "a"}),
            "/embedding",
        ),
        ("/api/chat", json!({"stream": false}), "/message/content"),
        ("/api/embed", json!({"input": ["a", "b"]}), "/embeddings/1"),
    ];
    for (path, body, ptr) in cases {
        let r = post(&m, path, body, &[]);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert!(
            r.json().pointer(ptr).is_some(),
            "{path}: no {ptr} in {}",
            r.text()
        );
    }
}

#[test]
fn tool_requests_get_tool_answers() {
    let m = MockServer::start(MockOptions::default()).unwrap();
    let v = post(
        &m,
        "/v1/chat/completions",
        json!({"tools": [{"type": "function", "function": {"name": "f"}}]}),
        &[],
    )
    .json();
    assert_eq!(
        v["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
        "f"
    );
    let v = post(&m, "/v1/messages", json!({"tools": [{"name": "f"}]}), &[]).json();
    assert_eq!(v["content"][1]["type"], "tool_use");
    let v = post(
        &m,
        "/model/x/converse",
        json!({"toolConfig": {"tools": [{"toolSpec": {"name": "f"}}]}}),
        &[],
    )
    .json();
    assert_eq!(v["output"]["message"]["content"][0]["toolUse"]["name"], "f");
    let v = post(
        &m,
        "/api/chat",
        json!({"stream": false, "tools": [{"type": "function", "function": {"name": "f"}}]}),
        &[],
    )
    .json();
    assert_eq!(v["message"]["tool_calls"][0]["function"]["name"], "f");
}

#[test]
fn streams_have_their_provider_framing() {
    let m = MockServer::start(MockOptions::default()).unwrap();
    let t = post(&m, "/v1/messages", json!({"stream": true}), &[]).text();
    assert!(
        t.starts_with("event: message_start\ndata: ")
            && t.ends_with("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
    );
    let t = post(&m, "/api/chat", json!({}), &[]).text();
    assert!(
        t.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()) && t.contains("\"done\":true")
    );
    let t = post(&m, "/v1/chat", json!({"stream": true}), &[]).text();
    assert!(t.lines().last().unwrap().contains("stream-end"));
    let r = http(
        m.addr,
        "POST",
        "/v1beta/models/g:streamGenerateContent?alt=sse",
        &[],
        b"{}",
    )
    .unwrap();
    assert!(r.text().starts_with("data: {") && r.text().contains("\r\n\r\n"));
    let r = http(
        m.addr,
        "POST",
        "/v1beta/models/g:streamGenerateContent",
        &[],
        b"{}",
    )
    .unwrap();
    assert_eq!(r.json().as_array().map(Vec::len), Some(3));
    let r = post(&m, "/model/x/converse-stream", json!({}), &[]);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.amazon.eventstream")
    );
    // Walk the frames: each one's length prefix lands exactly on the next.
    let (mut b, mut n) = (&r.body[..], 0);
    while !b.is_empty() {
        let len = u32::from_be_bytes(b[0..4].try_into().unwrap()) as usize;
        assert_eq!(
            u32::from_be_bytes(b[len - 4..len].try_into().unwrap()),
            crc32fast::hash(&b[..len - 4])
        );
        b = &b[len..];
        n += 1;
    }
    assert_eq!(n, 13);
}
