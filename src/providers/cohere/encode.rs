//! OpenAI → Cohere: chat to the v2 Chat API, completions to the legacy Generate API, and
//! embeddings to the v2 Embed API (see the module doc of `cohere` for why v2 chat).
//!
//! Field mapping (docs.cohere.com/reference/chat, /generate, /embed): `top_p` → `p`,
//! `top_k` → `k`, `stop` → `stop_sequences`, `max_completion_tokens`/`max_tokens` →
//! `max_tokens`; messages keep their roles (`developer` → `system`), tool results become
//! `tool` messages with text blocks, assistant text next to tool calls becomes `tool_plan`.

use crate::api::chat::{
    Content, ContentPart as OaContentPart, Message, Role, ToolChoice as OaToolChoice,
    ToolChoiceMode,
};
use crate::api::embeddings::EmbeddingInput;
use crate::api::{ChatRequest, CompletionsRequest, EmbeddingsRequest, Stop};
use crate::config::ModelOptions;
use crate::error::ProxyError;

use super::wire;

/// Default `input_type` when the config has none (Kong's schema default).
const DEFAULT_INPUT_TYPE: &str = "classification";

/// Builds the `/v2/chat` body.
///
/// OpenAI fields with no Cohere v2 equivalent, dropped: `n`, `user`, `parallel_tool_calls`,
/// `stream_options` (Cohere always reports usage at `message-end`), `logprobs`/`top_logprobs`,
/// `logit_bias` and any other unknown field. `tool_choice` has no named form in Cohere: a named
/// function is sent as `REQUIRED` with only that tool offered.
pub fn encode_chat(
    req: &ChatRequest,
    model: &str,
    stream: bool,
) -> Result<wire::ChatRequest, ProxyError> {
    let ChatRequest {
        model: _,
        messages,
        stream: _,
        stream_options: _,
        max_tokens: _,
        max_completion_tokens: _,
        temperature,
        top_p,
        top_k,
        stop,
        n: _,
        presence_penalty,
        frequency_penalty,
        seed,
        tools,
        tool_choice,
        parallel_tool_calls: _,
        response_format,
        user: _,
        extra: _,
    } = req;

    let messages = messages
        .iter()
        .map(encode_message)
        .collect::<Result<Vec<_>, _>>()?;

    // OpenAI's per-function `strict` becomes Cohere's request-wide `strict_tools`.
    let strict_tools = tools
        .iter()
        .flatten()
        .any(|t| t.function.strict == Some(true))
        .then_some(true);
    let (tools, tool_choice) = encode_tools(tools.as_deref(), tool_choice.as_ref())?;

    let response_format = response_format
        .as_ref()
        .and_then(|rf| match rf.kind.as_str() {
            "json_object" => Some(wire::ResponseFormat {
                kind: "json_object",
                json_schema: None,
            }),
            "json_schema" => Some(wire::ResponseFormat {
                kind: "json_object",
                json_schema: rf.json_schema.as_ref().and_then(|s| s.schema.clone()),
            }),
            _ => None,
        });

    Ok(wire::ChatRequest {
        model: model.to_string(),
        messages,
        stream,
        max_tokens: req.max_output_tokens(),
        temperature: *temperature,
        p: top_p.map(clamp_p),
        k: *top_k,
        stop_sequences: stop.as_ref().map(Stop::to_vec),
        seed: *seed,
        frequency_penalty: *frequency_penalty,
        presence_penalty: *presence_penalty,
        tools,
        tool_choice,
        strict_tools,
        response_format,
    })
}

/// Cohere takes `p` in 0.01..=0.99 (API reference) and refuses the common OpenAI default
/// `top_p: 1`; the value is clamped into that range (1 and 0.99 both mean "almost no nucleus
/// cut-off").
fn clamp_p(p: f64) -> f64 {
    p.clamp(0.01, 0.99)
}

fn encode_message(msg: &Message) -> Result<wire::ChatMessage, ProxyError> {
    Ok(match msg.role {
        Role::System | Role::Developer => wire::ChatMessage::System {
            content: msg.text(),
        },
        Role::User => wire::ChatMessage::User {
            content: encode_user_content(msg.content.as_ref()),
        },
        Role::Assistant => {
            let text = msg.text();
            let calls: Vec<wire::ToolCall> = msg
                .tool_calls
                .iter()
                .flatten()
                .map(|c| wire::ToolCall {
                    id: c.id.clone(),
                    kind: "function",
                    function: wire::ToolCallFunction {
                        name: c.function.name.clone(),
                        arguments: c.function.arguments.clone(),
                    },
                })
                .collect();
            if calls.is_empty() {
                wire::ChatMessage::Assistant {
                    content: Some(text),
                    tool_plan: None,
                    tool_calls: None,
                }
            } else {
                // Cohere's tool-use guide replays the model's text next to tool calls as
                // `tool_plan`, not `content`.
                wire::ChatMessage::Assistant {
                    content: None,
                    tool_plan: Some(text).filter(|t| !t.is_empty()),
                    tool_calls: Some(calls),
                }
            }
        }
        Role::Tool | Role::Function => {
            // Legacy `function` results carry the function name where a call id would be.
            let id = msg
                .tool_call_id
                .clone()
                .or_else(|| msg.name.clone())
                .ok_or_else(|| ProxyError::bad_request("tool message without tool_call_id"))?;
            wire::ChatMessage::Tool {
                tool_call_id: id,
                content: vec![wire::ToolContent::Text { text: msg.text() }],
            }
        }
    })
}

/// User content: a string stays a string; parts keep text and images. Cohere takes both data
/// URIs and web URLs in `image_url`, so images pass through unchanged.
fn encode_user_content(content: Option<&Content>) -> wire::UserContent {
    match content {
        None => wire::UserContent::Text(String::new()),
        Some(Content::Text(s)) => wire::UserContent::Text(s.clone()),
        Some(Content::Parts(parts)) => wire::UserContent::Parts(
            parts
                .iter()
                .filter_map(|p| match p {
                    OaContentPart::Text { text } => {
                        Some(wire::ContentPart::Text { text: text.clone() })
                    }
                    OaContentPart::ImageUrl { image_url } => Some(wire::ContentPart::ImageUrl {
                        image_url: wire::ImageUrl {
                            url: image_url.url.clone(),
                            detail: image_url.detail.clone(),
                        },
                    }),
                    // Audio, files, cache breakpoints, earlier reasoning: Cohere chat has no
                    // such input.
                    _ => None,
                })
                .collect(),
        ),
    }
}

type EncodedTools = (Option<Vec<wire::Tool>>, Option<wire::ToolChoice>);

fn encode_tools(
    tools: Option<&[crate::api::chat::Tool]>,
    choice: Option<&OaToolChoice>,
) -> Result<EncodedTools, ProxyError> {
    let Some(tools) = tools.filter(|t| !t.is_empty()) else {
        return Ok((None, None));
    };
    let convert = |t: &crate::api::chat::Tool| wire::Tool {
        kind: "function",
        function: wire::ToolFunction {
            name: t.function.name.clone(),
            description: t.function.description.clone(),
            // Cohere requires `parameters`; a function without arguments gets an empty object
            // schema.
            parameters: t
                .function
                .parameters
                .clone()
                .unwrap_or_else(|| serde_json::json!({"type": "object", "properties": {}})),
        },
    };
    Ok(match choice {
        None | Some(OaToolChoice::Mode(ToolChoiceMode::Auto)) => {
            (Some(tools.iter().map(convert).collect()), None)
        }
        Some(OaToolChoice::Mode(ToolChoiceMode::None)) => (
            Some(tools.iter().map(convert).collect()),
            Some(wire::ToolChoice::None),
        ),
        Some(OaToolChoice::Mode(ToolChoiceMode::Required)) => (
            Some(tools.iter().map(convert).collect()),
            Some(wire::ToolChoice::Required),
        ),
        Some(OaToolChoice::Named(named)) => {
            let only: Vec<wire::Tool> = tools
                .iter()
                .filter(|t| t.function.name == named.function.name)
                .map(convert)
                .collect();
            if only.is_empty() {
                return Err(ProxyError::bad_request(format!(
                    "tool_choice names function '{}', which is not in tools",
                    named.function.name
                )));
            }
            (Some(only), Some(wire::ToolChoice::Required))
        }
    })
}

/// Builds the `/v1/generate` body. A prompt list is joined with newlines (Generate takes one
/// prompt). Dropped: `stream_options`, `n`/`best_of`, `logprobs`, `echo`, `suffix`, `user` and
/// other unknown fields.
pub fn encode_completions(
    req: &CompletionsRequest,
    model: &str,
    stream: bool,
) -> wire::GenerateRequest {
    let CompletionsRequest {
        model: _,
        prompt: _,
        stream: _,
        stream_options: _,
        max_tokens,
        temperature,
        top_p,
        top_k,
        stop,
        extra,
    } = req;
    let f64_of = |k: &str| extra.get(k).and_then(serde_json::Value::as_f64);
    wire::GenerateRequest {
        model: model.to_string(),
        prompt: req.prompt_text(),
        stream,
        max_tokens: *max_tokens,
        temperature: *temperature,
        p: top_p.map(clamp_p),
        k: *top_k,
        stop_sequences: stop.as_ref().map(Stop::to_vec),
        seed: extra.get("seed").and_then(serde_json::Value::as_i64),
        frequency_penalty: f64_of("frequency_penalty"),
        presence_penalty: f64_of("presence_penalty"),
    }
}

/// Builds the `/v2/embed` body: `input_type` from `options.cohere.embedding_input_type`
/// (default `classification`), float vectors only, `output_dimension` from `dimensions` or
/// `options.embeddings_dimensions`. Token-array input has no Cohere form (400).
/// `encoding_format` is dropped: the answer always carries float vectors.
pub fn encode_embeddings(
    req: &EmbeddingsRequest,
    model: &str,
    options: &ModelOptions,
) -> Result<wire::EmbedRequest, ProxyError> {
    let EmbeddingsRequest {
        model: _,
        input,
        dimensions,
        encoding_format: _,
        user: _,
        extra: _,
    } = req;
    let texts = input
        .as_ref()
        .and_then(EmbeddingInput::texts)
        .ok_or_else(|| ProxyError::bad_request("cohere embeddings take text input only"))?;
    let input_type = options
        .cohere
        .as_ref()
        .and_then(|c| c.embedding_input_type.clone())
        .unwrap_or_else(|| DEFAULT_INPUT_TYPE.to_string());
    Ok(wire::EmbedRequest {
        model: model.to_string(),
        texts: texts.to_vec(),
        input_type,
        embedding_types: vec!["float"],
        output_dimension: dimensions.or(options.embeddings_dimensions),
    })
}
