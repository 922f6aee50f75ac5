//! OpenAI → Gemini request bodies: chat and completions become `generateContent`, embeddings
//! become AI Studio `batchEmbedContents` or Vertex `:predict` (docs/kong-compatibility.md §13.5, with
//! Kong's bugs fixed: tool calls keep their arguments, tool results carry the real function
//! name, `tool_choice` is translated, system prompts stay separate parts).
//!
//! OpenAI chat fields with no Gemini equivalent (dropped): `parallel_tool_calls`, `user`,
//! `stream_options`, `logprobs`/`top_logprobs`/`logit_bias`/`reasoning_effort` and every other
//! key of `extra`, and a tool's `strict` flag. `stream` is expressed by the URL, `model` too.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;

use super::schema;
use super::wire::{
    BatchEmbedContentsRequest, Blob, Content, EmbedContentRequest, FileData, FunctionCall,
    FunctionCallingConfig, FunctionCallingMode, FunctionDeclaration, FunctionResponse,
    FunctionResult, GenerateContentRequest, GenerationConfig, ModelPath, Part, PredictInstance,
    PredictParameters, PredictRequest, Role, Tool, ToolConfig,
};
use crate::api::chat::{
    ChatRequest, Content as OaContent, ContentPart, ImageUrl, Message, ResponseFormat,
    Role as OaRole, Tool as OaTool, ToolChoice, ToolChoiceMode,
};
use crate::api::completions::Prompt;
use crate::api::embeddings::EmbeddingInput;
use crate::api::{CompletionsRequest, EmbeddingsRequest, Stop};
use crate::error::ProxyError;

/// Separator between a tool-call id and the Gemini `thoughtSignature` carried inside it
/// (the same convention LiteLLM uses, so ids survive a hop between gateways).
///
/// Gemini 3 refuses a conversation whose earlier `functionCall` parts lost their signature
/// (400 "Function call is missing a thought_signature"); OpenAI clients echo tool-call ids
/// verbatim, so the id is where a stateless filter can keep it.
pub const THOUGHT_SEPARATOR: &str = "__thought__";

/// `responseMimeType` of JSON mode.
const JSON_MIME: &str = "application/json";

/// Fallback media type for an image URL whose extension says nothing.
const DEFAULT_IMAGE_MIME: &str = "image/jpeg";

/// Chat → `GenerateContentRequest` (borrowing the request's texts, names and images).
pub fn encode_chat(req: &ChatRequest) -> Result<GenerateContentRequest<'_>, ProxyError> {
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

    let (system_instruction, contents) = encode_messages(messages)?;

    let mut generation_config = GenerationConfig {
        stop_sequences: stop.as_ref().map(Stop::as_slice),
        candidate_count: *n,
        max_output_tokens: req.max_output_tokens(),
        temperature: *temperature,
        top_p: *top_p,
        top_k: *top_k,
        presence_penalty: *presence_penalty,
        frequency_penalty: *frequency_penalty,
        seed: *seed,
        ..GenerationConfig::default()
    };
    if let Some(format) = response_format {
        apply_response_format(format, &mut generation_config);
    }

    Ok(GenerateContentRequest {
        contents,
        system_instruction,
        tools: tools.as_deref().and_then(encode_tools),
        tool_config: tool_choice.as_ref().map(encode_tool_choice),
        generation_config: (!generation_config.is_empty()).then_some(generation_config),
    })
}

/// Completions → `GenerateContentRequest` with the prompt as one user turn (a list of prompts
/// is joined with newlines: one Gemini request answers one prompt). Dropped: `stream_options`
/// and every key of `extra` (`echo`, `best_of`, `logprobs`, `suffix`, …).
pub fn encode_completions(req: &CompletionsRequest) -> GenerateContentRequest<'_> {
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
        extra: _,
    } = req;
    let generation_config = GenerationConfig {
        stop_sequences: stop.as_ref().map(Stop::as_slice),
        max_output_tokens: *max_tokens,
        temperature: *temperature,
        top_p: *top_p,
        top_k: *top_k,
        ..GenerationConfig::default()
    };
    let prompt = match prompt {
        Some(Prompt::One(s)) => Cow::Borrowed(s.as_str()),
        _ => Cow::Owned(req.prompt_text()),
    };
    GenerateContentRequest {
        contents: vec![Content {
            role: Some(Role::User),
            parts: vec![Part::text(prompt)],
        }],
        generation_config: (!generation_config.is_empty()).then_some(generation_config),
        ..GenerateContentRequest::default()
    }
}

/// Embeddings → AI Studio `batchEmbedContents` (one request per input text). Dropped: `user`;
/// `encoding_format` is not sent (Gemini returns floats; see `decode.rs`).
pub fn encode_embeddings_ai_studio<'a>(
    req: &'a EmbeddingsRequest,
    model: &'a str,
    dimensions: Option<u32>,
) -> Result<BatchEmbedContentsRequest<'a>, ProxyError> {
    let requests = embedding_texts(req)?
        .iter()
        .map(|text| EmbedContentRequest {
            model: ModelPath(model),
            content: Content {
                role: None,
                parts: vec![Part::text(text)],
            },
            output_dimensionality: dimensions,
        })
        .collect();
    Ok(BatchEmbedContentsRequest { requests })
}

/// Embeddings → Vertex `:predict` for text-embedding models (Vertex "Text embeddings API").
pub fn encode_embeddings_vertex(
    req: &EmbeddingsRequest,
    dimensions: Option<u32>,
) -> Result<PredictRequest<'_>, ProxyError> {
    let instances = embedding_texts(req)?
        .iter()
        .map(|content| PredictInstance { content })
        .collect();
    Ok(PredictRequest {
        instances,
        parameters: dimensions.map(|output_dimensionality| PredictParameters {
            output_dimensionality,
        }),
    })
}

/// The texts to embed, where they are in the request.
fn embedding_texts(req: &EmbeddingsRequest) -> Result<&[String], ProxyError> {
    req.input
        .as_ref()
        .and_then(EmbeddingInput::texts)
        .ok_or_else(|| ProxyError::bad_request("Gemini embeddings take text input only"))
}

/// System/developer messages → `systemInstruction`; the rest → `contents` with consecutive
/// same-role turns merged (Gemini wants user/model alternation; tool results are user turns).
fn encode_messages(
    messages: &[Message],
) -> Result<(Option<Content<'_>>, Vec<Content<'_>>), ProxyError> {
    let mut system = Vec::new();
    // At most one turn per message.
    let mut contents: Vec<Content<'_>> = Vec::with_capacity(messages.len());
    // tool_call id → function name, from earlier assistant turns.
    let mut call_names: HashMap<&str, &str> = HashMap::new();

    for (position, msg) in messages.iter().enumerate() {
        match msg.role {
            OaRole::System | OaRole::Developer => {
                system.extend(text_parts(msg.content.as_ref()).map(Part::text));
            }
            OaRole::User => {
                let parts = user_parts(msg.content.as_ref(), position)?;
                push_turn(&mut contents, Role::User, parts);
            }
            OaRole::Assistant => {
                let calls = msg.tool_calls.as_deref().unwrap_or_default();
                let mut parts: Vec<Part<'_>> = Vec::with_capacity(calls.len().saturating_add(1));
                let text = msg.text_ref();
                if !text.is_empty() {
                    // The signature of earlier reasoning goes back on the answer's text part
                    // (Gemini "Thought signatures"); a call's signature comes from its id.
                    parts.push(Part {
                        thought_signature: thinking_signature(msg.content.as_ref()),
                        ..Part::text(text)
                    });
                }
                for call in calls {
                    call_names.insert(call.id.as_str(), call.function.name.as_str());
                    parts.push(function_call_part(call)?);
                }
                push_turn(&mut contents, Role::Model, parts);
            }
            OaRole::Tool => {
                let id = msg.tool_call_id.as_deref().unwrap_or("");
                let name = call_names
                    .get(id)
                    .copied()
                    .or(msg.name.as_deref())
                    .ok_or_else(|| {
                        ProxyError::bad_request(format!(
                            "tool message at position {position} answers an unknown tool_call_id"
                        ))
                    })?;
                push_turn(
                    &mut contents,
                    Role::User,
                    vec![function_response(name, msg)],
                );
            }
            OaRole::Function => {
                let name = msg.name.as_deref().ok_or_else(|| {
                    ProxyError::bad_request(format!(
                        "function message at position {position} has no name"
                    ))
                })?;
                push_turn(
                    &mut contents,
                    Role::User,
                    vec![function_response(name, msg)],
                );
            }
        }
    }

    let system_instruction = (!system.is_empty()).then_some(Content {
        role: None,
        parts: system,
    });
    Ok((system_instruction, contents))
}

/// Appends a turn, merging it into the previous one when the role repeats.
fn push_turn<'a>(contents: &mut Vec<Content<'a>>, role: Role, parts: Vec<Part<'a>>) {
    if parts.is_empty() {
        return;
    }
    if let Some(last) = contents.last_mut() {
        if last.role == Some(role) {
            last.parts.extend(parts);
            return;
        }
    }
    contents.push(Content {
        role: Some(role),
        parts,
    });
}

/// The non-empty text pieces of a message (string content, or its text parts; images skipped).
fn text_parts(content: Option<&OaContent>) -> impl Iterator<Item = &str> {
    content
        .into_iter()
        .flat_map(OaContent::texts)
        .filter(|s| !s.is_empty())
}

/// The signature of the first `thinking` part of an assistant message.
fn thinking_signature(content: Option<&OaContent>) -> Option<Cow<'_, str>> {
    let Some(OaContent::Parts(parts)) = content else {
        return None;
    };
    parts.iter().find_map(|p| match p {
        ContentPart::Thinking {
            signature: Some(signature),
            ..
        } if !signature.is_empty() => Some(Cow::Borrowed(signature.as_str())),
        _ => None,
    })
}

fn user_parts(content: Option<&OaContent>, position: usize) -> Result<Vec<Part<'_>>, ProxyError> {
    match content {
        None => Ok(Vec::new()),
        Some(OaContent::Text(s)) => Ok(vec![Part::text(s)]),
        Some(OaContent::Parts(parts)) => parts
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text { text } => Some(Ok(Part::text(text))),
                ContentPart::ImageUrl { image_url } => Some(image_part(image_url)),
                // No block-level cache in Gemini; reasoning is the model's, not the user's.
                ContentPart::CachePoint { .. }
                | ContentPart::Thinking { .. }
                | ContentPart::RedactedThinking { .. } => None,
                ContentPart::Unsupported => Some(Err(ProxyError::bad_request(format!(
                    "message at position {position} has a content part type Gemini cannot take \
                     (only text and image_url are translated)"
                )))),
            })
            .collect(),
    }
}

/// An image part: a base64 data URL → `inlineData`; an `https://`, `http://` or `gs://` URL →
/// `fileData` (Gemini API and Vertex both fetch public HTTPS URLs and Cloud Storage URIs
/// themselves; AI Studio since the January 2026 "external URLs" update). The media type of a
/// URL is guessed from its extension, else `image/jpeg` (`fileData.mimeType` is required).
pub fn image_part(image: &ImageUrl) -> Result<Part<'_>, ProxyError> {
    if let Some(data) = image.as_data_url() {
        return Ok(Part {
            inline_data: Some(Box::new(Blob {
                mime_type: Cow::Borrowed(data.media_type),
                data: Cow::Borrowed(data.data),
            })),
            ..Part::default()
        });
    }
    let url = image.url.as_str();
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("data:") {
        return Err(ProxyError::bad_request(
            "image data URLs must be base64 encoded (data:<mime>;base64,<data>)",
        ));
    }
    if !(lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("gs://"))
    {
        return Err(ProxyError::bad_request(
            "image_url.url must be a base64 data URL or an http(s):// or gs:// URL for Gemini",
        ));
    }
    Ok(Part {
        file_data: Some(Box::new(FileData {
            mime_type: Some(Cow::Borrowed(mime_from_url(url))),
            file_uri: Cow::Borrowed(url),
        })),
        ..Part::default()
    })
}

/// Image media type from a URL's file extension (query and fragment ignored).
fn mime_from_url(url: &str) -> &'static str {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "gif" => "image/gif",
        "heic" => "image/heic",
        "heif" => "image/heif",
        "bmp" => "image/bmp",
        _ => DEFAULT_IMAGE_MIME,
    }
}

/// An assistant tool call → `functionCall` part; the arguments string must be a JSON object
/// (empty means `{}`); a `thoughtSignature` carried in the id is put back on the part.
fn function_call_part(call: &crate::api::chat::ToolCall) -> Result<Part<'_>, ProxyError> {
    let args = call.arguments_object()?;
    let thought_signature = call
        .id
        .split_once(THOUGHT_SEPARATOR)
        .map(|(_, sig)| sig)
        .filter(|s| !s.is_empty())
        .map(Cow::Borrowed);
    Ok(Part {
        function_call: Some(Box::new(FunctionCall {
            id: None,
            name: Cow::Borrowed(call.function.name.as_str()),
            args: Some(args),
        })),
        thought_signature,
        ..Part::default()
    })
}

/// A tool result → `functionResponse`: a JSON-object content is the response itself, any
/// other content is wrapped as `{"content": "<text>"}`.
fn function_response<'a>(name: &'a str, msg: &'a Message) -> Part<'a> {
    let text = msg.text_ref();
    let response = match serde_json::from_slice::<Value>(text.as_bytes()) {
        Ok(v @ Value::Object(_)) => FunctionResult::Object(v),
        _ => FunctionResult::Wrapped { content: text },
    };
    Part {
        function_response: Some(Box::new(FunctionResponse { name, response })),
        ..Part::default()
    }
}

/// `tools` → one `functionDeclarations` list; parameters converted to Gemini's schema subset
/// and left out for argument-less functions.
fn encode_tools(tools: &[OaTool]) -> Option<Vec<Tool<'_>>> {
    let function_declarations: Vec<FunctionDeclaration<'_>> = tools
        .iter()
        .filter(|t| t.kind == "function")
        .map(|t| FunctionDeclaration {
            name: &t.function.name,
            description: t.function.description.as_deref(),
            parameters: t
                .function
                .parameters
                .as_ref()
                .map(schema::to_gemini)
                .filter(|p| !schema::is_empty_object(p)),
        })
        .collect();
    (!function_declarations.is_empty()).then(|| {
        vec![Tool {
            function_declarations,
        }]
    })
}

/// `tool_choice` → `toolConfig.functionCallingConfig`.
fn encode_tool_choice(choice: &ToolChoice) -> ToolConfig<'_> {
    let function_calling_config = match choice {
        ToolChoice::Mode(ToolChoiceMode::Auto) => FunctionCallingConfig {
            mode: FunctionCallingMode::Auto,
            allowed_function_names: None,
        },
        ToolChoice::Mode(ToolChoiceMode::None) => FunctionCallingConfig {
            mode: FunctionCallingMode::None,
            allowed_function_names: None,
        },
        ToolChoice::Mode(ToolChoiceMode::Required) => FunctionCallingConfig {
            mode: FunctionCallingMode::Any,
            allowed_function_names: None,
        },
        ToolChoice::Named(named) => FunctionCallingConfig {
            mode: FunctionCallingMode::Any,
            allowed_function_names: Some([named.function.name.as_str()]),
        },
    };
    ToolConfig {
        function_calling_config,
    }
}

/// `response_format`: `json_object` → `responseMimeType: application/json`; `json_schema` →
/// that plus `responseSchema` (converted, see `schema.rs`); `text` → nothing.
fn apply_response_format(format: &ResponseFormat, config: &mut GenerationConfig<'_>) {
    match format.kind.as_str() {
        "json_object" => config.response_mime_type = Some(JSON_MIME),
        "json_schema" => {
            config.response_mime_type = Some(JSON_MIME);
            config.response_schema = format
                .json_schema
                .as_ref()
                .and_then(|s| s.schema.as_ref())
                .map(schema::to_gemini);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_guess() {
        assert_eq!(mime_from_url("https://x/a.PNG?x=1"), "image/png");
        assert_eq!(mime_from_url("gs://b/c/d.webp"), "image/webp");
        assert_eq!(mime_from_url("https://x/img?id=3"), "image/jpeg");
    }

    #[test]
    fn signature_is_taken_from_the_id() {
        let call = |id: &str, args: &str| crate::api::chat::ToolCall {
            id: id.into(),
            kind: "function".into(),
            function: crate::api::chat::FunctionCall {
                name: "f".into(),
                arguments: args.into(),
            },
        };
        let signed = call("call_1__thought__c2ln", "{\"a\":1}");
        let p = function_call_part(&signed).unwrap();
        assert_eq!(p.thought_signature.as_deref(), Some("c2ln"));
        let unsigned = call("call_1", "");
        let p = function_call_part(&unsigned).unwrap();
        assert_eq!(p.thought_signature, None);
        assert_eq!(p.function_call.unwrap().args, Some(serde_json::json!({})));
        assert!(function_call_part(&call("c", "[1]")).is_err());
        assert!(function_call_part(&call("c", "{nope")).is_err());
    }

    /// Whether `text` is borrowed and is the very bytes of `source`.
    fn same_bytes(text: Option<&Cow<'_, str>>, source: &str) -> bool {
        matches!(text, Some(Cow::Borrowed(t)) if std::ptr::eq(t.as_ptr(), source.as_ptr()))
    }

    #[test]
    fn texts_and_images_are_written_from_the_request() {
        let req: ChatRequest = serde_json::from_value(serde_json::json!({
            "model": "m",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K"}}
                ]},
                {"role": "assistant", "content": "A PNG."},
                {"role": "user", "content": "Thanks."}
            ]
        }))
        .unwrap();
        let texts: Vec<&str> = req
            .messages
            .iter()
            .flat_map(|m| m.content.iter().flat_map(OaContent::texts))
            .collect();
        let out = encode_chat(&req).unwrap();
        let system = out.system_instruction.as_ref().unwrap();
        assert!(same_bytes(system.parts[0].text.as_ref(), texts[0]));
        let parts: Vec<&Part<'_>> = out.contents.iter().flat_map(|c| &c.parts).collect();
        assert_eq!(parts.len(), 4);
        assert!(same_bytes(parts[0].text.as_ref(), texts[1]));
        let blob = parts[1].inline_data.as_ref().unwrap();
        assert_eq!(blob.mime_type, "image/png");
        assert!(matches!(&blob.data, Cow::Borrowed("iVBORw0K")));
        assert!(same_bytes(parts[2].text.as_ref(), texts[2]));
        assert!(same_bytes(parts[3].text.as_ref(), texts[3]));
    }
}
