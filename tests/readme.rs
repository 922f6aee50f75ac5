//! README.md stays true: its features table is exactly what the providers declare
//! (`Provider::supports` / `supports_stream`), and it opens with the two commands.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use ai_proxy::api::RouteType;
use ai_proxy::config::schema::{Llama2Format, MistralFormat};
use ai_proxy::config::{ModelOptions, ProviderName};
use ai_proxy::providers;

/// The rows of the table: (label, provider, options selecting the wire format).
fn rows() -> Vec<(&'static str, ProviderName, ModelOptions)> {
    let fmt = |m: Option<MistralFormat>, l: Option<Llama2Format>| ModelOptions {
        mistral_format: m,
        llama2_format: l,
        ..ModelOptions::default()
    };
    vec![
        ("openai", ProviderName::Openai, fmt(None, None)),
        ("azure", ProviderName::Azure, fmt(None, None)),
        ("anthropic", ProviderName::Anthropic, fmt(None, None)),
        ("cohere", ProviderName::Cohere, fmt(None, None)),
        (
            "mistral (`openai` format)",
            ProviderName::Mistral,
            fmt(Some(MistralFormat::Openai), None),
        ),
        (
            "mistral (`ollama` format)",
            ProviderName::Mistral,
            fmt(Some(MistralFormat::Ollama), None),
        ),
        (
            "llama2 (`openai` format)",
            ProviderName::Llama2,
            fmt(None, Some(Llama2Format::Openai)),
        ),
        (
            "llama2 (`ollama` format)",
            ProviderName::Llama2,
            fmt(None, Some(Llama2Format::Ollama)),
        ),
        (
            "llama2 (`raw` format)",
            ProviderName::Llama2,
            fmt(None, Some(Llama2Format::Raw)),
        ),
        ("ollama", ProviderName::Ollama, fmt(None, None)),
        (
            "gemini (AI Studio and Vertex)",
            ProviderName::Gemini,
            fmt(None, None),
        ),
        ("bedrock", ProviderName::Bedrock, fmt(None, None)),
        ("huggingface", ProviderName::Huggingface, fmt(None, None)),
        ("cerebras", ProviderName::Cerebras, fmt(None, None)),
        ("xai", ProviderName::Xai, fmt(None, None)),
        ("deepseek", ProviderName::Deepseek, fmt(None, None)),
        ("databricks", ProviderName::Databricks, fmt(None, None)),
        ("vllm", ProviderName::Vllm, fmt(None, None)),
        ("dashscope", ProviderName::Dashscope, fmt(None, None)),
    ]
}

fn cell(p: &dyn providers::Provider, route: RouteType) -> &'static str {
    match (p.supports(route), p.supports_stream(route)) {
        (true, true) => "yes + stream",
        (true, false) => "yes",
        _ => "–",
    }
}

/// A route group's cell: "yes" (or "translated", for a provider whose own API is called)
/// when the provider serves every route type of the group, the served ones by name when only
/// some, "–" when none; then "400 (…)" for the ones Kong lists that the filter refuses per
/// request (`ai_proxy::routes::refusal`).
fn group_cell(
    name: ProviderName,
    p: &dyn providers::Provider,
    group: &[(RouteType, &'static str)],
) -> String {
    let via_chat = |r: RouteType| ai_proxy::exchange::responses_via_chat(r, p);
    let served: Vec<&str> = group
        .iter()
        .filter(|(r, _)| p.supports(*r) || via_chat(*r))
        .map(|(_, n)| *n)
        .collect();
    let refused: Vec<&str> = group
        .iter()
        .filter(|(r, _)| ai_proxy::routes::refusal(name, *r, false).is_some())
        .map(|(_, n)| *n)
        .collect();
    let translated = group
        .iter()
        .all(|(r, _)| ai_proxy::routes::translated(name, *r));
    // Served by Gemini AI Studio, refused in Vertex mode.
    let vertex_only: Vec<&str> = group
        .iter()
        .filter(|(r, _)| {
            ai_proxy::routes::refusal(name, *r, true).is_some()
                && ai_proxy::routes::refusal(name, *r, false).is_none()
        })
        .map(|(_, n)| *n)
        .collect();
    let cell = if served.is_empty() {
        "–".into()
    } else if served.len() == group.len() {
        let streams = |r: RouteType| {
            p.supports_stream(r) || (via_chat(r) && p.supports_stream(RouteType::Chat))
        };
        if translated {
            "translated".into()
        } else if group.iter().all(|(r, _)| streams(*r)) {
            "yes + stream".into()
        } else {
            "yes".into()
        }
    } else {
        served.join(", ")
    };
    let cell = if vertex_only.is_empty() {
        cell
    } else {
        format!("{cell} (AI Studio); 400 on Vertex")
    };
    match (refused.is_empty(), served.is_empty()) {
        (true, _) => cell,
        (false, true) => format!("400 ({})", refused.join(", ")),
        (false, false) => format!("{cell}; 400 ({})", refused.join(", ")),
    }
}

/// The table README.md must contain.
pub fn features_table() -> String {
    use RouteType::*;
    let groups: [&[(RouteType, &str)]; 6] = [
        &[(Responses, "responses")],
        &[
            (Files, "files"),
            (Batches, "batches"),
            (Assistants, "assistants"),
        ],
        &[
            (AudioSpeech, "speech"),
            (AudioTranscriptions, "transcriptions"),
            (AudioTranslations, "translations"),
        ],
        &[(ImageGenerations, "generations"), (ImageEdits, "edits")],
        &[(VideoGenerations, "generations")],
        &[(Realtime, "realtime")],
    ];
    let mut t = String::from(
        "| provider | `llm/v1/chat` | `llm/v1/completions` | `llm/v1/embeddings` | `preserve` | responses | files, batches, assistants | audio | images | video | realtime |\n|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for (label, name, options) in rows() {
        let p = providers::for_name(name, &options);
        t.push_str(&format!(
            "| {label} | {} | {} | {} | {} |",
            cell(p, RouteType::Chat),
            cell(p, RouteType::Completions),
            cell(p, RouteType::Embeddings),
            if p.supports(RouteType::Preserve) {
                "yes"
            } else {
                "–"
            },
        ));
        for g in groups {
            t.push_str(&format!(" {} |", group_cell(name, p, g)));
        }
        t.push('\n');
    }
    t
}

#[test]
fn readme_features_table_matches_the_providers() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = features_table();
    assert!(
        readme.contains(&table),
        "README.md's features table is out of date; it must contain:\n{table}"
    );
}

#[test]
fn readme_opens_with_the_two_commands() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let head: String = readme.lines().take(20).collect::<Vec<_>>().join("\n");
    assert!(
        head.contains("make run") && head.contains("make test"),
        "{head}"
    );
}
