//! The OpenAI-compatible family end to end through the host-free exchange: config + client
//! request → upstream URL, auth, body; upstream answer → client answer; every error text of
//! docs/kong-compatibility.md §3.2 that the request side produces.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod support;

use std::rc::Rc;

use ai_proxy::config::Config;
use ai_proxy::env::FixedEnv;
use ai_proxy::exchange::{Exchange, HeadStep, LocalReply, RequestEdits, RequestHead};
use serde_json::{json, Value};
use support::assert_json_eq;
use support::edits::{body, header, url};

fn exchange(config: Value) -> Exchange {
    let cfg = Config::parse(config.to_string().as_bytes()).expect("config");
    ai_proxy::exchange::check_config(&cfg).expect("check_config");
    Exchange::new(Rc::new(cfg), Rc::new(FixedEnv::default()))
}

fn head(ex: &mut Exchange, path: &str, headers: &[(&str, &str)], body_len: usize) -> HeadStep {
    let mut h: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    h.push(("content-length".into(), body_len.to_string()));
    ex.on_request_head(RequestHead {
        method: "POST",
        path,
        headers: &h,
    })
}

/// Sends a request; returns the edits or the local reply.
fn send(
    config: Value,
    path: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> (Exchange, Result<RequestEdits, LocalReply>) {
    let mut ex = exchange(config);
    let bytes = body.to_string().into_bytes();
    match head(&mut ex, path, headers, bytes.len()) {
        HeadStep::Reply(r) => (ex, Err(r)),
        HeadStep::Forward(e) => (ex, Ok(e)),
        HeadStep::Call(c) => panic!("a call of the filter's own: {c:?}"),
        HeadStep::WaitBody { .. } => {
            let r = ex.on_request_body(&bytes);
            (ex, r)
        }
    }
}

fn chat() -> Value {
    json!({"messages": [{"role": "user", "content": "hi"}]})
}

fn error_of(r: Result<RequestEdits, LocalReply>) -> (u16, String) {
    let r = r.expect_err("expected a local reply");
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    (
        r.status,
        v["error"]["message"].as_str().unwrap().to_string(),
    )
}

#[test]
fn openai_chat_url_auth_and_body() {
    let (_, r) = send(
        json!({"route_type": "llm/v1/chat",
               "auth": {"header_name": "Authorization", "header_value": "Bearer sk-test"},
               "model": {"provider": "openai", "name": "gpt-4o",
                         "options": {"max_tokens": 512, "temperature": 0.5, "top_k": 3}}}),
        "/v1/chat/completions?trace=1",
        &[
            ("content-type", "application/json"),
            ("authorization", "Bearer client"),
        ],
        &json!({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.9,
                "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
                "custom_field": {"kept": true}}),
    );
    let e = r.unwrap();
    assert_eq!(
        url(&e),
        "https://api.openai.com/v1/chat/completions?trace=1"
    );
    assert_eq!(header(&e, "authorization"), Some("Bearer sk-test"));
    assert_eq!(header(&e, "content-type"), Some("application/json"));
    assert_eq!(header(&e, "host"), Some("api.openai.com"));
    // Request values win over option defaults (docs/kong-compatibility.md §6); top_k is stripped for
    // OpenAI; unknown fields pass through (docs/kong-compatibility.md §13.1).
    assert_json_eq(
        &body(&e),
        &json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}],
                "temperature": 0.9, "max_tokens": 512, "stream": false,
                "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
                "custom_field": {"kept": true}}),
        "openai body",
    );
}

#[test]
fn azure_deployment_url_api_version_and_client_override() {
    let cfg = json!({"route_type": "llm/v1/chat",
        "auth": {"header_name": "api-key", "header_value": "az"},
        "model": {"provider": "azure", "name": "gpt-4o",
                  "options": {"azure_instance": "myinst", "azure_deployment_id": "dep1"}}});
    let (_, r) = send(cfg.clone(), "/chat", &[], &chat());
    let e = r.unwrap();
    assert_eq!(
        url(&e),
        "https://myinst.openai.azure.com/openai/deployments/dep1/chat/completions?api-version=2023-05-15"
    );
    assert_eq!(header(&e, "api-key"), Some("az"));
    let (_, r) = send(cfg, "/chat?api-version=2024-10-21", &[], &chat());
    assert_eq!(
        url(&r.unwrap()),
        "https://myinst.openai.azure.com/openai/deployments/dep1/chat/completions?api-version=2024-10-21"
    );
}

#[test]
fn every_compatible_provider_url() {
    let cases = [
        (
            json!({"provider": "mistral", "name": "mistral-large", "options": {"mistral_format": "openai"}}),
            "https://api.mistral.ai/v1/chat/completions",
        ),
        (
            json!({"provider": "llama2", "name": "llama", "options": {"llama2_format": "openai", "upstream_url": "http://llm.local:8080/v1/chat/completions"}}),
            "http://llm.local:8080/v1/chat/completions",
        ),
        (
            json!({"provider": "cerebras", "name": "llama3.1-8b"}),
            "https://api.cerebras.ai/v1/chat/completions",
        ),
        (
            json!({"provider": "xai", "name": "grok-3"}),
            "https://api.x.ai/v1/chat/completions",
        ),
        (
            json!({"provider": "deepseek", "name": "deepseek-chat"}),
            "https://api.deepseek.com/v1/chat/completions",
        ),
        (
            json!({"provider": "databricks", "name": "dbrx", "options": {"databricks": {"workspace_instance_id": "dbc-1-2"}}}),
            "https://dbc-1-2.cloud.databricks.com/serving-endpoints/chat/completions",
        ),
        (
            json!({"provider": "vllm", "name": "qwen", "options": {"upstream_url": "http://vllm:8000"}}),
            "http://vllm:8000/v1/chat/completions",
        ),
        (
            json!({"provider": "dashscope", "name": "qwen-plus"}),
            "https://dashscope-intl.aliyuncs.com/compatible-mode/v1/chat/completions",
        ),
        (
            json!({"provider": "dashscope", "name": "qwen-plus", "options": {"dashscope": {"international": false}}}),
            "https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions",
        ),
        (
            json!({"provider": "openai", "name": "m", "options": {"upstream_url": "https://api.deepseek.com/chat/completions"}}),
            "https://api.deepseek.com/chat/completions",
        ),
    ];
    for (model, want) in cases {
        let (_, r) = send(
            json!({"route_type": "llm/v1/chat", "model": model}),
            "/x",
            &[],
            &chat(),
        );
        let e = r.unwrap_or_else(|e| panic!("{model}: {:?}", String::from_utf8_lossy(&e.body)));
        assert_eq!(url(&e), want, "{model}");
        assert_eq!(body(&e)["model"], model["name"], "{model}");
    }
}

#[test]
fn completions_and_embeddings_paths() {
    let (_, r) = send(
        json!({"route_type": "llm/v1/completions", "model": {"provider": "openai", "name": "gpt-3.5-turbo-instruct"}}),
        "/c",
        &[],
        &json!({"prompt": "Say hi"}),
    );
    assert_eq!(url(&r.unwrap()), "https://api.openai.com/v1/completions");
    let (_, r) = send(
        json!({"route_type": "llm/v1/embeddings", "model": {"provider": "openai", "name": "text-embedding-3-small", "options": {"embeddings_dimensions": 256}}}),
        "/e",
        &[],
        &json!({"input": "hello"}),
    );
    let e = r.unwrap();
    assert_eq!(url(&e), "https://api.openai.com/v1/embeddings");
    assert_json_eq(
        &body(&e),
        &json!({"model": "text-embedding-3-small", "input": "hello", "dimensions": 256}),
        "embeddings body",
    );
}

#[test]
fn query_and_body_auth_with_override() {
    let (_, r) = send(
        json!({"route_type": "llm/v1/chat",
               "auth": {"param_name": "key", "param_value": "s3cret", "param_location": "query"},
               "model": {"provider": "openai", "name": "m"}}),
        "/x?key=client",
        &[],
        &chat(),
    );
    assert_eq!(
        url(&r.unwrap()),
        "https://api.openai.com/v1/chat/completions?key=s3cret"
    );
    let (_, r) = send(
        json!({"route_type": "llm/v1/chat",
               "auth": {"param_name": "api_key", "param_value": "s3cret", "param_location": "body", "allow_override": true},
               "model": {"provider": "openai", "name": "m"}}),
        "/x",
        &[],
        &json!({"messages": [{"role": "user", "content": "hi"}], "api_key": "mine"}),
    );
    assert_eq!(body(&r.unwrap())["api_key"], "mine");
    let (_, r) = send(
        json!({"route_type": "llm/v1/chat",
               "auth": {"header_name": "x-api-key", "header_value": "cfg", "allow_override": true},
               "model": {"provider": "openai", "name": "m"}}),
        "/x",
        &[("x-api-key", "client")],
        &chat(),
    );
    // The client's header is kept: we set nothing over it.
    assert_eq!(header(&r.unwrap(), "x-api-key"), None);
}

#[test]
fn request_error_texts() {
    let base =
        json!({"route_type": "llm/v1/chat", "model": {"provider": "openai", "name": "gpt-4o"}});
    let cases = [
        (
            json!({"messages": []}),
            "request body doesn't contain valid prompts",
        ),
        (
            json!({"messages": [{"role":"user","content":"x"}], "prompt": "y"}),
            "request matches multiple LLM request formats",
        ),
        (
            json!({"prompt": "y"}),
            "[llm/v1/completions] message format is not compatible with [llm/v1/chat] route type",
        ),
        (
            json!({"messages": [{"role":"user","content":"x"}], "model": "other"}),
            "cannot use own model - must be: gpt-4o",
        ),
    ];
    for (b, want) in cases {
        let (_, r) = send(base.clone(), "/x", &[], &b);
        assert_eq!(error_of(r), (400, want.to_string()), "{b}");
    }
    // A matching, empty or null model is accepted (docs FAQ).
    for m in [json!("gpt-4o"), json!(""), Value::Null] {
        let (_, r) = send(
            base.clone(),
            "/x",
            &[],
            &json!({"messages": [{"role":"user","content":"x"}], "model": m}),
        );
        assert!(r.is_ok(), "{m}");
    }
    let no_model = json!({"route_type": "llm/v1/chat", "model": {"provider": "openai"}});
    let (_, r) = send(no_model.clone(), "/x", &[], &chat());
    assert_eq!(
        error_of(r),
        (
            400,
            "model parameter not found in request, nor in gateway configuration".into()
        )
    );
    let (_, r) = send(
        no_model,
        "/x",
        &[],
        &json!({"messages": [{"role":"user","content":"x"}], "model": "from-body"}),
    );
    assert_eq!(body(&r.unwrap())["model"], "from-body");

    let (_, r) = send(base.clone(), "/x", &[], &json!("not an object"));
    assert_eq!(
        error_of(r),
        (
            400,
            "content-type header does not match request body, or bad JSON formatting".into()
        )
    );
    let mut ex = exchange(base.clone());
    let _ = head(&mut ex, "/x", &[], 5);
    let r = ex.on_request_body(b"{bad");
    assert_eq!(
        error_of(r),
        (
            400,
            "content-type header does not match request body, or bad JSON formatting".into()
        )
    );

    let deny = json!({"route_type": "llm/v1/chat", "response_streaming": "deny", "model": {"provider": "openai", "name": "m"}});
    let (_, r) = send(
        deny,
        "/x",
        &[],
        &json!({"messages": [{"role":"user","content":"x"}], "stream": true}),
    );
    assert_eq!(
        error_of(r),
        (400, "response streaming is not enabled for this LLM".into())
    );
}

#[test]
fn body_size_limit_before_and_after_buffering() {
    let cfg = json!({"route_type": "llm/v1/chat", "max_request_body_size": 10, "model": {"provider": "openai", "name": "m"}});
    let mut ex = exchange(cfg.clone());
    match head(&mut ex, "/x", &[], 11) {
        HeadStep::Reply(r) => assert_eq!(r.status, 413),
        other => panic!("{other:?}"),
    }
    // Chunked body (no declared length) over the limit: refused once buffered.
    let mut ex = exchange(cfg);
    let h = vec![("transfer-encoding".to_string(), "chunked".to_string())];
    assert!(matches!(
        ex.on_request_head(RequestHead {
            method: "POST",
            path: "/x",
            headers: &h
        }),
        HeadStep::WaitBody { .. }
    ));
    assert_eq!(
        ex.on_request_body(&chat().to_string().into_bytes())
            .unwrap_err()
            .status,
        413
    );
}

#[test]
fn response_streaming_always_forces_stream() {
    let (ex, r) = send(
        json!({"route_type": "llm/v1/chat", "response_streaming": "always", "model": {"provider": "openai", "name": "m"}}),
        "/x",
        &[],
        &chat(),
    );
    assert_eq!(body(&r.unwrap())["stream"], true);
    assert!(ex.is_stream());
}

#[test]
fn preserve_keeps_body_and_client_path() {
    let cfg = json!({"route_type": "preserve",
        "auth": {"header_name": "Authorization", "header_value": "Bearer k"},
        "model": {"provider": "openai", "name": "whisper-1",
                  "options": {"upstream_url": "http://mock:9000/whatever"}}});
    let (_, r) = send(
        cfg.clone(),
        "/llm/v1/embeddings/good",
        &[],
        &json!({"input": "x"}),
    );
    let e = r.unwrap();
    assert_eq!(url(&e), "http://mock:9000/llm/v1/embeddings/good");
    assert_eq!(e.body, None, "preserve never rewrites the body");
    assert_eq!(header(&e, "authorization"), Some("Bearer k"));
    let (_, r) = send(cfg, "/x", &[], &json!({"model": "other"}));
    assert_eq!(error_of(r).1, "cannot use own model - must be: whisper-1");
}

#[test]
fn multipart_is_forwarded_untouched() {
    let cfg = json!({"route_type": "llm/v1/chat", "auth": {"header_name": "Authorization", "header_value": "Bearer k"},
                     "model": {"provider": "openai", "name": "m"}});
    let mut ex = exchange(cfg);
    let step = head(
        &mut ex,
        "/v1/audio",
        &[("content-type", "multipart/form-data; boundary=x")],
        100,
    );
    let HeadStep::Forward(e) = step else {
        panic!("{step:?}")
    };
    assert_eq!(e.body, None);
    assert_eq!(header(&e, "authorization"), Some("Bearer k"));
}

fn respond(
    ex: &mut Exchange,
    status: u16,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (Vec<(String, String)>, Vec<u8>, Option<u16>) {
    let h: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let edits = ex.on_response_head(status, &h);
    let step = ex.on_response_body(body, true);
    let out = step.replace.unwrap_or_else(|| body.to_vec());
    (edits.set_headers, out, step.status)
}

#[test]
fn openai_answer_passes_through_with_model_header() {
    let (mut ex, r) = send(
        json!({"route_type": "llm/v1/chat", "model": {"provider": "openai", "name": "gpt-4o"}}),
        "/x",
        &[],
        &chat(),
    );
    r.unwrap();
    let answer = br#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o-2024","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}"#;
    let (set, out, status) = respond(
        &mut ex,
        200,
        &[("content-type", "application/json"), ("set-cookie", "a=b")],
        answer,
    );
    assert_eq!(
        out,
        answer.to_vec(),
        "OpenAI answers are returned byte for byte"
    );
    assert_eq!(status, None);
    assert!(set.contains(&("x-kong-llm-model".into(), "openai/gpt-4o".into())));
}

#[test]
fn untranslatable_200_becomes_500_and_errors_pass_through() {
    let cfg = json!({"route_type": "llm/v1/chat", "model": {"provider": "openai", "name": "m"}});
    let (mut ex, _) = send(cfg.clone(), "/x", &[], &chat());
    let (set, out, status) = respond(&mut ex, 200, &[], br#"{"object":"nothing"}"#);
    assert_eq!(status, Some(500));
    // docs/troubleshooting.md: the model header names the model that answered 2xx, so it is
    // on the 500 `transformation failed` answer too (set with the provider's headers).
    assert!(set.contains(&("x-kong-llm-model".into(), "openai/m".into())));
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["error"]["message"], "transformation failed from type openai://llm/v1/chat: 'choices' not in llm/v1/chat response");

    let (mut ex, _) = send(cfg, "/x", &[], &chat());
    let err = br#"{"error":{"message":"Incorrect API key","code":"invalid_api_key"}}"#;
    let (set, out, status) = respond(&mut ex, 401, &[], err);
    assert_eq!((out, status), (err.to_vec(), None));
    assert!(
        set.iter().all(|(k, _)| k != "x-kong-llm-model"),
        "model header only on 2xx"
    );
}

#[test]
fn gzip_answers_inflated_or_regzipped() {
    use std::io::{Read, Write};
    let answer = br#"{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[]}"#;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(answer).unwrap();
    let gz = enc.finish().unwrap();
    let cfg = json!({"route_type": "llm/v1/chat", "model": {"provider": "openai", "name": "m"}});
    // Client without gzip: plain body.
    let (mut ex, _) = send(cfg.clone(), "/x", &[], &chat());
    let (_, out, _) = respond(&mut ex, 200, &[("content-encoding", "gzip")], &gz);
    assert_eq!(out, answer.to_vec());
    // Client with gzip: gzip body, header set.
    let (mut ex, _) = send(cfg, "/x", &[("accept-encoding", "gzip, br")], &chat());
    let (set, out, _) = respond(&mut ex, 200, &[("content-encoding", "gzip")], &gz);
    assert!(set.contains(&("content-encoding".into(), "gzip".into())));
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&out[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, answer.to_vec());
}

#[test]
fn streaming_passthrough_and_analytics() {
    let (mut ex, r) = send(
        json!({"route_type": "llm/v1/chat", "logging": {"log_statistics": true},
               "model": {"provider": "openai", "name": "m", "options": {"input_cost": 10.0, "output_cost": 10.0}}}),
        "/x",
        &[],
        &json!({"messages": [{"role":"user","content":"one two"}], "stream": true}),
    );
    r.unwrap();
    let edits = ex.on_response_head(200, &[("content-type".into(), "text/event-stream".into())]);
    assert!(edits
        .set_headers
        .contains(&("content-type".into(), "text/event-stream".into())));
    let s1 = b"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"He";
    let s2 = b"llo\"}}]}\n\ndata: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":25,\"completion_tokens\":12,\"total_tokens\":37}}\n\ndata: [DONE]\n\n";
    assert_eq!(ex.on_response_body(s1, false).replace, None);
    let last = ex.on_response_body(s2, true);
    assert_eq!(last.replace, None, "OpenAI streams pass through unchanged");
    assert!(last.done);
    let a = ex.analytics_json().unwrap();
    assert_eq!(a["ai"]["proxy"]["usage"]["prompt_tokens"], 25);
    assert_eq!(a["ai"]["proxy"]["usage"]["total_tokens"], 37);
    assert!((a["ai"]["proxy"]["usage"]["cost"].as_f64().unwrap() - 0.00037).abs() < 1e-12);
    assert_eq!(a["ai"]["proxy"]["meta"]["request_mode"], "stream");
}

#[test]
fn templated_azure_deployment_and_model_from_path() {
    let cfg = json!({"route_type": "llm/v1/chat",
        "uri_captures": "^/azure/(?<deployment>[^/]+)/chat$",
        "model": {"provider": "azure", "name": "$(headers.x-model-name)",
                  "options": {"azure_instance": "inst-$(query_params.region)",
                              "azure_deployment_id": "$(uri_captures.deployment)"}}});
    let (_, r) = send(
        cfg.clone(),
        "/azure/west-gpt4o/chat?region=eu",
        &[("X-Model-Name", "gpt-4o")],
        &chat(),
    );
    let e = r.unwrap();
    assert_eq!(
        url(&e),
        "https://inst-eu.openai.azure.com/openai/deployments/west-gpt4o/chat/completions?region=eu&api-version=2023-05-15"
    );
    assert_eq!(body(&e)["model"], "gpt-4o");
    // The body's model is checked against the rendered one (docs/kong-compatibility.md §5).
    let (_, r) = send(
        cfg.clone(),
        "/azure/d/chat?region=eu",
        &[("x-model-name", "gpt-4o")],
        &json!({"messages": [{"role":"user","content":"x"}], "model": "gpt-3.5"}),
    );
    assert_eq!(
        error_of(r),
        (400, "cannot use own model - must be: gpt-4o".into())
    );
    // Missing sources: Kong's texts.
    let (_, r) = send(cfg.clone(), "/azure/d/chat?region=eu", &[], &chat());
    assert_eq!(
        error_of(r),
        (400, "headers key x-model-name was not provided".into())
    );
    let (_, r) = send(cfg, "/other?region=eu", &[("x-model-name", "m")], &chat());
    assert_eq!(
        error_of(r),
        (400, "uri_captures key deployment was not provided".into())
    );
}

#[test]
fn translated_provider_through_the_exchange() {
    // Anthropic: path, version and key headers, translated body; the answer comes back in
    // OpenAI's shape with the model header.
    let (mut ex, r) = send(
        json!({"route_type": "llm/v1/chat",
               "auth": {"header_name": "x-api-key", "header_value": "sk-ant"},
               "model": {"provider": "anthropic", "name": "claude-sonnet-4-5",
                         "options": {"anthropic_version": "2023-06-01", "max_tokens": 256}}}),
        "/v1/chat/completions",
        &[],
        &json!({"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]}),
    );
    let e = r.unwrap();
    assert_eq!(url(&e), "https://api.anthropic.com/v1/messages");
    assert_eq!(header(&e, "anthropic-version"), Some("2023-06-01"));
    assert_eq!(header(&e, "x-api-key"), Some("sk-ant"));
    let b = body(&e);
    assert_eq!(b["max_tokens"], 256);
    assert_eq!(b["messages"], json!([{"role": "user", "content": "Hello"}]));
    assert!(b["system"].to_string().contains("Be brief."), "{b}");
    let answer = json!({"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": "Hi!"}], "stop_reason": "end_turn", "stop_sequence": null,
        "usage": {"input_tokens": 12, "output_tokens": 3}});
    let (set, out, status) = respond(
        &mut ex,
        200,
        &[("content-type", "application/json")],
        answer.to_string().as_bytes(),
    );
    assert_eq!(status, None);
    assert!(set.contains(&(
        "x-kong-llm-model".into(),
        "anthropic/claude-sonnet-4-5".into()
    )));
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["content"], "Hi!");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15})
    );
}

#[test]
fn bedrock_requests_are_signed_and_client_credentials_dropped() {
    let (_, r) = send(
        json!({"route_type": "llm/v1/chat",
               "auth": {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
               "model": {"provider": "bedrock", "name": "anthropic.claude-3-5-sonnet-20240620-v1:0",
                         "options": {"bedrock": {"aws_region": "us-east-1"}}}}),
        "/x",
        &[("authorization", "Bearer client")],
        &chat(),
    );
    let e = r.unwrap();
    assert_eq!(
        url(&e),
        "https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"
    );
    assert!(e.remove_headers.contains(&"authorization".to_string()));
    let auth = header(&e, "authorization").expect("signed");
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
        "{auth}"
    );
    assert!(auth.contains("/us-east-1/bedrock/aws4_request"), "{auth}");
    assert!(!auth.contains("wJalrXUtnFEMI"), "the secret never leaves");
    assert!(header(&e, "x-amz-date").is_some());
}

/// A body forwarded untouched (preserve) is still what the signature covers: two bodies, two
/// signatures (the exchange signs the bytes it is handed, it keeps no copy of them).
#[test]
fn bedrock_preserve_signs_the_client_body() {
    let config = json!({"route_type": "preserve",
           "auth": {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
           "model": {"provider": "bedrock", "options": {"bedrock": {"aws_region": "us-east-1"}}}});
    let path = "/model/cohere.rerank-v3-5%3A0/invoke";
    let signature = |query: &str| {
        let (_, r) = send(
            config.clone(),
            path,
            &[],
            &json!({"query": query, "documents": ["a"]}),
        );
        let e = r.unwrap();
        assert!(e.body.is_none(), "preserve forwards the client's bytes");
        header(&e, "authorization").expect("signed").to_string()
    };
    assert_eq!(signature("one"), signature("one"));
    assert_ne!(signature("one"), signature("two"));
}

#[test]
fn gemini_key_in_query_and_model_in_path() {
    let (_, r) = send(
        json!({"route_type": "llm/v1/chat",
               "auth": {"param_name": "key", "param_value": "AIza", "param_location": "query"},
               "model": {"provider": "gemini", "name": "gemini-2.0-flash"}}),
        "/x",
        &[],
        &json!({"messages": [{"role": "user", "content": "hi"}], "stream": true}),
    );
    let e = r.unwrap();
    assert_eq!(
        url(&e),
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse&key=AIza"
    );
    assert_eq!(
        body(&e)["contents"],
        json!([{"role": "user", "parts": [{"text": "hi"}]}])
    );
}

#[test]
fn base64_embeddings_for_translated_providers() {
    use base64::Engine;
    let (mut ex, r) = send(
        json!({"route_type": "llm/v1/embeddings", "auth": {"param_name": "key", "param_value": "k", "param_location": "query"},
               "model": {"provider": "gemini", "name": "text-embedding-004"}}),
        "/e",
        &[],
        &json!({"input": ["a"], "encoding_format": "base64"}),
    );
    r.unwrap();
    let answer = json!({"embeddings": [{"values": [0.5, -1.0]}]});
    let (_, out, _) = respond(
        &mut ex,
        200,
        &[("content-type", "application/json")],
        answer.to_string().as_bytes(),
    );
    let v: Value = serde_json::from_slice(&out).unwrap();
    let b64 = v["data"][0]["embedding"].as_str().expect("base64 string");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let floats: Vec<f32> = bytes
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(floats, vec![0.5, -1.0]);
}
