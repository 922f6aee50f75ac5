//! OpenAI → Bedrock: chat and completions become a Converse request (embeddings: see
//! `embeddings.rs`).
//!
//! References: Bedrock API Reference `API_runtime_Converse` (request shapes), "Call a tool with
//! the Converse API" (toolUse/toolResult turns), "Get validated JSON results from models"
//! (`outputConfig.textFormat`); docs/kong-compatibility.md §13.6 for Kong's behaviour, whose quirks (only the last tool
//! call kept, `anthropic_version` always added, arrays around `additionalModelRequestFields`)
//! are deliberately not copied.
//!
//! OpenAI chat fields with no Converse equivalent, dropped: `n`, `presence_penalty`,
//! `frequency_penalty`, `seed`, `user`, `parallel_tool_calls`, `stream_options` (streaming is
//! the `/converse-stream` path), `response_format: json_object` (Converse structured output
//! needs a schema), and every unknown top-level field except `guardrailConfig`,
//! `performanceConfig` and `bedrock.additionalModelRequestFields`.

use std::borrow::Cow;

use serde_json::{json, Map, Value};

use super::wire::{
    CachePointBlock, ContentBlock, ConversationRole, ConverseRequest, Empty, ImageBlock,
    ImageSource, InferenceConfig, InputSchema, JsonSchemaDefinition, Message, OutputConfig,
    OutputFormat, OutputStructure, ReasoningContentBlock, ReasoningTextOut, SpecificTool,
    SystemBlock, Tool as WireTool, ToolChoice as WireChoice, ToolConfig, ToolResultBlock,
    ToolResultContent, ToolSpec, ToolUseOut,
};
use crate::api::chat::{
    ChatRequest, Content, ContentPart, ImageUrl, ResponseFormat, Role, Tool, ToolCall, ToolChoice,
    ToolChoiceMode,
};
use crate::api::completions::{CompletionsRequest, Prompt};
use crate::api::Stop;
use crate::config::ModelOptions;
use crate::error::ProxyError;

/// The 400 for an `image_url` that is a web address (a filter cannot fetch it).
pub const HTTP_IMAGE: &str =
    "Bedrock Converse cannot fetch image URLs; send the image as a data URL (data:<mime>;base64,<data>)";

/// Chat → Converse. The result borrows the client's text, images and schemas from `req`.
pub fn encode_chat<'a>(
    req: &'a ChatRequest,
    options: &ModelOptions,
) -> Result<ConverseRequest<'a>, ProxyError> {
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
        presence_penalty: _,
        frequency_penalty: _,
        seed: _,
        tools,
        tool_choice,
        parallel_tool_calls: _,
        response_format,
        user: _,
        extra,
    } = req;

    let mut system = Vec::new();
    let mut turns = Turns(Vec::with_capacity(messages.len()));
    for m in messages {
        match m.role {
            // All system prompts, in order; `developer` is OpenAI's newer name for `system`.
            // SystemContentBlock takes text only: image parts of a system message are dropped.
            // A `cache_point` part marks a prompt-cache breakpoint after the text before it.
            Role::System | Role::Developer => system_blocks(&m.content, &mut system),
            Role::User => turns.push(ConversationRole::User, content_blocks(&m.content, true)?),
            Role::Assistant => {
                let mut blocks = content_blocks(&m.content, false)?;
                // A breakpoint of an assistant turn goes after its tool calls (the end of the turn).
                let mut cache = None;
                blocks.retain(|b| match b {
                    ContentBlock::CachePoint(c) => {
                        cache.get_or_insert_with(|| c.clone());
                        false
                    }
                    _ => true,
                });
                let calls = m.tool_calls.as_deref().unwrap_or_default();
                blocks.reserve_exact(calls.len());
                for call in calls {
                    blocks.push(ContentBlock::ToolUse(tool_use(call)?));
                }
                blocks.extend(cache.map(ContentBlock::CachePoint));
                turns.push(ConversationRole::Assistant, blocks);
            }
            // A tool result is a user turn of toolResult blocks; consecutive results merge into
            // one turn because Converse requires user/assistant alternation.
            Role::Tool | Role::Function => {
                let id = m
                    .tool_call_id
                    .as_deref()
                    .or(m.name.as_deref())
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| ProxyError::bad_request("tool message without tool_call_id"))?;
                let block = ToolResultBlock {
                    tool_use_id: id,
                    content: tool_result_content(&m.content)?,
                };
                let mut blocks = vec![ContentBlock::ToolResult(block)];
                // A breakpoint in a tool result goes after the result block.
                blocks.extend(cache_point(&m.content).map(ContentBlock::CachePoint));
                turns.push(ConversationRole::User, blocks);
            }
        }
    }

    let inference = InferenceConfig {
        max_tokens: req.max_output_tokens(),
        temperature: *temperature,
        top_p: *top_p,
        stop_sequences: stop_sequences(stop.as_ref()),
    };
    let has_tool_blocks = turns.has_tool_blocks();
    Ok(ConverseRequest {
        messages: turns.0,
        system,
        inference_config: Some(inference).filter(|i| !i.is_empty()),
        tool_config: tool_config(tools.as_deref(), tool_choice.as_ref(), has_tool_blocks),
        guardrail_config: object_field(extra, "guardrailConfig"),
        additional_model_request_fields: additional_fields(extra, *top_k),
        performance_config: performance_config(extra, options),
        output_config: output_config(response_format.as_ref()),
    })
}

/// Completions → Converse: the prompt (a list is joined with newlines) is one user turn.
///
/// Dropped: `stream_options`, unknown fields except `guardrailConfig`, `performanceConfig` and
/// `bedrock.additionalModelRequestFields`.
pub fn encode_completions<'a>(
    req: &'a CompletionsRequest,
    options: &ModelOptions,
) -> Result<ConverseRequest<'a>, ProxyError> {
    let CompletionsRequest {
        model: _,
        prompt,
        stream: _,
        stream_options: _,
        max_tokens,
        temperature,
        top_p,
        top_k,
        stop,
        extra,
    } = req;
    let inference = InferenceConfig {
        max_tokens: *max_tokens,
        temperature: *temperature,
        top_p: *top_p,
        stop_sequences: stop_sequences(stop.as_ref()),
    };
    Ok(ConverseRequest {
        messages: vec![Message {
            role: ConversationRole::User,
            content: vec![ContentBlock::Text(match prompt {
                Some(Prompt::One(s)) => Cow::Borrowed(s),
                Some(Prompt::Many(_)) | None => Cow::Owned(req.prompt_text()),
            })],
        }],
        inference_config: Some(inference).filter(|i| !i.is_empty()),
        guardrail_config: object_field(extra, "guardrailConfig"),
        additional_model_request_fields: additional_fields(extra, *top_k),
        performance_config: performance_config(extra, options),
        ..ConverseRequest::default()
    })
}

/// Turns under construction: consecutive same-role turns merge, empty turns are skipped.
struct Turns<'a>(Vec<Message<'a>>);

impl<'a> Turns<'a> {
    fn push(&mut self, role: ConversationRole, blocks: Vec<ContentBlock<'a>>) {
        if blocks.is_empty() {
            return;
        }
        match self.0.last_mut() {
            Some(last) if last.role == role => last.content.extend(blocks),
            _ => self.0.push(Message {
                role,
                content: blocks,
            }),
        }
    }

    fn has_tool_blocks(&self) -> bool {
        self.0
            .iter()
            .flat_map(|m| &m.content)
            .any(|b| matches!(b, ContentBlock::ToolUse(_) | ContentBlock::ToolResult(_)))
    }
}

/// System text and breakpoints → `SystemContentBlock`s (image parts are dropped: the system
/// prompt takes text only).
fn system_blocks<'a>(content: &'a Option<Content>, out: &mut Vec<SystemBlock<'a>>) {
    match content {
        Some(Content::Text(s)) if !s.is_empty() => out.push(SystemBlock::Text(s)),
        Some(Content::Parts(parts)) => {
            for part in parts {
                match part {
                    ContentPart::Text { text } if !text.is_empty() => {
                        out.push(SystemBlock::Text(text));
                    }
                    ContentPart::CachePoint { ttl } if !out.is_empty() => {
                        out.push(SystemBlock::CachePoint(CachePointBlock::new(
                            ttl.as_deref(),
                        )));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// The first breakpoint among a message's parts.
fn cache_point(content: &Option<Content>) -> Option<CachePointBlock> {
    let Some(Content::Parts(parts)) = content else {
        return None;
    };
    parts.iter().find_map(|p| match p {
        ContentPart::CachePoint { ttl } => Some(CachePointBlock::new(ttl.as_deref())),
        _ => None,
    })
}

/// Text and image parts → blocks. Empty text is kept for user turns (Bedrock answers it with
/// its own validation error) and skipped for assistant turns, where OpenAI clients send `""`
/// next to tool calls. Breakpoints become `cachePoint` blocks where they are; earlier reasoning
/// (`thinking` with its signature, `redacted_thinking`) becomes `reasoningContent` in
/// assistant turns (Claude on Bedrock checks the signature) and is dropped in user turns.
fn content_blocks(
    content: &Option<Content>,
    keep_empty: bool,
) -> Result<Vec<ContentBlock<'_>>, ProxyError> {
    let mut out = Vec::with_capacity(block_count(content));
    let keep = |text: &str| keep_empty || !text.is_empty();
    match content {
        Some(Content::Text(s)) if keep(s) => out.push(ContentBlock::Text(Cow::Borrowed(s))),
        None | Some(Content::Text(_)) => {}
        Some(Content::Parts(parts)) => {
            for part in parts {
                match part {
                    ContentPart::Text { text } if keep(text) => {
                        out.push(ContentBlock::Text(Cow::Borrowed(text)));
                    }
                    ContentPart::Text { .. } => {}
                    ContentPart::ImageUrl { image_url } => {
                        out.push(ContentBlock::Image(image_block(image_url)?));
                    }
                    ContentPart::CachePoint { ttl } if !out.is_empty() => {
                        out.push(ContentBlock::CachePoint(CachePointBlock::new(
                            ttl.as_deref(),
                        )));
                    }
                    ContentPart::Thinking {
                        thinking,
                        signature,
                    } if !keep_empty => {
                        let text = ReasoningTextOut {
                            text: thinking,
                            signature: signature.as_deref().filter(|s| !s.is_empty()),
                        };
                        out.push(ContentBlock::ReasoningContent(
                            ReasoningContentBlock::ReasoningText(text),
                        ));
                    }
                    ContentPart::RedactedThinking { data } if !keep_empty => {
                        out.push(ContentBlock::ReasoningContent(
                            ReasoningContentBlock::RedactedContent(data),
                        ));
                    }
                    ContentPart::CachePoint { .. }
                    | ContentPart::Thinking { .. }
                    | ContentPart::RedactedThinking { .. } => {}
                    ContentPart::Unsupported => return Err(unsupported_part()),
                }
            }
        }
    }
    Ok(out)
}

/// How many blocks a message's content gives at most (vectors are sized once: a long
/// conversation has hundreds of them).
fn block_count(content: &Option<Content>) -> usize {
    match content {
        None => 0,
        Some(Content::Text(_)) => 1,
        Some(Content::Parts(parts)) => parts.len(),
    }
}

fn unsupported_part() -> ProxyError {
    ProxyError::bad_request(
        "Bedrock Converse: unsupported content part type (text and image_url are supported)",
    )
}

/// A data URL → an inline image block; http(s) URLs → 400 (Converse only takes bytes or S3).
pub fn image_block(img: &ImageUrl) -> Result<ImageBlock<'_>, ProxyError> {
    let Some(data) = img.as_data_url() else {
        let lower = img.url.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Err(ProxyError::bad_request(HTTP_IMAGE));
        }
        return Err(ProxyError::bad_request(
            "image_url must be a data URL (data:<mime>;base64,<data>)",
        ));
    };
    let format = match data.media_type.to_ascii_lowercase().as_str() {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpeg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        other => {
            return Err(ProxyError::bad_request(format!(
                "Bedrock Converse: unsupported image type '{other}' (png, jpeg, gif, webp)"
            )))
        }
    };
    Ok(ImageBlock {
        format,
        source: ImageSource { bytes: data.data },
    })
}

/// An assistant tool call → `toolUse`; its arguments string must hold a JSON object (an empty
/// string counts as `{}`).
fn tool_use(call: &ToolCall) -> Result<ToolUseOut<'_>, ProxyError> {
    let input = call.arguments_object()?;
    Ok(ToolUseOut {
        tool_use_id: &call.id,
        name: &call.function.name,
        input,
    })
}

/// A tool message's content: a string holding a JSON object becomes a `json` block (as Kong
/// does), any other string a `text` block (Kong's 400 on non-JSON results is not copied);
/// parts map to text and image blocks.
fn tool_result_content(
    content: &Option<Content>,
) -> Result<Vec<ToolResultContent<'_>>, ProxyError> {
    let mut out = Vec::with_capacity(block_count(content).max(1));
    match content {
        None => out.push(ToolResultContent::Text("")),
        Some(Content::Text(s)) => match serde_json::from_slice::<Value>(s.as_bytes()) {
            Ok(v @ Value::Object(_)) => out.push(ToolResultContent::Json(v)),
            _ => out.push(ToolResultContent::Text(s)),
        },
        Some(Content::Parts(parts)) => {
            for part in parts {
                match part {
                    ContentPart::Text { text } => out.push(ToolResultContent::Text(text)),
                    ContentPart::ImageUrl { image_url } => {
                        out.push(ToolResultContent::Image(image_block(image_url)?));
                    }
                    // The breakpoint follows the result block (see the caller); reasoning has
                    // no place in a result.
                    ContentPart::CachePoint { .. }
                    | ContentPart::Thinking { .. }
                    | ContentPart::RedactedThinking { .. } => {}
                    ContentPart::Unsupported => return Err(unsupported_part()),
                }
            }
        }
    }
    if out.is_empty() {
        out.push(ToolResultContent::Text(""));
    }
    Ok(out)
}

fn stop_sequences(stop: Option<&Stop>) -> Option<&[String]> {
    stop.map(Stop::as_slice).filter(|l| !l.is_empty())
}

/// `tools` + `tool_choice` → `toolConfig`.
///
/// `auto` (or no choice) omits `toolChoice` (auto is Converse's default, and some models reject
/// an explicit one); `required` → `{"any":{}}`; a named function → `{"tool":{"name"}}`.
/// Converse has no `none`: the tools are left out, unless the history holds toolUse/toolResult
/// blocks, where Converse requires `toolConfig`: then the tools go without a `toolChoice`.
fn tool_config<'a>(
    tools: Option<&'a [Tool]>,
    choice: Option<&'a ToolChoice>,
    history_has_tools: bool,
) -> Option<ToolConfig<'a>> {
    let tools = tools.filter(|t| !t.is_empty())?;
    let tool_choice = match choice {
        None | Some(ToolChoice::Mode(ToolChoiceMode::Auto)) => None,
        Some(ToolChoice::Mode(ToolChoiceMode::Required)) => Some(WireChoice::Any(Empty {})),
        Some(ToolChoice::Named(named)) => Some(WireChoice::Tool(SpecificTool {
            name: &named.function.name,
        })),
        Some(ToolChoice::Mode(ToolChoiceMode::None)) if !history_has_tools => return None,
        Some(ToolChoice::Mode(ToolChoiceMode::None)) => None,
    };
    let tools = tools
        .iter()
        .map(|t| WireTool {
            tool_spec: ToolSpec {
                name: &t.function.name,
                description: t.function.description.as_deref().filter(|d| !d.is_empty()),
                input_schema: InputSchema {
                    json: match &t.function.parameters {
                        Some(schema) => Cow::Borrowed(schema),
                        None => Cow::Owned(json!({"type": "object", "properties": {}})),
                    },
                },
            },
        })
        .collect();
    Some(ToolConfig { tools, tool_choice })
}

/// `response_format: json_schema` → `outputConfig.textFormat` (the schema travels as a string).
fn output_config(format: Option<&ResponseFormat>) -> Option<OutputConfig<'_>> {
    let format = format.filter(|f| f.kind == "json_schema")?;
    let js = format.json_schema.as_ref()?;
    let schema = js.schema.as_ref()?;
    Some(OutputConfig {
        text_format: OutputFormat {
            kind: "json_schema",
            structure: OutputStructure {
                json_schema: JsonSchemaDefinition {
                    schema: schema.to_string(),
                    name: Some(js.name.as_str()).filter(|n| !n.is_empty()),
                    description: js.description.as_deref(),
                },
            },
        },
    })
}

/// `additionalModelRequestFields`: the client's `bedrock.additionalModelRequestFields` object
/// (Kong's extension) plus `top_k`, which Converse's `inferenceConfig` lacks (Anthropic, Mistral
/// and Cohere models on Bedrock name it `top_k`). A `top_k` the client put there wins.
///
/// The client's object is borrowed; it is copied only when `top_k` has to be added to it.
fn additional_fields(
    extra: &Map<String, Value>,
    top_k: Option<u64>,
) -> Option<Cow<'_, Map<String, Value>>> {
    let client = extra
        .get("bedrock")
        .and_then(|b| b.get("additionalModelRequestFields"))
        .and_then(Value::as_object);
    let fields = match (client, top_k) {
        (Some(c), Some(k)) if !c.contains_key("top_k") => {
            let mut fields = c.clone();
            fields.insert("top_k".into(), json!(k));
            Cow::Owned(fields)
        }
        (Some(c), _) => Cow::Borrowed(c),
        (None, Some(k)) => {
            let mut fields = Map::new();
            fields.insert("top_k".into(), json!(k));
            Cow::Owned(fields)
        }
        (None, None) => return None,
    };
    Some(fields).filter(|f| !f.is_empty())
}

/// `performanceConfig`: `bedrock.performance_config_latency` forces the latency; otherwise the
/// client's own `performanceConfig` object goes through.
fn performance_config<'a>(
    extra: &'a Map<String, Value>,
    options: &ModelOptions,
) -> Option<Cow<'a, Value>> {
    let forced = options
        .bedrock
        .as_ref()
        .and_then(|b| b.performance_config_latency.as_deref())
        .filter(|l| !l.is_empty());
    match forced {
        Some(latency) => Some(Cow::Owned(json!({ "latency": latency }))),
        None => object_field(extra, "performanceConfig").map(Cow::Borrowed),
    }
}

fn object_field<'a>(extra: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    extra.get(key).filter(|v| v.is_object())
}
