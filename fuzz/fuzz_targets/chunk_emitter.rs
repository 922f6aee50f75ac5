//! Any sequence of stream events: the emitter never panics, every frame it writes is
//! `data: <JSON>\n\n`, and `data: [DONE]` comes exactly once, last.
#![no_main]

use ai_proxy::api::{FinishReason, RouteType, Usage};
use ai_proxy::stream::emitter::ChunkEmitter;
use ai_proxy::stream::StreamEvent;
use libfuzzer_sys::fuzz_target;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fuzz_target!(|data: &[u8]| {
    let [flags, rest @ ..] = data else { return };
    let route = if flags & 1 == 0 {
        RouteType::Chat
    } else {
        RouteType::Completions
    };
    let mut em = ChunkEmitter::new(route, "id", "model", 1, flags & 2 != 0).accumulate();
    let mut out = Vec::new();
    for piece in rest.split(|&b| b == 0xFF) {
        let [kind, body @ ..] = piece else { continue };
        let index = u32::from(body.first().copied().unwrap_or(0) % 4);
        let event = match kind % 9 {
            0 => StreamEvent::Text(text(body)),
            1 => StreamEvent::Reasoning(text(body)),
            2 => StreamEvent::ToolCallStart {
                index,
                id: text(body),
                name: text(body),
            },
            3 => StreamEvent::ToolCallArgs {
                index,
                fragment: text(body),
            },
            4 => StreamEvent::Finish(FinishReason::Length),
            5 => StreamEvent::Usage(Usage::new(body.len() as u64, 7)),
            6 => StreamEvent::Meta {
                id: Some(text(body)),
                model: None,
            },
            7 => StreamEvent::Error {
                message: text(body),
                kind: None,
            },
            _ => StreamEvent::Finish(FinishReason::ToolCalls),
        };
        em.emit(&event, &mut out);
    }
    em.finish(&mut out);
    let s = std::str::from_utf8(&out).expect("UTF-8 output");
    let frames: Vec<&str> = s
        .strip_suffix("\n\n")
        .expect("ends a frame")
        .split("\n\n")
        .collect();
    assert_eq!(frames.last(), Some(&"data: [DONE]"));
    for f in &frames[..frames.len() - 1] {
        let json = f.strip_prefix("data: ").expect("data: prefix");
        assert!(!json.contains('\n'));
        let _: serde_json::Value = serde_json::from_str(json).expect("JSON chunk");
    }
});
