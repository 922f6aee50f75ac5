//! `llm/v1/responses` on chat-only providers (docs/routes.md): a Responses request becomes the
//! provider's chat request, and the provider's answer (JSON or stream) comes back as a
//! Responses object or `response.*` events. Shapes: OpenAI API reference ("Create a model
//! response", function calling, streaming events) and Anthropic's Messages reference.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::rc::Rc;

use ai_proxy::config::Config;
use ai_proxy::env::FixedEnv;
use ai_proxy::exchange::{Exchange, HeadStep, RequestEdits, RequestHead};
use serde_json::{json, Value};

fn anthropic() -> Value {
    json!({"route_type": "llm/v1/responses",
        "auth": {"header_name": "x-api-key", "header_value": "sk-ant"},
        "model": {"provider": "anthropic", "name": "claude-sonnet-4-5",
            "options": {"anthropic_version": "2023-06-01", "max_tokens": 1024}},
        "logging": {"log_statistics": true}})
}

fn exchange(cfg: &Value) -> Exchange {
    let c = Config::parse(cfg.to_string().as_bytes()).unwrap();
    ai_proxy::exchange::check_config(&c).unwrap();
    Exchange::new(Rc::new(c), Rc::new(FixedEnv::default()))
}

fn send(
    ex: &mut Exchange,
    method: &str,
    path: &str,
    body: &Value,
) -> Result<RequestEdits, (u16, Value)> {
    let bytes = body.to_string().into_bytes();
    let h = vec![
        ("content-type".to_string(), "application/json".to_string()),
        ("content-length".to_string(), bytes.len().to_string()),
    ];
    match ex.on_request_head(RequestHead {
        method,
        path,
        headers: &h,
    }) {
        HeadStep::Reply(r) => Err((r.status, serde_json::from_slice(&r.body).unwrap())),
        HeadStep::Forward(e) => Ok(e),
        HeadStep::Call(c) => panic!("a call of the filter's own: {c:?}"),
        HeadStep::WaitBody { .. } => ex
            .on_request_body(&bytes)
            .map_err(|r| (r.status, serde_json::from_slice(&r.body).unwrap())),
    }
}

#[test]
fn request_becomes_anthropic_messages() {
    let mut ex = exchange(&anthropic());
    let body = json!({
        "model": "claude-sonnet-4-5",
        "instructions": "You are a helpful assistant.",
        "input": [
            {"role": "user", "content": [{"type": "input_text", "text": "What is the weather like in Paris today?"}]},
            {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{\"location\":\"Paris\"}"},
            {"type": "function_call_output", "call_id": "call_1", "output": "{\"temperature\":14}"}
        ],
        "tools": [{"type": "function", "name": "get_weather", "description": "Get current temperature for a given location.",
            "parameters": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}}],
        "max_output_tokens": 200
    });
    let e = send(&mut ex, "POST", "/v1/responses", &body).unwrap();
    assert_eq!(e.target.host, "api.anthropic.com");
    assert_eq!(e.target.path, "/v1/messages");
    let sent: Value = serde_json::from_slice(e.body.as_ref().unwrap()).unwrap();
    assert_eq!(sent["system"], json!("You are a helpful assistant."));
    assert_eq!(sent["max_tokens"], json!(200));
    assert_eq!(sent["tools"][0]["name"], json!("get_weather"));
    assert_eq!(
        sent["tools"][0]["input_schema"]["required"],
        json!(["location"])
    );
    let msgs = sent["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["role"], json!("user"));
    assert_eq!(msgs[1]["content"][0]["type"], json!("tool_use"));
    assert_eq!(msgs[1]["content"][0]["input"], json!({"location": "Paris"}));
    assert_eq!(msgs[2]["content"][0]["type"], json!("tool_result"));
    assert_eq!(msgs[2]["content"][0]["tool_use_id"], json!("call_1"));
}

#[test]
fn stateless_refusals() {
    let mut ex = exchange(&anthropic());
    let (status, err) = send(
        &mut ex,
        "POST",
        "/v1/responses",
        &json!({"input": "and then?", "previous_response_id": "resp_123"}),
    )
    .unwrap_err();
    assert_eq!(status, 400);
    assert_eq!(err["error"]["message"], json!("previous_response_id is not supported with provider 'anthropic': the gateway keeps no conversation state; send the whole conversation in 'input'"));
    let mut ex = exchange(&anthropic());
    let (status, _) = send(&mut ex, "GET", "/v1/responses/resp_123", &json!({})).unwrap_err();
    assert_eq!(status, 400);
    let mut ex = exchange(&anthropic());
    let (status, err) = send(
        &mut ex,
        "POST",
        "/v1/responses",
        &json!({"input": "hi", "tools": [{"type": "web_search_preview"}]}),
    )
    .unwrap_err();
    assert_eq!(status, 400);
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("web_search_preview"));
}

#[test]
fn anthropic_answer_becomes_a_response_object() {
    let mut ex = exchange(&anthropic());
    send(&mut ex, "POST", "/v1/responses", &json!({"input": "Hi"})).unwrap();
    // Anthropic Messages reference: a message with text and tool_use blocks.
    let upstream = json!({"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Let me check."},
            {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"location": "Paris"}}],
        "stop_reason": "tool_use", "stop_sequence": null,
        "usage": {"input_tokens": 25, "output_tokens": 12}});
    ex.on_response_head(200, &[("content-type".into(), "application/json".into())]);
    let step = ex.on_response_body(upstream.to_string().as_bytes(), true);
    let r: Value = serde_json::from_slice(&step.replace.unwrap()).unwrap();
    assert_eq!(r["object"], json!("response"));
    assert_eq!(r["status"], json!("completed"));
    assert_eq!(r["output"][0]["type"], json!("message"));
    assert_eq!(
        r["output"][0]["content"][0],
        json!({"type": "output_text", "text": "Let me check.", "annotations": []})
    );
    assert_eq!(r["output"][1]["type"], json!("function_call"));
    assert_eq!(r["output"][1]["call_id"], json!("toolu_01"));
    assert_eq!(r["output"][1]["name"], json!("get_weather"));
    assert_eq!(
        serde_json::from_str::<Value>(r["output"][1]["arguments"].as_str().unwrap()).unwrap(),
        json!({"location": "Paris"})
    );
    assert_eq!(r["usage"]["input_tokens"], json!(25));
    assert_eq!(r["usage"]["output_tokens"], json!(12));
    assert_eq!(r["usage"]["total_tokens"], json!(37));
}

#[test]
fn anthropic_stream_becomes_response_events_at_any_chunking() {
    // Anthropic streaming reference: message_start … message_stop.
    let sse = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"!\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );
    for size in [1, 7, sse.len()] {
        let mut ex = exchange(&anthropic());
        send(
            &mut ex,
            "POST",
            "/v1/responses",
            &json!({"input": "Hi", "stream": true}),
        )
        .unwrap();
        ex.on_response_head(200, &[("content-type".into(), "text/event-stream".into())]);
        let mut out = Vec::new();
        let chunks: Vec<&[u8]> = sse.as_bytes().chunks(size).collect();
        for (i, c) in chunks.iter().enumerate() {
            let step = ex.on_response_body(c, i + 1 == chunks.len());
            out.extend(step.replace.unwrap_or_default());
        }
        let text = String::from_utf8(out).unwrap();
        let events: Vec<Value> = text
            .split("\n\n")
            .filter_map(|e| e.lines().find_map(|l| l.strip_prefix("data: ")))
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            vec![
                "response.created",
                "response.in_progress",
                "response.output_item.added",
                "response.content_part.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_text.done",
                "response.content_part.done",
                "response.output_item.done",
                "response.completed"
            ],
            "chunk size {size}"
        );
        let seq: Vec<u64> = events
            .iter()
            .map(|e| e["sequence_number"].as_u64().unwrap())
            .collect();
        assert_eq!(seq, (0..events.len() as u64).collect::<Vec<_>>());
        let done = &events.last().unwrap()["response"];
        assert_eq!(done["output"][0]["content"][0]["text"], json!("Hello!"));
        assert_eq!(done["usage"]["input_tokens"], json!(10));
        assert_eq!(done["usage"]["output_tokens"], json!(3));
        assert!(!text.contains("[DONE]"));
    }
}
