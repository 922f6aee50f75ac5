//! OpenAI → Anthropic: chat to the Messages API, completions to the legacy Text Completions
//! API (docs/kong-compatibility.md §13.2, with Kong's bugs fixed: every system prompt is kept,
//! images are converted, assistant text next to tool calls is kept, top_p/top_k/stop are
//! forwarded).

use std::borrow::Cow;

use serde_json::Value;

use super::wire::{
    BlockParam, CompleteRequest, ImageSource, MessageContent, MessageParam, MessagesRequest,
    Metadata, OutputConfig, OutputFormat, Role as WireRole, System, TextBlockParam,
    ToolChoiceParam, ToolParam, ToolResultContent,
};
use crate::api::chat::{
    ChatRequest, Content, ContentPart, Message, ResponseFormat, Role, Tool, ToolCall, ToolChoice,
    ToolChoiceMode,
};
use crate::api::CompletionsRequest;
use crate::config::ModelOptions;
use crate::error::ProxyError;

/// `max_tokens` when neither the request nor `model.options.max_tokens` sets one: Anthropic
/// requires the field (Messages API "max_tokens: required"), OpenAI clients often omit it.
/// 4096 is accepted by every current Claude model.
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

/// Builds the Messages API body for a chat request.
///
/// `max_tokens` = the request's (`max_completion_tokens` wins over `max_tokens`), else
/// `options.max_tokens`, else [`DEFAULT_MAX_TOKENS`].
///
/// OpenAI fields with no Anthropic equivalent, dropped: `presence_penalty`,
/// `frequency_penalty`, `seed`, `stream_options` (Anthropic always reports usage in streams),
/// message `name`, `response_format` of type `json_object` (Anthropic has no schema-less JSON
/// mode; `json_schema` maps to `output_config.format`), non-`function` tools, and every field
/// in `extra`. `n` above 1 is refused (400): Anthropic answers with one message only.
pub fn encode_chat<'a>(
    req: &'a ChatRequest,
    model: &'a str,
    options: &ModelOptions,
    stream: bool,
) -> Result<MessagesRequest<'a>, ProxyError> {
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
        n,
        presence_penalty: _,
        frequency_penalty: _,
        seed: _,
        tools,
        tool_choice,
        parallel_tool_calls,
        response_format,
        user,
        extra: _,
    } = req;

    if n.is_some_and(|n| n > 1) {
        return Err(ProxyError::bad_request(
            "anthropic returns a single choice: 'n' greater than 1 is not supported",
        ));
    }
    let (system, turns) = encode_messages(messages)?;
    // Only function tools have an Anthropic form; an empty list is not sent.
    let tools = tools.as_deref().map(encode_tools).filter(|t| !t.is_empty());
    let tool_choice =
        encode_tool_choice(tool_choice.as_ref(), *parallel_tool_calls, tools.is_some());

    Ok(MessagesRequest {
        model,
        max_tokens: req
            .max_output_tokens()
            .or(options.max_tokens)
            .unwrap_or(DEFAULT_MAX_TOKENS),
        messages: turns,
        system,
        stop_sequences: stop.as_ref().map(crate::api::Stop::as_slice),
        temperature: *temperature,
        top_p: *top_p,
        top_k: *top_k,
        stream: stream.then_some(true),
        tools,
        tool_choice,
        metadata: user.as_deref().map(|user_id| Metadata {
            user_id: Cow::Borrowed(user_id),
        }),
        output_config: response_format.as_ref().and_then(encode_response_format),
    })
}

/// Splits the conversation into the top-level `system` and alternating turns.
///
/// - `system` / `developer` messages, wherever they appear, become the system prompt in
///   order: a string for one, separate text blocks for several (Kong keeps only the last).
/// - `tool` messages become `tool_result` blocks of a user turn.
/// - Consecutive turns of the same Anthropic role are merged into one turn with several
///   blocks (the API wants alternating roles), so several tool results land in one user turn,
///   followed by any user text, as the "Tool use" docs require.
fn encode_messages(
    messages: &[Message],
) -> Result<(Option<System<'_>>, Vec<MessageParam<'_>>), ProxyError> {
    let mut system: Vec<Cow<'_, str>> = Vec::new();
    let mut turns: Vec<(WireRole, Vec<BlockParam<'_>>)> = Vec::new();
    for msg in messages {
        let (role, blocks) = match msg.role {
            Role::System | Role::Developer => {
                system.push(msg.text_ref());
                continue;
            }
            Role::User => (WireRole::User, content_blocks(msg.content.as_ref())?),
            Role::Assistant => (WireRole::Assistant, assistant_blocks(msg)?),
            Role::Tool => (WireRole::User, vec![tool_result(msg)?]),
            Role::Function => {
                return Err(ProxyError::bad_request(
                    "anthropic needs a tool call id for every result: use 'tool' messages instead of the legacy 'function' role",
                ))
            }
        };
        match turns.last_mut() {
            Some((last, acc)) if *last == role => acc.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    let system = match system.len() {
        0 => None,
        1 => system.pop().map(System::Text),
        _ => Some(System::Blocks(
            system.into_iter().map(TextBlockParam::new).collect(),
        )),
    };
    let turns = turns
        .into_iter()
        .map(|(role, blocks)| MessageParam {
            role,
            content: compact(blocks),
        })
        .collect();
    Ok((system, turns))
}

/// One text block is sent as a plain string (the documented shorthand); anything else as
/// blocks.
fn compact(mut blocks: Vec<BlockParam<'_>>) -> MessageContent<'_> {
    if let [BlockParam::Text { .. }] = blocks.as_slice() {
        if let Some(BlockParam::Text { text }) = blocks.pop() {
            return MessageContent::Text(text);
        }
    }
    MessageContent::Blocks(blocks)
}

/// User content (string or parts) as blocks.
fn content_blocks(content: Option<&Content>) -> Result<Vec<BlockParam<'_>>, ProxyError> {
    match content {
        None => Ok(Vec::new()),
        Some(Content::Text(text)) => Ok(vec![BlockParam::Text { text: text.into() }]),
        Some(Content::Parts(parts)) => parts.iter().map(part_block).collect(),
    }
}

/// One OpenAI content part as an Anthropic block ("Vision": `base64` and `url` sources).
fn part_block(part: &ContentPart) -> Result<BlockParam<'_>, ProxyError> {
    match part {
        ContentPart::Text { text } => Ok(BlockParam::Text { text: text.into() }),
        ContentPart::ImageUrl { image_url } => {
            let source = if let Some(data) = image_url.as_data_url() {
                ImageSource::Base64 {
                    media_type: data.media_type.into(),
                    data: data.data.into(),
                }
            } else if image_url.url.starts_with("https://") || image_url.url.starts_with("http://")
            {
                ImageSource::Url {
                    url: image_url.url.as_str().into(),
                }
            } else {
                return Err(ProxyError::bad_request(
                    "image_url must be a base64 data URL (data:<media type>;base64,<data>) or an http(s) URL",
                ));
            };
            Ok(BlockParam::Image { source })
        }
        ContentPart::Unsupported
        | ContentPart::CachePoint { .. }
        | ContentPart::Thinking { .. }
        | ContentPart::RedactedThinking { .. } => Err(ProxyError::bad_request(
            "anthropic accepts only text and image_url content parts",
        )),
    }
}

/// An assistant turn: its text (if any), then one `tool_use` block per tool call.
fn assistant_blocks(msg: &Message) -> Result<Vec<BlockParam<'_>>, ProxyError> {
    let mut blocks = content_blocks(msg.content.as_ref())?;
    let calls = msg.tool_calls.as_deref().unwrap_or_default();
    if !calls.is_empty() {
        // Anthropic refuses empty text blocks; tool-only turns often carry `content: ""`.
        blocks.retain(|b| !matches!(b, BlockParam::Text { text } if text.is_empty()));
    }
    for call in calls {
        blocks.push(tool_use(call)?);
    }
    Ok(blocks)
}

/// An OpenAI tool call as a `tool_use` block; the arguments string must be a JSON object.
fn tool_use(call: &ToolCall) -> Result<BlockParam<'_>, ProxyError> {
    let input = call.arguments_object()?;
    Ok(BlockParam::ToolUse {
        id: call.id.as_str().into(),
        name: call.function.name.as_str().into(),
        input: Cow::Owned(input),
    })
}

/// A `tool` message as a `tool_result` block.
fn tool_result(msg: &Message) -> Result<BlockParam<'_>, ProxyError> {
    let Some(id) = msg.tool_call_id.as_ref().filter(|id| !id.is_empty()) else {
        return Err(ProxyError::bad_request(
            "a 'tool' message needs 'tool_call_id' for anthropic",
        ));
    };
    let content = match &msg.content {
        None => None,
        Some(Content::Text(text)) => Some(ToolResultContent::Text(text.into())),
        Some(Content::Parts(parts)) => Some(ToolResultContent::Blocks(
            parts.iter().map(part_block).collect::<Result<_, _>>()?,
        )),
    };
    Ok(BlockParam::ToolResult {
        tool_use_id: id.into(),
        content,
    })
}

/// OpenAI function tools as Anthropic tools; a tool without `parameters` gets the empty
/// object schema, since `input_schema` is required.
fn encode_tools(tools: &[Tool]) -> Vec<ToolParam<'_>> {
    tools
        .iter()
        .filter(|t| t.kind == "function")
        .map(|t| ToolParam {
            name: t.function.name.as_str().into(),
            description: t.function.description.as_deref().map(Cow::Borrowed),
            input_schema: t.function.parameters.as_ref().map_or_else(
                || Cow::Owned(serde_json::json!({"type": "object", "properties": {}})),
                Cow::Borrowed,
            ),
            strict: t.function.strict,
        })
        .collect()
}

/// `tool_choice` per docs/kong-compatibility.md §13.2; `parallel_tool_calls: false` becomes
/// `disable_parallel_tool_use: true` on it (with `auto` when the client gave no choice, and
/// only when tools are sent). `none` has no such field.
fn encode_tool_choice(
    choice: Option<&ToolChoice>,
    parallel: Option<bool>,
    has_tools: bool,
) -> Option<ToolChoiceParam<'_>> {
    let disable = (parallel == Some(false)).then_some(true);
    match choice {
        Some(ToolChoice::Mode(ToolChoiceMode::Auto)) => Some(ToolChoiceParam::Auto {
            disable_parallel_tool_use: disable,
        }),
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) => Some(ToolChoiceParam::Any {
            disable_parallel_tool_use: disable,
        }),
        Some(ToolChoice::Mode(ToolChoiceMode::None)) => Some(ToolChoiceParam::None),
        Some(ToolChoice::Named(named)) => Some(ToolChoiceParam::Tool {
            name: named.function.name.as_str().into(),
            disable_parallel_tool_use: disable,
        }),
        None if has_tools && disable.is_some() => Some(ToolChoiceParam::Auto {
            disable_parallel_tool_use: disable,
        }),
        None => None,
    }
}

/// `response_format` `json_schema` → `output_config.format` ("Structured outputs"); other
/// types have no equivalent and are dropped.
fn encode_response_format(rf: &ResponseFormat) -> Option<OutputConfig<'_>> {
    if rf.kind != "json_schema" {
        return None;
    }
    let schema = Cow::Borrowed(rf.json_schema.as_ref()?.schema.as_ref()?);
    Some(OutputConfig {
        format: OutputFormat::JsonSchema { schema },
    })
}

/// Builds the legacy `/v1/complete` body.
///
/// The prompt is framed as `\n\nHuman: <prompt>\n\nAssistant:` (the format the Text
/// Completions API requires) unless it already starts with `\n\nHuman:`, in which case the
/// client framed it and it is sent unchanged. `max_tokens_to_sample` = the request's
/// `max_tokens`, else `options.max_tokens`, else [`DEFAULT_MAX_TOKENS`]. `user` (in the
/// request's extra fields) becomes `metadata.user_id`.
///
/// Dropped (no equivalent): `stream_options`, `n`, `echo`, `logprobs`, `suffix`, `best_of`,
/// penalties and other extra fields. The request is never sent as a stream: Anthropic's
/// completions stream is not translated (docs/kong-compatibility.md §13.2: Kong streams Anthropic chat only).
pub fn encode_completions<'a>(
    req: &'a CompletionsRequest,
    model: &'a str,
    options: &ModelOptions,
) -> CompleteRequest<'a> {
    let text = req.prompt_text();
    let prompt = if text.starts_with("\n\nHuman:") {
        text
    } else {
        format!("\n\nHuman: {text}\n\nAssistant:")
    };
    let user = req
        .extra
        .get("user")
        .and_then(Value::as_str)
        .map(|u| Metadata {
            user_id: Cow::Borrowed(u),
        });
    CompleteRequest {
        model,
        prompt,
        max_tokens_to_sample: req
            .max_tokens
            .or(options.max_tokens)
            .unwrap_or(DEFAULT_MAX_TOKENS),
        stop_sequences: req.stop.as_ref().map(crate::api::Stop::as_slice),
        temperature: req.temperature,
        top_p: req.top_p,
        top_k: req.top_k,
        metadata: user,
    }
}
