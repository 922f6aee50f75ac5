//! The benchmark payload generator (`benches/make_payloads.py`) runs and writes what the
//! benches read: valid JSON of the announced sizes and an SSE stream of 200 events.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::Path;
use std::process::Command;

#[test]
fn payload_generator_writes_every_bench_input() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::env::temp_dir().join(format!("ai-proxy-bench-payloads-{}", std::process::id()));
    let status = Command::new("python3")
        .arg(root.join("benches/make_payloads.py"))
        .arg(&out)
        .status()
        .expect("python3 runs");
    assert!(status.success());
    let size = |name: &str| std::fs::metadata(out.join(name)).unwrap().len();
    for (name, min, max) in [
        ("req_small_chat.json", 700, 1_400),
        ("req_tool_chat.json", 2_000, 6_000),
        ("req_large_chat.json", 150_000, 250_000),
        ("req_multimodal.json", 1_000_000, 1_100_000),
        ("chat_1k.json", 1_000, 1_400),
        ("chat_64k.json", 60_000, 70_000),
        ("chat_1m.json", 1_000_000, 1_100_000),
        ("chat_8m.json", 8_000_000, 8_800_000),
    ] {
        let n = size(name);
        assert!((min..=max).contains(&n), "{name}: {n} bytes");
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join(name)).unwrap()).unwrap();
        assert!(
            v["messages"].as_array().is_some_and(|m| !m.is_empty()),
            "{name}"
        );
    }
    for p in ["anthropic", "gemini", "bedrock"] {
        for kind in ["text", "tool_use"] {
            let name = format!("resp_{p}_{kind}.json");
            let _: serde_json::Value =
                serde_json::from_slice(&std::fs::read(out.join(&name)).unwrap()).unwrap();
        }
    }
    let sse = std::fs::read_to_string(out.join("stream_anthropic.sse")).unwrap();
    assert_eq!(
        sse.matches("\n\n").count(),
        201,
        "message_start … message_stop"
    );
    let _ = std::fs::remove_dir_all(&out);
}
