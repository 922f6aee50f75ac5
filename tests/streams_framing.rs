//! Stream framing: every decoder must give the same frames for any chunking of the same bytes
//! (whole, split at every offset, one byte at a time), keep memory bounded by one event, and
//! turn bad or cut input into errors, never panics.
//!
//! Fixtures live in `tests/fixtures/streams/framing/<case>/`: `input.*` (written by hand from the
//! providers' documented stream examples) and `frames.jsonl`, the expected frames, one per line,
//! also written by hand. For SSE a line is `{"event"?: name, "data": <JSON the data parses to>}`
//! or `{"event"?: name, "text": "<raw data>"}`; for NDJSON and JSON arrays it is the value itself.
//! Bedrock event streams are binary, so they are assembled here, with CRCs from an independent
//! bitwise CRC-32.

// Test and bench code: a panic is a failed check, so the workspace's no-panic lints do not apply.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::io::Write;
use std::path::PathBuf;

use ai_proxy::stream::gzip::GzipInflater;
use ai_proxy::stream::{AwsEvent, Frame, FrameError, Framing};
use serde_json::{json, Value};
use support::assert_json_eq;

const MAX: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Harness

fn case_dir(case: &str) -> PathBuf {
    support::fixtures().join("streams/framing").join(case)
}

fn read_input(case: &str) -> Vec<u8> {
    let dir = case_dir(case);
    let entry = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_stem().is_some_and(|s| s == "input"))
        .unwrap_or_else(|| panic!("no input.* in {}", dir.display()));
    std::fs::read(entry).unwrap()
}

fn read_expected(case: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(case_dir(case).join("frames.jsonl")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{case}: {e}: {l}")))
        .collect()
}

/// The outcome of decoding one chunking: frames (or an error, which ends it) and the most
/// bytes the decoder held at once.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    frames: Vec<Result<Frame, FrameError>>,
    max_buffered: usize,
}

fn decode_chunks<'a>(
    framing: Framing,
    max: usize,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Run {
    let mut d = framing.decoder(max);
    let mut frames = Vec::new();
    let mut max_buffered = 0;
    for chunk in chunks {
        d.feed(chunk);
        max_buffered = max_buffered.max(d.buffered());
        while let Some(r) = d.next_frame() {
            let stop = r.is_err();
            frames.push(r);
            if stop {
                assert!(d.next_frame().is_none(), "frames after an error");
                return Run {
                    frames,
                    max_buffered,
                };
            }
        }
        max_buffered = max_buffered.max(d.buffered());
    }
    if let Some(r) = d.finish() {
        frames.push(r);
    }
    while let Some(r) = d.next_frame() {
        frames.push(r);
    }
    assert!(d.next_frame().is_none());
    Run {
        frames,
        max_buffered,
    }
}

fn frames_only(run: &Run) -> Vec<Frame> {
    run.frames.iter().map(|r| r.clone().unwrap()).collect()
}

/// Feeds `bytes` whole, split in two at every offset, one byte at a time, and in a few
/// pseudo-random chunkings; all must give the frames of the whole run. Returns that run.
fn all_chunkings(framing: Framing, max: usize, bytes: &[u8], step: usize) -> Run {
    let whole = decode_chunks(framing, max, [bytes]);
    let mut at = 0;
    while at <= bytes.len() {
        let (a, b) = bytes.split_at(at);
        let split = decode_chunks(framing, max, [a, b]);
        assert_eq!(split.frames, whole.frames, "split at {at}");
        at += step;
    }
    let bytewise = decode_chunks(framing, max, bytes.chunks(1));
    assert_eq!(bytewise.frames, whole.frames, "one byte at a time");
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..8 {
        let chunks = random_chunks(bytes, &mut seed, 40);
        let run = decode_chunks(framing, max, chunks.iter().map(|c| c.as_slice()));
        assert_eq!(run.frames, whole.frames, "random chunking");
    }
    whole
}

fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

fn random_chunks(bytes: &[u8], seed: &mut u64, max_len: u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = ((lcg(seed) % max_len) as usize).min(rest.len());
        let (a, b) = rest.split_at(n);
        out.push(a.to_vec());
        rest = b;
    }
    out
}

/// A decoded SSE frame in the `frames.jsonl` form.
fn sse_value(frame: &Frame, want_text: bool) -> Value {
    let Frame::Sse { event, data } = frame else {
        panic!("not an SSE frame: {frame:?}")
    };
    let mut v = serde_json::Map::new();
    if let Some(e) = event {
        v.insert("event".into(), json!(e));
    }
    if want_text {
        v.insert("text".into(), json!(data));
    } else {
        let parsed: Value =
            serde_json::from_str(data).unwrap_or_else(|e| panic!("data is not JSON ({e}): {data}"));
        v.insert("data".into(), parsed);
    }
    Value::Object(v)
}

fn check_sse_case(case: &str, bytes: &[u8]) {
    let expected = read_expected(case);
    let run = all_chunkings(Framing::Sse, MAX, bytes, 1);
    let frames = frames_only(&run);
    assert_eq!(
        frames.len(),
        expected.len(),
        "{case}: frame count: {frames:?}"
    );
    for (i, (f, e)) in frames.iter().zip(&expected).enumerate() {
        let actual = sse_value(f, e.get("text").is_some());
        assert_json_eq(&actual, e, &format!("{case} frame {i}"));
    }
}

fn json_frames(run: &Run) -> Vec<Value> {
    frames_only(run)
        .into_iter()
        .map(|f| match f {
            Frame::Json(bytes) => serde_json::from_slice(&bytes)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes))),
            other => panic!("not a JSON frame: {other:?}"),
        })
        .collect()
}

fn check_json_case(case: &str, framing: Framing, bytes: &[u8]) {
    let expected = read_expected(case);
    let run = all_chunkings(framing, MAX, bytes, 1);
    let actual = json_frames(&run);
    assert_json_eq(&Value::Array(actual), &Value::Array(expected), case);
}

fn crlf(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn cr_only(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| if b == b'\n' { b'\r' } else { b })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// SSE

const SSE_CASES: &[&str] = &[
    "openai_chat",
    "anthropic_text",
    "anthropic_tool_use",
    "anthropic_error",
    "whatwg_edges",
];

#[test]
fn sse_fixtures_lf() {
    for case in SSE_CASES {
        check_sse_case(case, &read_input(case));
    }
}

#[test]
fn sse_fixtures_crlf() {
    for case in SSE_CASES {
        check_sse_case(case, &crlf(&read_input(case)));
    }
}

#[test]
fn sse_fixtures_lone_cr() {
    for case in SSE_CASES {
        check_sse_case(case, &cr_only(&read_input(case)));
    }
}

#[test]
fn sse_crlf_split_between_cr_and_lf_is_one_line_end() {
    // `data: a\r` | `\n\r\ndata: b\r\n\r\n`: the CR+LF straddling chunks must not count twice
    // (that would dispatch an empty event and, worse, end event `a` early in other layouts).
    let run = decode_chunks(
        Framing::Sse,
        MAX,
        [
            b"event: x\r".as_slice(),
            b"\ndata: a\r",
            b"\n",
            b"data: b\r",
            b"\n\r",
            b"\n",
        ],
    );
    assert_eq!(
        frames_only(&run),
        vec![Frame::Sse {
            event: Some("x".into()),
            data: "a\nb".into()
        }]
    );
}

#[test]
fn sse_anthropic_200_events() {
    let bytes = read_input("anthropic_200");
    let run = all_chunkings(Framing::Sse, MAX, &bytes, 97);
    let frames = frames_only(&run);
    assert_eq!(frames.len(), 200);
    let deltas = frames
        .iter()
        .filter(|f| matches!(f, Frame::Sse { event: Some(e), .. } if e == "content_block_delta"))
        .count();
    assert_eq!(deltas, 195);
    for f in &frames {
        let Frame::Sse { event, data } = f else {
            panic!()
        };
        let v: Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["type"].as_str(), event.as_deref());
    }
    // The whole stream fed at once is held once; fed in small chunks, only about one event.
    let small = decode_chunks(Framing::Sse, MAX, bytes.chunks(64));
    assert!(
        small.max_buffered < 600,
        "held {} bytes",
        small.max_buffered
    );
}

#[test]
fn sse_bom_split_and_not_a_bom() {
    let run = decode_chunks(
        Framing::Sse,
        MAX,
        [b"\xEF".as_slice(), b"\xBB", b"\xBFdata: x\n\n"],
    );
    assert_eq!(
        frames_only(&run),
        vec![Frame::Sse {
            event: None,
            data: "x".into()
        }]
    );
    // A lone EF BB at the start that is not a BOM is just bytes of a (non-field) line.
    let run = decode_chunks(Framing::Sse, MAX, [b"\xEF\xBB\ndata: y\n\n".as_slice()]);
    assert_eq!(
        frames_only(&run),
        vec![Frame::Sse {
            event: None,
            data: "y".into()
        }]
    );
}

#[test]
fn sse_invalid_utf8_is_replaced() {
    let run = decode_chunks(Framing::Sse, MAX, [b"data: a\xFFb\n\n".as_slice()]);
    assert_eq!(
        frames_only(&run),
        vec![Frame::Sse {
            event: None,
            data: "a\u{FFFD}b".into()
        }]
    );
}

#[test]
fn sse_event_over_cap_is_too_large() {
    // Data grows line by line over the cap.
    let mut input = Vec::new();
    for _ in 0..20 {
        input.extend_from_slice(b"data: 0123456789\n");
    }
    input.extend_from_slice(b"\n");
    let run = decode_chunks(Framing::Sse, 100, [input.as_slice()]);
    assert_eq!(run.frames, vec![Err(FrameError::TooLarge { limit: 100 })]);
    // One line without end, fed in pieces: stops as soon as it passes the cap.
    let mut d = Framing::Sse.decoder(100);
    let mut err = None;
    for _ in 0..100 {
        d.feed(b"xxxxxxxxxx");
        if let Some(r) = d.next_frame() {
            err = Some(r);
            break;
        }
    }
    assert_eq!(err, Some(Err(FrameError::TooLarge { limit: 100 })));
    assert_eq!(d.buffered(), 0);
    d.feed(b"\n\ndata: later\n\n");
    assert_eq!(d.next_frame(), None, "the decoder stops after an error");
    // Exactly at the cap is fine, and the verdict does not depend on the chunking.
    let input = format!("event: e\ndata: {}\n\ndata: x\n\n", "a".repeat(100));
    let run = all_chunkings(Framing::Sse, 100, input.as_bytes(), 1);
    assert_eq!(frames_only(&run).len(), 2);
    let input = format!("data: {}\ndata: {}\n\n", "a".repeat(50), "b".repeat(49));
    let run = all_chunkings(Framing::Sse, 100, input.as_bytes(), 1);
    assert_eq!(frames_only(&run).len(), 1);
    // One byte over, as data or as a line (cap + 8 for the field name): an error, for every chunking, after the same frames.
    let input = format!("data: x\n\ndata: {}\n\n", "a".repeat(101));
    let run = all_chunkings(Framing::Sse, 100, input.as_bytes(), 1);
    assert_eq!(run.frames.len(), 2);
    assert_eq!(run.frames[1], Err(FrameError::TooLarge { limit: 100 }));
    let input = format!("data: x\n\n: {}\n\n", "c".repeat(107));
    let run = all_chunkings(Framing::Sse, 100, input.as_bytes(), 1);
    assert_eq!(run.frames[1], Err(FrameError::TooLarge { limit: 100 }));
    let input = format!("data: {}\ndata: {}\n\n", "a".repeat(50), "b".repeat(50));
    let run = all_chunkings(Framing::Sse, 100, input.as_bytes(), 1);
    assert_eq!(run.frames, vec![Err(FrameError::TooLarge { limit: 100 })]);
}

#[test]
fn sse_truncated_stream_delivers_what_it_has() {
    // Cut after a complete data line: the event is delivered at finish.
    let run = decode_chunks(
        Framing::Sse,
        MAX,
        [b"event: a\ndata: {\"x\":1}\n".as_slice()],
    );
    assert_eq!(
        frames_only(&run),
        vec![Frame::Sse {
            event: Some("a".into()),
            data: "{\"x\":1}".into()
        }]
    );
    // Cut inside the data: SSE cannot know; the partial data goes to the translator, whose
    // JSON parse fails (its error, not a framing one).
    let run = decode_chunks(Framing::Sse, MAX, [b"data: {\"x\":".as_slice()]);
    assert_eq!(
        frames_only(&run),
        vec![Frame::Sse {
            event: None,
            data: "{\"x\":".into()
        }]
    );
    // Only comments and blank lines: nothing.
    let run = decode_chunks(Framing::Sse, MAX, [b": keepalive\n\n\n".as_slice()]);
    assert!(run.frames.is_empty());
}

// ---------------------------------------------------------------------------------------------
// NDJSON

#[test]
fn ndjson_fixtures() {
    for case in ["cohere_chat", "ollama_chat"] {
        let bytes = read_input(case);
        check_json_case(case, Framing::Ndjson, &bytes);
        check_json_case(case, Framing::Ndjson, &crlf(&bytes));
    }
}

#[test]
fn ndjson_line_over_cap_and_exact_cap() {
    let line = format!("{{\"t\":\"{}\"}}\n", "a".repeat(200));
    let run = decode_chunks(Framing::Ndjson, 100, line.as_bytes().chunks(7));
    assert_eq!(run.frames, vec![Err(FrameError::TooLarge { limit: 100 })]);
    assert!(run.max_buffered <= 107);
    let run = all_chunkings(Framing::Ndjson, line.len() - 1, line.as_bytes(), 1);
    assert_eq!(frames_only(&run).len(), 1);
    let run = all_chunkings(Framing::Ndjson, line.len() - 2, line.as_bytes(), 1);
    assert_eq!(
        run.frames,
        vec![Err(FrameError::TooLarge {
            limit: line.len() - 2
        })]
    );
}

#[test]
fn ndjson_last_line_without_newline_and_blank_tail() {
    let run = decode_chunks(Framing::Ndjson, MAX, [b"{\"a\":1}\n{\"b\":2}".as_slice()]);
    assert_eq!(json_frames(&run), vec![json!({"a":1}), json!({"b":2})]);
    let run = decode_chunks(Framing::Ndjson, MAX, [b"{\"a\":1}\r\n \r\n\n  ".as_slice()]);
    assert_eq!(json_frames(&run), vec![json!({"a":1})]);
}

// ---------------------------------------------------------------------------------------------
// JSON array (Gemini without alt=sse)

#[test]
fn json_array_fixtures() {
    for case in ["gemini_array", "json_array_scalars"] {
        let bytes = read_input(case);
        check_json_case(case, Framing::JsonArray, &bytes);
        check_json_case(case, Framing::JsonArray, &crlf(&bytes));
    }
}

#[test]
fn json_array_first_chunk_without_complete_element() {
    // Kong crashed here (docs/kong-compatibility.md §10).
    let run = decode_chunks(
        Framing::JsonArray,
        MAX,
        [b"[{\"a\":".as_slice(), b"[1,2]}", b",{\"b\":\"]\"}", b"]"],
    );
    assert_eq!(
        json_frames(&run),
        vec![json!({"a":[1,2]}), json!({"b":"]"})]
    );
}

#[test]
fn json_array_empty_and_bad_starts() {
    let run = decode_chunks(Framing::JsonArray, MAX, [b" [ ] ".as_slice()]);
    assert!(run.frames.is_empty());
    let run = decode_chunks(Framing::JsonArray, MAX, [b"{\"error\":1}".as_slice()]);
    assert!(matches!(
        run.frames.as_slice(),
        [Err(FrameError::Malformed(_))]
    ));
    let run = decode_chunks(Framing::JsonArray, MAX, [b"[{}} {}]".as_slice()]);
    assert!(matches!(
        run.frames.as_slice(),
        [Ok(Frame::Json(_)), Err(FrameError::Malformed(_))]
    ));
    let run = decode_chunks(Framing::JsonArray, MAX, [b"[{}] x".as_slice()]);
    assert!(matches!(
        run.frames.as_slice(),
        [Ok(Frame::Json(_)), Err(FrameError::Malformed(_))]
    ));
    let run = decode_chunks(Framing::JsonArray, MAX, [b"[,{}]".as_slice()]);
    assert!(matches!(
        run.frames.as_slice(),
        [Err(FrameError::Malformed(_))]
    ));
}

#[test]
fn json_array_truncated_and_missing_close() {
    let run = decode_chunks(
        Framing::JsonArray,
        MAX,
        [b"[{\"a\":1},{\"b\":\"x".as_slice()],
    );
    assert_eq!(run.frames.len(), 2);
    assert_eq!(run.frames[1], Err(FrameError::Truncated));
    // All elements complete but no `]`: every element is delivered, no error.
    let run = decode_chunks(Framing::JsonArray, MAX, [b"[{\"a\":1},".as_slice()]);
    assert_eq!(json_frames(&run), vec![json!({"a":1})]);
}

#[test]
fn json_array_element_over_cap() {
    let big = format!("[{{\"t\":\"{}\"}}]", "x".repeat(500));
    let run = decode_chunks(Framing::JsonArray, 100, big.as_bytes().chunks(10));
    assert_eq!(run.frames, vec![Err(FrameError::TooLarge { limit: 100 })]);
    assert!(run.max_buffered <= 110);
    let run = all_chunkings(Framing::JsonArray, 100, big.as_bytes(), 1);
    assert_eq!(run.frames, vec![Err(FrameError::TooLarge { limit: 100 })]);
    // Exactly at the cap, container and scalar elements alike.
    let body = format!("[{{\"t\":\"{}\"}}, 12345 ]", "x".repeat(92));
    let run = all_chunkings(Framing::JsonArray, 100, body.as_bytes(), 1);
    assert_eq!(frames_only(&run).len(), 2);
    let run = all_chunkings(Framing::JsonArray, 99, body.as_bytes(), 1);
    assert_eq!(run.frames, vec![Err(FrameError::TooLarge { limit: 99 })]);
}

#[test]
fn json_array_memory_follows_one_element() {
    let mut body = b"[".to_vec();
    for i in 0..500 {
        if i > 0 {
            body.extend_from_slice(b",\r\n");
        }
        body.extend_from_slice(format!("{{\"i\":{i},\"t\":\"{}\"}}", "y".repeat(50)).as_bytes());
    }
    body.push(b']');
    let run = decode_chunks(Framing::JsonArray, MAX, body.chunks(16));
    assert_eq!(frames_only(&run).len(), 500);
    assert!(run.max_buffered < 100, "held {}", run.max_buffered);
}

// ---------------------------------------------------------------------------------------------
// AWS event stream (Bedrock ConverseStream)

/// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), bit by bit: independent of `crc32fast`.
fn crc32_bitwise(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[test]
fn crc32_bitwise_check_value() {
    // The standard check value of CRC-32/ISO-HDLC.
    assert_eq!(crc32_bitwise(b"123456789"), 0xCBF4_3926);
}

/// A header value of any AWS type.
enum Hv<'a> {
    True,
    False,
    Byte(i8),
    Short(i16),
    Int(i32),
    Long(i64),
    Bytes(&'a [u8]),
    Str(&'a str),
    Timestamp(i64),
    Uuid([u8; 16]),
}

fn header(out: &mut Vec<u8>, name: &str, value: Hv) {
    out.push(name.len() as u8);
    out.extend_from_slice(name.as_bytes());
    match value {
        Hv::True => out.push(0),
        Hv::False => out.push(1),
        Hv::Byte(v) => {
            out.push(2);
            out.extend_from_slice(&v.to_be_bytes());
        }
        Hv::Short(v) => {
            out.push(3);
            out.extend_from_slice(&v.to_be_bytes());
        }
        Hv::Int(v) => {
            out.push(4);
            out.extend_from_slice(&v.to_be_bytes());
        }
        Hv::Long(v) => {
            out.push(5);
            out.extend_from_slice(&v.to_be_bytes());
        }
        Hv::Bytes(v) => {
            out.push(6);
            out.extend_from_slice(&(v.len() as u16).to_be_bytes());
            out.extend_from_slice(v);
        }
        Hv::Str(v) => {
            out.push(7);
            out.extend_from_slice(&(v.len() as u16).to_be_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        Hv::Timestamp(v) => {
            out.push(8);
            out.extend_from_slice(&v.to_be_bytes());
        }
        Hv::Uuid(v) => {
            out.push(9);
            out.extend_from_slice(&v);
        }
    }
}

fn message(headers: &[u8], payload: &[u8]) -> Vec<u8> {
    let total = 12 + headers.len() + payload.len() + 4;
    let mut m = Vec::with_capacity(total);
    m.extend_from_slice(&(total as u32).to_be_bytes());
    m.extend_from_slice(&(headers.len() as u32).to_be_bytes());
    let prelude_crc = crc32_bitwise(&m);
    m.extend_from_slice(&prelude_crc.to_be_bytes());
    m.extend_from_slice(headers);
    m.extend_from_slice(payload);
    let crc = crc32_bitwise(&m);
    m.extend_from_slice(&crc.to_be_bytes());
    m
}

fn bedrock_event(event_type: &str, payload: &Value) -> Vec<u8> {
    let mut h = Vec::new();
    header(&mut h, ":event-type", Hv::Str(event_type));
    header(&mut h, ":content-type", Hv::Str("application/json"));
    header(&mut h, ":message-type", Hv::Str("event"));
    message(&h, payload.to_string().as_bytes())
}

/// A ConverseStream answer as documented in the Bedrock API reference (ConverseStream output
/// events: messageStart, contentBlockDelta, contentBlockStop, messageStop, metadata).
fn bedrock_stream() -> (Vec<u8>, Vec<(String, Value)>) {
    let events = vec![
        ("messageStart", json!({"p": "abcd", "role": "assistant"})),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": "Hello"}, "p": "abcdefgh"}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 0, "delta": {"text": " world!"}, "p": "ab"}),
        ),
        (
            "contentBlockStop",
            json!({"contentBlockIndex": 0, "p": "abcdefghij"}),
        ),
        (
            "contentBlockStart",
            json!({"contentBlockIndex": 1, "start": {"toolUse": {"toolUseId": "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", "name": "top_song"}}}),
        ),
        (
            "contentBlockDelta",
            json!({"contentBlockIndex": 1, "delta": {"toolUse": {"input": "{\"sign\": \"WZPZ\"}"}}}),
        ),
        ("contentBlockStop", json!({"contentBlockIndex": 1})),
        ("messageStop", json!({"stopReason": "tool_use"})),
        (
            "metadata",
            json!({"usage": {"inputTokens": 10, "outputTokens": 25, "totalTokens": 35}, "metrics": {"latencyMs": 512}}),
        ),
    ];
    let mut bytes = Vec::new();
    let mut expected = Vec::new();
    for (t, p) in events {
        bytes.extend(bedrock_event(t, &p));
        expected.push((t.to_string(), p));
    }
    (bytes, expected)
}

fn aws(frame: &Frame) -> &AwsEvent {
    match frame {
        Frame::Event(e) => e,
        other => panic!("not an event: {other:?}"),
    }
}

#[test]
fn eventstream_bedrock_converse_stream() {
    let (bytes, expected) = bedrock_stream();
    let run = all_chunkings(Framing::EventStream, MAX, &bytes, 1);
    let frames = frames_only(&run);
    assert_eq!(frames.len(), expected.len());
    for (f, (t, p)) in frames.iter().zip(&expected) {
        let e = aws(f);
        assert_eq!(e.event_type.as_deref(), Some(t.as_str()));
        assert_eq!(e.message_type.as_deref(), Some("event"));
        assert_eq!(e.content_type.as_deref(), Some("application/json"));
        let payload: Value = serde_json::from_slice(&e.payload).unwrap();
        assert_json_eq(&payload, p, t);
    }
    let small = decode_chunks(Framing::EventStream, MAX, bytes.chunks(5));
    assert!(small.max_buffered < 300, "held {}", small.max_buffered);
}

#[test]
fn eventstream_every_header_type() {
    let mut h = Vec::new();
    header(&mut h, "flag-on", Hv::True);
    header(&mut h, "flag-off", Hv::False);
    header(&mut h, "b", Hv::Byte(-3));
    header(&mut h, "s", Hv::Short(-300));
    header(&mut h, "i", Hv::Int(70_000));
    header(&mut h, "l", Hv::Long(-5_000_000_000));
    header(&mut h, "raw", Hv::Bytes(b"\x00\xFF:event-type"));
    header(&mut h, ":event-type", Hv::Str("contentBlockDelta"));
    header(&mut h, "ts", Hv::Timestamp(1_700_000_000_000));
    header(&mut h, "id", Hv::Uuid([7; 16]));
    header(&mut h, ":message-type", Hv::Str("event"));
    header(&mut h, ":content-type", Hv::Str("application/json"));
    let bytes = message(&h, b"{}");
    let run = all_chunkings(Framing::EventStream, MAX, &bytes, 1);
    assert_eq!(
        frames_only(&run),
        vec![Frame::Event(AwsEvent {
            event_type: Some("contentBlockDelta".into()),
            message_type: Some("event".into()),
            content_type: Some("application/json".into()),
            payload: b"{}".to_vec(),
        })]
    );
}

#[test]
fn eventstream_exception_and_error_messages() {
    let mut h = Vec::new();
    header(&mut h, ":exception-type", Hv::Str("throttlingException"));
    header(&mut h, ":content-type", Hv::Str("application/json"));
    header(&mut h, ":message-type", Hv::Str("exception"));
    let mut bytes = bedrock_event("messageStart", &json!({"role": "assistant"}));
    bytes.extend(message(
        &h,
        br#"{"message":"Too many requests, please wait."}"#,
    ));
    let run = decode_chunks(Framing::EventStream, MAX, [bytes.as_slice()]);
    let frames = frames_only(&run);
    assert_eq!(frames.len(), 2);
    let e = aws(&frames[1]);
    assert_eq!(e.message_type.as_deref(), Some("exception"));
    assert_eq!(e.event_type.as_deref(), Some("throttlingException"));
    assert_eq!(
        e.payload,
        br#"{"message":"Too many requests, please wait."}"#
    );

    let mut h = Vec::new();
    header(&mut h, ":message-type", Hv::Str("error"));
    header(&mut h, ":error-code", Hv::Str("InternalFailure"));
    header(&mut h, ":error-message", Hv::Str("An \"internal\" error"));
    let run = decode_chunks(Framing::EventStream, MAX, [message(&h, b"").as_slice()]);
    let frames = frames_only(&run);
    let e = aws(&frames[0]);
    assert_eq!(e.event_type.as_deref(), Some("InternalFailure"));
    let payload: Value = serde_json::from_slice(&e.payload).unwrap();
    assert_eq!(payload, json!({"message": "An \"internal\" error"}));
}

#[test]
fn eventstream_corrupted_crcs_are_malformed() {
    let good = bedrock_event("contentBlockDelta", &json!({"delta": {"text": "hi"}}));
    // Flip one payload byte: the message CRC no longer matches.
    let mut bad_msg = good.clone();
    let at = bad_msg.len() - 8;
    bad_msg[at] ^= 0x01;
    let mut stream = bedrock_event("messageStart", &json!({"role": "assistant"}));
    stream.extend(&bad_msg);
    stream.extend(&good);
    let run = all_chunkings(Framing::EventStream, MAX, &stream, 1);
    assert!(matches!(
        run.frames.as_slice(),
        [Ok(Frame::Event(_)), Err(FrameError::Malformed(m))] if m.contains("message CRC")
    ));
    // Flip a bit of the total length: the prelude CRC catches it before the length is trusted.
    let mut bad_prelude = good.clone();
    bad_prelude[1] ^= 0x40;
    let run = decode_chunks(Framing::EventStream, MAX, [bad_prelude.as_slice()]);
    assert!(matches!(
        run.frames.as_slice(),
        [Err(FrameError::Malformed(m))] if m.contains("prelude CRC")
    ));
    // Flip the stored message CRC itself.
    let mut bad_crc = good.clone();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 0xFF;
    let run = decode_chunks(Framing::EventStream, MAX, [bad_crc.as_slice()]);
    assert!(matches!(
        run.frames.as_slice(),
        [Err(FrameError::Malformed(_))]
    ));
}

#[test]
fn eventstream_bad_lengths_and_headers() {
    // Consistent CRCs but a headers length larger than the message.
    let mut m = Vec::new();
    m.extend_from_slice(&20u32.to_be_bytes());
    m.extend_from_slice(&10u32.to_be_bytes());
    let c = crc32_bitwise(&m);
    m.extend_from_slice(&c.to_be_bytes());
    let run = decode_chunks(Framing::EventStream, MAX, [m.as_slice()]);
    assert!(matches!(
        run.frames.as_slice(),
        [Err(FrameError::Malformed(_))]
    ));
    // Total length below the minimum of 16.
    let mut m = Vec::new();
    m.extend_from_slice(&8u32.to_be_bytes());
    m.extend_from_slice(&0u32.to_be_bytes());
    let c = crc32_bitwise(&m);
    m.extend_from_slice(&c.to_be_bytes());
    let run = decode_chunks(Framing::EventStream, MAX, [m.as_slice()]);
    assert!(matches!(
        run.frames.as_slice(),
        [Err(FrameError::Malformed(_))]
    ));
    // Unknown header value type 10, with valid CRCs.
    let h = [3u8, b'a', b'b', b'c', 10, 0, 0];
    let run = decode_chunks(Framing::EventStream, MAX, [message(&h, b"{}").as_slice()]);
    assert!(
        matches!(run.frames.as_slice(), [Err(FrameError::Malformed(m))] if m.contains("type 10"))
    );
    // A string header whose length runs past the headers section.
    let h = [1u8, b'a', 7, 0, 50, b'x'];
    let run = decode_chunks(Framing::EventStream, MAX, [message(&h, b"{}").as_slice()]);
    assert!(matches!(
        run.frames.as_slice(),
        [Err(FrameError::Malformed(_))]
    ));
}

#[test]
fn eventstream_absurd_length_rejected_before_waiting() {
    // A valid prelude announcing 3 GB: refused from the 12 prelude bytes alone.
    let mut m = Vec::new();
    m.extend_from_slice(&3_000_000_000u32.to_be_bytes());
    m.extend_from_slice(&0u32.to_be_bytes());
    let c = crc32_bitwise(&m);
    m.extend_from_slice(&c.to_be_bytes());
    let mut d = Framing::EventStream.decoder(MAX);
    d.feed(&m);
    assert_eq!(
        d.next_frame(),
        Some(Err(FrameError::TooLarge { limit: MAX }))
    );
    assert_eq!(d.buffered(), 0);
    // A real message just over the cap.
    let msg = bedrock_event("contentBlockDelta", &json!({"t": "x".repeat(200)}));
    let run = decode_chunks(Framing::EventStream, msg.len() - 1, [msg.as_slice()]);
    assert_eq!(
        run.frames,
        vec![Err(FrameError::TooLarge {
            limit: msg.len() - 1
        })]
    );
    let run = decode_chunks(Framing::EventStream, msg.len(), [msg.as_slice()]);
    assert_eq!(frames_only(&run).len(), 1);
}

#[test]
fn eventstream_truncated() {
    let (bytes, expected) = bedrock_stream();
    for cut in [bytes.len() - 1, bytes.len() - 20, 5] {
        let run = decode_chunks(Framing::EventStream, MAX, [&bytes[..cut]]);
        assert_eq!(
            run.frames.last(),
            Some(&Err(FrameError::Truncated)),
            "cut {cut}"
        );
        assert!(run.frames.len() <= expected.len());
    }
}

// ---------------------------------------------------------------------------------------------
// No panics on arbitrary or damaged input

#[test]
fn arbitrary_and_mutated_bytes_never_panic() {
    let (bedrock, _) = bedrock_stream();
    let samples = [
        read_input("anthropic_tool_use"),
        read_input("gemini_array"),
        read_input("ollama_chat"),
        bedrock,
    ];
    let framings = [
        Framing::Sse,
        Framing::Ndjson,
        Framing::JsonArray,
        Framing::EventStream,
    ];
    let mut seed = 7u64;
    for round in 0..300 {
        let mut bytes = samples[round % samples.len()].clone();
        for _ in 0..(1 + lcg(&mut seed) % 8) {
            let at = (lcg(&mut seed) as usize) % bytes.len();
            bytes[at] = lcg(&mut seed) as u8;
        }
        if round % 3 == 0 {
            bytes = (0..(lcg(&mut seed) % 600))
                .map(|_| lcg(&mut seed) as u8)
                .collect();
        }
        for framing in framings {
            let chunks = random_chunks(&bytes, &mut seed, 64);
            let cap = 16 + (lcg(&mut seed) % 2048) as usize;
            let run = decode_chunks(framing, cap, chunks.iter().map(|c| c.as_slice()));
            let errors = run.frames.iter().filter(|r| r.is_err()).count();
            assert!(errors <= 1);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// gzip

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn inflate_chunks<'a>(
    inflater: &mut GzipInflater,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, FrameError> {
    let mut out = Vec::new();
    for c in chunks {
        out.extend(inflater.feed(c)?);
    }
    inflater.finish()?;
    Ok(out)
}

#[test]
fn gzip_any_chunking_inflates_the_same() {
    let plain = read_input("anthropic_200");
    let packed = gzip(&plain);
    let whole = inflate_chunks(&mut GzipInflater::new(1 << 20), [packed.as_slice()]).unwrap();
    assert_eq!(whole, plain);
    let bytewise = inflate_chunks(&mut GzipInflater::new(1 << 20), packed.chunks(1)).unwrap();
    assert_eq!(bytewise, plain);
    for at in (0..=packed.len()).step_by(13) {
        let (a, b) = packed.split_at(at);
        let out = inflate_chunks(&mut GzipInflater::new(1 << 20), [a, b]).unwrap();
        assert_eq!(out, plain, "split at {at}");
    }
}

#[test]
fn gzip_header_fields_and_multiple_members() {
    // A header with FEXTRA, FNAME and FCOMMENT (RFC 1952 §2.3), then a second member.
    let mut member = flate2::GzBuilder::new()
        .filename("stream.sse")
        .comment("a comment")
        .extra(vec![1, 2, 3, 4])
        .write(Vec::new(), flate2::Compression::fast());
    member.write_all(b"data: one\n\n").unwrap();
    let mut packed = member.finish().unwrap();
    packed.extend(gzip(b"data: two\n\n"));
    let out = inflate_chunks(&mut GzipInflater::new(1 << 20), packed.chunks(3)).unwrap();
    assert_eq!(out, b"data: one\n\ndata: two\n\n");
}

#[test]
fn gzip_header_crc_flag_and_trailing_garbage() {
    // Hand-built member (RFC 1952 §2.3): FHCRC|FNAME flags, then raw DEFLATE and the trailer.
    let plain = b"data: {\"x\":1}\n\n";
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    deflate.write_all(plain).unwrap();
    let body = deflate.finish().unwrap();
    let mut packed = vec![0x1f, 0x8b, 8, 0x02 | 0x08, 0, 0, 0, 0, 0, 255];
    packed.extend_from_slice(b"name.sse\0");
    packed.extend_from_slice(&[0xAB, 0xCD]); // header CRC16 (not checked)
    packed.extend_from_slice(&body);
    packed.extend_from_slice(&crc32_bitwise(plain).to_le_bytes());
    packed.extend_from_slice(&(plain.len() as u32).to_le_bytes());
    let out = inflate_chunks(&mut GzipInflater::new(1 << 20), packed.chunks(1)).unwrap();
    assert_eq!(out, plain);
    // Bytes after the member that are not another member are ignored (as gzip(1) does).
    let mut inflater = GzipInflater::new(1 << 20);
    packed.extend_from_slice(b"\0\0garbage");
    let out = inflate_chunks(&mut inflater, [packed.as_slice()]).unwrap();
    assert_eq!(out, plain);
    assert!(inflater.is_done());
    // Reserved flag bits are refused.
    let bad = [0x1f, 0x8b, 8, 0x20, 0, 0, 0, 0, 0, 255];
    assert!(matches!(
        GzipInflater::new(16).feed(&bad),
        Err(FrameError::Malformed(_))
    ));
}

#[test]
fn gzip_bomb_is_refused() {
    let zeros = vec![0u8; 8 << 20];
    let packed = gzip(&zeros);
    assert!(packed.len() < 64 * 1024);
    let mut inflater = GzipInflater::new(1 << 20);
    let mut out = Vec::new();
    let err = inflater.feed_into(&packed, &mut out).unwrap_err();
    assert_eq!(err, FrameError::TooLarge { limit: 1 << 20 });
    assert!(
        out.capacity() <= (1 << 20) + 64 * 1024,
        "allocated {}",
        out.capacity()
    );
    // Sticky: the stream stays failed.
    assert!(inflater.feed(b"more").is_err());
    // The same bytes in small chunks stay under a per-call cap, but hit a total cap.
    let mut inflater = GzipInflater::new(1 << 20).with_total_limit(2 << 20);
    let result = inflate_chunks(&mut inflater, packed.chunks(256));
    assert_eq!(result, Err(FrameError::TooLarge { limit: 2 << 20 }));
}

#[test]
fn gzip_corruption_and_truncation() {
    let plain = b"data: {\"x\":1}\n\n".repeat(50);
    let packed = gzip(&plain);
    // Not gzip at all.
    assert!(matches!(
        GzipInflater::new(1 << 20).feed(b"data: plain\n\n"),
        Err(FrameError::Malformed(_))
    ));
    // CRC32 in the trailer damaged.
    let mut bad = packed.clone();
    let at = bad.len() - 6;
    bad[at] ^= 0x55;
    assert!(matches!(
        inflate_chunks(&mut GzipInflater::new(1 << 20), [bad.as_slice()]),
        Err(FrameError::Malformed(m)) if m.contains("CRC")
    ));
    // Cut before the end.
    let mut inflater = GzipInflater::new(1 << 20);
    inflater.feed(&packed[..packed.len() - 3]).unwrap();
    assert_eq!(inflater.finish(), Err(FrameError::Truncated));
    // Damaged deflate data never panics.
    let mut seed = 99u64;
    for _ in 0..200 {
        let mut bytes = packed.clone();
        let at = 10 + (lcg(&mut seed) as usize) % (bytes.len() - 10);
        bytes[at] = lcg(&mut seed) as u8;
        let _ = inflate_chunks(&mut GzipInflater::new(1 << 16), bytes.chunks(17));
    }
    // Empty body: nothing, no error.
    assert_eq!(
        inflate_chunks(&mut GzipInflater::new(16), []),
        Ok(Vec::new())
    );
}
