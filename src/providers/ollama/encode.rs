//! OpenAI → Ollama: chat to `/api/chat`, completions to `/api/generate`, embeddings to
//! `/api/embed` (ollama/ollama `docs/api.md`).
//!
//! Kong's `to_ollama` (docs/kong-compatibility.md §13.4) copies `messages`/`prompt`, `tools` and
//! `tool_choice` and only four sampling options; this encoder translates each message (images,
//! tool calls with object arguments, tool results with `tool_name`), keeps stop sequences, seed
//! and penalties, maps `response_format` to `format`, and always sends `stream` (Ollama
//! streams by default).

use serde_json::Value;

use crate::api::chat::{
    Content, ContentPart, Message, Role, Tool as OaTool, ToolChoice, ToolChoiceMode,
};
use crate::api::embeddings::EmbeddingInput;
use crate::api::{ChatRequest, CompletionsRequest, EmbeddingsRequest, Stop};
use crate::config::ModelOptions;
use crate::error::ProxyError;

use super::wire;

/// Builds the `/api/chat` body.
///
/// OpenAI fields with no Ollama equivalent, dropped: `n`, `user`, `parallel_tool_calls`,
/// `stream_options` (Ollama always reports counts), `logprobs`, `logit_bias` and other unknown
/// fields. Ollama has no `tool_choice`: `none` sends no tools, a named function is offered
/// alone, `required` cannot be enforced (all tools are offered).
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

    let mut out = Vec::with_capacity(messages.len());
    for (i, msg) in messages.iter().enumerate() {
        out.push(encode_message(msg, messages.get(..i).unwrap_or_default())?);
    }

    let format = response_format
        .as_ref()
        .and_then(|rf| match rf.kind.as_str() {
            "json_object" => Some(Value::from("json")),
            "json_schema" => Some(
                rf.json_schema
                    .as_ref()
                    .and_then(|s| s.schema.clone())
                    .unwrap_or_else(|| Value::from("json")),
            ),
            _ => None,
        });

    let options = wire::Options {
        num_predict: req.max_output_tokens(),
        temperature: *temperature,
        top_p: *top_p,
        top_k: *top_k,
        stop: stop.as_ref().map(Stop::to_vec),
        seed: *seed,
        presence_penalty: *presence_penalty,
        frequency_penalty: *frequency_penalty,
    };

    Ok(wire::ChatRequest {
        model: model.to_string(),
        messages: out,
        stream,
        tools: encode_tools(tools.as_deref(), tool_choice.as_ref())?,
        format,
        options: options.non_empty(),
    })
}

fn encode_message(msg: &Message, earlier: &[Message]) -> Result<wire::Message, ProxyError> {
    let (role, tool_name, tool_call_id) = match msg.role {
        Role::System | Role::Developer => ("system", None, None),
        Role::User => ("user", None, None),
        Role::Assistant => ("assistant", None, None),
        Role::Tool => (
            "tool",
            msg.tool_call_id
                .as_deref()
                .and_then(|id| tool_name_of(id, earlier))
                .or_else(|| msg.name.clone()),
            msg.tool_call_id.clone(),
        ),
        // Legacy function results name the function instead of a call id.
        Role::Function => ("tool", msg.name.clone(), None),
    };
    let tool_calls = msg
        .tool_calls
        .as_ref()
        .filter(|c| !c.is_empty())
        .map(|calls| {
            calls
                .iter()
                .map(|c| {
                    Ok(wire::ToolCall {
                        id: Some(c.id.clone()),
                        function: wire::ToolCallFunction {
                            name: c.function.name.clone(),
                            arguments: c.arguments_object()?,
                        },
                    })
                })
                .collect::<Result<Vec<_>, ProxyError>>()
        })
        .transpose()?;
    Ok(wire::Message {
        role,
        content: msg.text(),
        images: images_of(msg.content.as_ref())?,
        tool_calls,
        tool_name,
        tool_call_id,
    })
}

/// The function name of the earlier assistant tool call with this id (Ollama's templates name
/// the tool a result belongs to).
fn tool_name_of(id: &str, earlier: &[Message]) -> Option<String> {
    earlier
        .iter()
        .rev()
        .filter_map(|m| m.tool_calls.as_ref())
        .flatten()
        .find(|c| c.id == id)
        .map(|c| c.function.name.clone())
}

/// Base64 payloads of the message's data-URL images. Ollama cannot fetch a URL, and neither can
/// a filter: an http(s) image is refused (400).
fn images_of(content: Option<&Content>) -> Result<Option<Vec<String>>, ProxyError> {
    let Some(Content::Parts(parts)) = content else {
        return Ok(None);
    };
    let mut images = Vec::new();
    for part in parts {
        if let ContentPart::ImageUrl { image_url } = part {
            let data = image_url.as_data_url().ok_or_else(|| {
                ProxyError::bad_request(
                    "ollama takes images as base64 data URLs only (data:<mime>;base64,…); \
                     image URLs cannot be fetched",
                )
            })?;
            images.push(data.data.to_string());
        }
    }
    Ok(Some(images).filter(|i| !i.is_empty()))
}

fn encode_tools(
    tools: Option<&[OaTool]>,
    choice: Option<&ToolChoice>,
) -> Result<Option<Vec<wire::Tool>>, ProxyError> {
    let Some(tools) = tools.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let convert = |t: &OaTool| wire::Tool {
        kind: "function",
        function: wire::ToolFunction {
            name: t.function.name.clone(),
            description: t.function.description.clone(),
            parameters: t.function.parameters.clone(),
        },
    };
    match choice {
        Some(ToolChoice::Mode(ToolChoiceMode::None)) => Ok(None),
        Some(ToolChoice::Named(named)) => {
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
            Ok(Some(only))
        }
        None | Some(ToolChoice::Mode(ToolChoiceMode::Auto | ToolChoiceMode::Required)) => {
            Ok(Some(tools.iter().map(convert).collect()))
        }
    }
}

/// Builds the `/api/generate` body. A prompt list is joined with newlines; `suffix`, `seed`
/// and the penalties are read from the request's extra fields. Dropped: `n`/`best_of`,
/// `logprobs`, `echo`, `user`, `stream_options`.
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
    let f64_of = |k: &str| extra.get(k).and_then(Value::as_f64);
    let options = wire::Options {
        num_predict: *max_tokens,
        temperature: *temperature,
        top_p: *top_p,
        top_k: *top_k,
        stop: stop.as_ref().map(Stop::to_vec),
        seed: extra.get("seed").and_then(Value::as_i64),
        presence_penalty: f64_of("presence_penalty"),
        frequency_penalty: f64_of("frequency_penalty"),
    };
    wire::GenerateRequest {
        model: model.to_string(),
        prompt: req.prompt_text(),
        suffix: extra
            .get("suffix")
            .and_then(Value::as_str)
            .map(str::to_string),
        stream,
        options: options.non_empty(),
    }
}

/// Builds the `/api/embed` body (`dimensions` from the request or
/// `options.embeddings_dimensions`). Token-array input has no Ollama form (400);
/// `encoding_format` is dropped (the answer carries float vectors).
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
    let input = match input {
        Some(EmbeddingInput::One(s)) => wire::EmbedInput::One(s.clone()),
        Some(EmbeddingInput::Many(v)) => wire::EmbedInput::Many(v.clone()),
        _ => {
            return Err(ProxyError::bad_request(
                "ollama embeddings take text input only",
            ))
        }
    };
    Ok(wire::EmbedRequest {
        model: model.to_string(),
        input,
        dimensions: dimensions.or(options.embeddings_dimensions),
    })
}
