//! Never trap: random and truncated inputs through the whole exchange for every provider, on
//! both directions (request bodies, non-streamed answers, streamed answers). A panic here would
//! be a trap in the filter; every outcome must be a value (an edit, a 4xx/5xx reply, an error
//! frame).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::rc::Rc;

use ai_proxy::config::Config;
use ai_proxy::env::FixedEnv;
use ai_proxy::exchange::{Exchange, HeadStep, RequestHead};
use serde_json::json;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn configs() -> Vec<serde_json::Value> {
    let m = |p: &str, o: serde_json::Value| json!({"route_type": "llm/v1/chat", "model": {"provider": p, "name": "m", "options": o}});
    vec![
        m("openai", json!({})),
        m("anthropic", json!({"anthropic_version": "2023-06-01"})),
        m("gemini", json!({})),
        m("bedrock", json!({"bedrock": {"aws_region": "us-east-1"}})),
        m("cohere", json!({})),
        m("huggingface", json!({})),
        m("ollama", json!({})),
        m(
            "llama2",
            json!({"llama2_format": "raw", "upstream_url": "http://h:1/"}),
        ),
    ]
}

const SAMPLES: &[&[u8]] = &[
    br#"{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}}}"#,
    br#"{"messages":[{"role":"assistant","tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{\"a\":[1,2]}"}}]},{"role":"tool","tool_call_id":"1","content":"ok"}],"stop":["x"],"max_tokens":5}"#,
    br#"{"id":"x","content":[{"type":"tool_use","id":"t","name":"f","input":{}}],"candidates":[{"content":{"parts":[{"text":"a"}]}}],"output":{"message":{"content":[{"text":"b"}]}},"message":{"content":[{"type":"text","text":"c"}]},"choices":[]}"#,
    b"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n",
    b"\x00\x00\x00\x10\x00\x00\x00\x00garbage-eventstream",
    b"[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]}}]},",
];

fn mutate(rng: &mut Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    match rng.below(4) {
        0 => v.truncate(rng.below(v.len() + 1)),
        1 => {
            for _ in 0..1 + rng.below(8) {
                if !v.is_empty() {
                    let i = rng.below(v.len());
                    v[i] = rng.next() as u8;
                }
            }
        }
        2 => {
            let extra: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
            let i = rng.below(v.len() + 1);
            v.splice(i..i, extra);
        }
        _ => v = (0..rng.below(256)).map(|_| rng.next() as u8).collect(),
    }
    v
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let valid = br#"{"messages":[{"role":"user","content":"hi"}],"stream":STREAM}"#;
    for cfg in configs() {
        let cfg = Rc::new(Config::parse(cfg.to_string().as_bytes()).unwrap());
        for round in 0..600 {
            let stream = round % 2 == 0;
            let mut ex = Exchange::new(cfg.clone(), Rc::new(FixedEnv::default()));
            let body = if round % 3 == 0 {
                let base = SAMPLES[rng.below(SAMPLES.len())];
                mutate(&mut rng, base)
            } else {
                String::from_utf8_lossy(valid)
                    .replace("STREAM", if stream { "true" } else { "false" })
                    .into_bytes()
            };
            let headers = vec![("content-length".to_string(), body.len().to_string())];
            match ex.on_request_head(RequestHead {
                method: "POST",
                path: "/v1/chat/completions",
                headers: &headers,
            }) {
                HeadStep::WaitBody { .. } => {
                    if ex.on_request_body(&body).is_err() {
                        continue;
                    }
                }
                _ => continue,
            }
            let status = [200, 200, 200, 400, 500][rng.below(5)];
            let ct = [
                "text/event-stream",
                "application/json",
                "application/x-ndjson",
                "application/vnd.amazon.eventstream",
                "text/html",
            ][rng.below(5)];
            let enc: &[(String, String)] = &[("content-type".into(), ct.into())];
            ex.on_response_head(status, enc);
            let base = SAMPLES[rng.below(SAMPLES.len())];
            let answer = mutate(&mut rng, base);
            let cut = rng.below(answer.len() + 1);
            let (a, b) = answer.split_at(cut);
            ex.on_response_body(a, false);
            let last = ex.on_response_body(b, true);
            assert!(last.done);
        }
    }
}
