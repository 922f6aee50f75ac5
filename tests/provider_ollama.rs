//! The Ollama family (`ollama`, `mistral` and `llama2` with the `ollama` format, `llama2` raw):
//! golden fixtures (`tests/fixtures/providers/{ollama,llama2,mistral}/`), stream translation
//! fixtures (`tests/fixtures/streams/ollama/`), and focused checks of capabilities, upstream
//! targets, finish reasons and malformed input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

mod support;

use ai_proxy::api::{FinishReason, RouteType};
use ai_proxy::config::schema::{Llama2Format, MistralFormat};
use ai_proxy::config::{ModelOptions, ProviderName};
use ai_proxy::env::FixedEnv;
use ai_proxy::providers::ollama::{decode::map_finish, wire::DoneReason};
use ai_proxy::providers::{self, RequestCtx, ResponseCtx, StreamPlan};
use ai_proxy::stream::Frame;
use serde_json::json;

#[test]
fn golden_ollama() {
    assert_eq!(
        support::golden::run_provider("ollama", ProviderName::Ollama),
        19
    );
}

#[test]
fn golden_llama2() {
    assert_eq!(
        support::golden::run_provider("llama2", ProviderName::Llama2),
        12
    );
}

#[test]
fn golden_mistral() {
    assert_eq!(
        support::golden::run_provider("mistral", ProviderName::Mistral),
        3
    );
}

#[test]
fn stream_fixtures() {
    assert_eq!(support::stream_events::run_stream_cases("ollama"), 7);
}

#[test]
fn done_reasons_map_to_openai_set() {
    assert_eq!(
        map_finish(Some(DoneReason::Stop), false),
        FinishReason::Stop
    );
    assert_eq!(
        map_finish(Some(DoneReason::Length), false),
        FinishReason::Length
    );
    assert_eq!(
        map_finish(Some(DoneReason::Load), false),
        FinishReason::Stop
    );
    assert_eq!(map_finish(None, false), FinishReason::Stop);
    assert_eq!(
        map_finish(Some(DoneReason::Stop), true),
        FinishReason::ToolCalls
    );
    let r: DoneReason = serde_json::from_value(json!("something_new")).unwrap();
    assert_eq!(r, DoneReason::Unknown);
}

fn options(llama2: Option<Llama2Format>, mistral: Option<MistralFormat>) -> ModelOptions {
    ModelOptions {
        llama2_format: llama2,
        mistral_format: mistral,
        ..ModelOptions::default()
    }
}

#[test]
fn capabilities_per_config() {
    let ollama = providers::for_name(ProviderName::Ollama, &ModelOptions::default());
    let mistral = providers::for_name(
        ProviderName::Mistral,
        &options(None, Some(MistralFormat::Ollama)),
    );
    let llama2 = providers::for_name(
        ProviderName::Llama2,
        &options(Some(Llama2Format::Ollama), None),
    );
    let raw = providers::for_name(
        ProviderName::Llama2,
        &options(Some(Llama2Format::Raw), None),
    );
    for p in [ollama, mistral, llama2] {
        for route in [
            RouteType::Chat,
            RouteType::Completions,
            RouteType::Embeddings,
        ] {
            assert!(p.supports(route), "{:?} {route:?}", p.name());
        }
        assert!(p.supports_stream(RouteType::Chat));
        assert!(!p.supports_stream(RouteType::Embeddings));
    }
    assert!(raw.supports(RouteType::Chat) && raw.supports(RouteType::Completions));
    assert!(!raw.supports(RouteType::Embeddings));
    assert_eq!(mistral.name(), ProviderName::Mistral);
    assert_eq!(llama2.name(), ProviderName::Llama2);
}

#[test]
fn llama2_without_upstream_url_is_refused() {
    let env = FixedEnv::default();
    let opts = options(Some(Llama2Format::Ollama), None);
    let ctx = RequestCtx {
        route: RouteType::Chat,
        model: "llama2",
        options: &opts,
        stream: false,
        client_path: "/",
        env: &env,
        body_len: 0,
    };
    let err = providers::for_name(ProviderName::Llama2, &opts)
        .upstream(&ctx)
        .unwrap_err();
    assert_eq!(err.message(), "upstream_url is required for llama2");
}

#[test]
fn ollama_default_target_and_preserve_path() {
    let env = FixedEnv::default();
    let opts = ModelOptions::default();
    let p = providers::for_name(ProviderName::Ollama, &opts);
    for (route, path) in [
        (RouteType::Chat, "/api/chat"),
        (RouteType::Completions, "/api/generate"),
        (RouteType::Embeddings, "/api/embed"),
        (RouteType::Preserve, "/api/show"),
    ] {
        let ctx = RequestCtx {
            route,
            model: "m",
            options: &opts,
            stream: false,
            client_path: "/api/show",
            env: &env,
            body_len: 0,
        };
        let t = p.upstream(&ctx).unwrap();
        assert_eq!(
            format!("{}://{}{}", t.scheme.as_str(), t.authority(), t.path),
            format!("http://localhost:11434{path}")
        );
    }
}

fn translator(
    provider: ProviderName,
    opts: &ModelOptions,
) -> Box<dyn ai_proxy::stream::ProviderStream> {
    let env = FixedEnv::default();
    let ctx = ResponseCtx {
        route: RouteType::Chat,
        model: "m",
        options: opts,
        stream: true,
        env: &env,
    };
    match providers::for_name(provider, opts).stream(&ctx) {
        StreamPlan::Translate { translator, .. } => translator,
        StreamPlan::Passthrough => panic!("translated stream expected"),
    }
}

#[test]
fn malformed_lines_are_errors_not_panics() {
    let mut t = translator(ProviderName::Ollama, &ModelOptions::default());
    let mut out = Vec::new();
    for line in [
        "{broken",
        "\"text\"",
        "{\"done\": \"yes\"}",
        "{\"message\": 1}",
    ] {
        assert!(
            t.on_frame(Frame::Json(line.as_bytes().to_vec()), &mut out)
                .is_err(),
            "{line}"
        );
    }
    assert!(out.is_empty());
    let mut raw = translator(
        ProviderName::Llama2,
        &options(Some(Llama2Format::Raw), None),
    );
    let frame = Frame::Sse {
        event: None,
        data: "{\"token\": 3}".into(),
    };
    assert!(raw.on_frame(frame, &mut out).is_err());
}

#[test]
fn lines_after_done_are_ignored() {
    let mut t = translator(ProviderName::Ollama, &ModelOptions::default());
    let mut out = Vec::new();
    for line in [
        json!({"model": "m", "message": {"content": ""}, "done": true, "prompt_eval_count": 1, "eval_count": 0}),
        json!({"model": "m", "message": {"content": "late"}, "done": false}),
    ] {
        t.on_frame(Frame::Json(line.to_string().into_bytes()), &mut out)
            .unwrap();
    }
    assert_eq!(out.len(), 3, "{out:?}");
}
