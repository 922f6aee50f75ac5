//! Stream-translation fixtures (the translation half of streaming): for every case folder under
//! `tests/fixtures/streams/<dir>/<case>/`, frame the upstream bytes, run the provider's
//! translator, and compare the neutral events with `expected-events.json`.
//!
//! A case folder holds, written by hand from the provider's documented stream examples:
//! - `case.json`: `{"provider": "<kong provider>", "route": "chat"|"completions",
//!   "options": {model.options…}, "model": "…", "source": "…"}`
//! - `upstream.sse` or `upstream.ndjson`: the provider's stream bytes
//! - `expected-events.json`: the events, one object each: `{"meta":{"id","model"}}`,
//!   `{"text":…}`, `{"reasoning":…}`, `{"reasoning_signature":…}`, `{"redacted_reasoning":…}`,
//!   `{"tool_call_start":{"index","id","name"}}`,
//!   `{"tool_call_args":{"index","fragment"}}`, `{"finish":"stop"}`, `{"usage":{…}}`,
//!   `{"error":{"message","kind"}}`
//!
//! The framing here is a plain test reader (LF line endings, one frame per blank-line block or
//! line), independent of the filter's incremental decoders, which have their own tests.

#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::path::Path;

use ai_proxy::config::{ModelOptions, ProviderName};
use ai_proxy::env::FixedEnv;
use ai_proxy::providers::{self, ResponseCtx, StreamPlan};
use ai_proxy::stream::{Frame, Framing, StreamEvent};
use serde_json::{json, Value};

use super::{assert_json_eq, fixtures, read_json};

/// SSE text → frames (`event:` and `data:` fields; several `data:` lines joined with `\n`).
pub fn frames_from_sse(text: &str) -> Vec<Frame> {
    let mut frames = Vec::new();
    for block in text.split("\n\n") {
        let mut event = None;
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                event = Some(v.trim_start().to_string());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if event.is_some() || !data.is_empty() {
            frames.push(Frame::Sse {
                event,
                data: data.join("\n"),
            });
        }
    }
    frames
}

/// NDJSON text → one frame per non-empty line.
pub fn frames_from_ndjson(text: &str) -> Vec<Frame> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| Frame::Json(l.as_bytes().to_vec()))
        .collect()
}

/// One event as the JSON object used in `expected-events.json`.
pub fn event_json(ev: &StreamEvent) -> Value {
    match ev {
        StreamEvent::Meta { id, model } => json!({"meta": {"id": id, "model": model}}),
        StreamEvent::Text(t) => json!({ "text": t }),
        StreamEvent::Reasoning(t) => json!({ "reasoning": t }),
        StreamEvent::ReasoningSignature(s) => json!({ "reasoning_signature": s }),
        StreamEvent::RedactedReasoning(d) => json!({ "redacted_reasoning": d }),
        StreamEvent::ToolCallStart { index, id, name } => {
            json!({"tool_call_start": {"index": index, "id": id, "name": name}})
        }
        StreamEvent::ToolCallArgs { index, fragment } => {
            json!({"tool_call_args": {"index": index, "fragment": fragment}})
        }
        StreamEvent::Finish(r) => json!({ "finish": r }),
        StreamEvent::Usage(u) => json!({ "usage": u }),
        StreamEvent::Error { message, kind } => {
            json!({"error": {"message": message, "kind": kind}})
        }
    }
}

/// Translates frames with a fresh translator of the case's provider; returns the events.
pub fn translate(case: &Value, frames: Vec<Frame>, want_framing: Framing) -> Vec<StreamEvent> {
    let provider: ProviderName =
        serde_json::from_value(case.get("provider").cloned().unwrap_or(Value::Null))
            .expect("case.json: provider");
    let route = super::golden::route_of(
        case.get("route")
            .and_then(Value::as_str)
            .expect("case.json: route"),
    );
    let options: ModelOptions =
        serde_json::from_value(case.get("options").cloned().unwrap_or_else(|| json!({})))
            .expect("case.json: options");
    let model = case
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("test-model");
    let env = FixedEnv::default();
    let ctx = ResponseCtx {
        route,
        model,
        options: &options,
        stream: true,
        env: &env,
    };
    let imp = providers::for_name(provider, &options);
    let StreamPlan::Translate {
        framing,
        mut translator,
    } = imp.stream(&ctx)
    else {
        panic!("expected a translated stream");
    };
    assert_eq!(framing, want_framing, "framing");
    let mut out = Vec::new();
    for frame in frames {
        translator
            .on_frame(frame, &mut out)
            .unwrap_or_else(|e| panic!("translation failed: {e}"));
    }
    translator.on_end(&mut out);
    out
}

/// Runs every case of `fixtures/streams/<dir>/`; returns how many ran.
pub fn run_stream_cases(dir: &str) -> usize {
    let root = fixtures().join("streams").join(dir);
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    cases.sort();
    let mut n = 0;
    for path in cases.iter().filter(|p| p.join("case.json").exists()) {
        run_case(path);
        n += 1;
    }
    n
}

fn run_case(path: &Path) {
    let name = path.display().to_string();
    let case = read_json(&path.join("case.json"));
    let (frames, framing) = if path.join("upstream.sse").exists() {
        let text = std::fs::read_to_string(path.join("upstream.sse")).unwrap();
        (frames_from_sse(&text), Framing::Sse)
    } else {
        let text = std::fs::read_to_string(path.join("upstream.ndjson")).unwrap();
        (frames_from_ndjson(&text), Framing::Ndjson)
    };
    let got: Vec<Value> = translate(&case, frames, framing)
        .iter()
        .map(event_json)
        .collect();
    let want = read_json(&path.join("expected-events.json"));
    assert_json_eq(&Value::Array(got), &want, &format!("{name}: events"));
}
