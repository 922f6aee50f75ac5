//! OpenAI → Gemini request bodies: chat and completions become `generateContent`, embeddings
//! become AI Studio `batchEmbedContents` or Vertex `:predict` (docs/kong-compatibility.md §13.5, with
//! Kong's bugs fixed: tool calls keep their arguments, tool results carry the real function
//! name, `tool_choice` is translated, system prompts stay separate parts).
//!
//! OpenAI chat fields with no Gemini equivalent (dropped): `parallel_tool_calls`, `user`,
//! `stream_options`, `logprobs`/`top_logprobs`/`logit_bias`/`reasoning_effort` and every other
//! key of `extra`, and a tool's `strict` flag. `stream` is expressed by the URL, `model` too.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::schema;
use super::wire::{
    BatchEmbedContentsRequest, Blob, Content, EmbedContentRequest, FileData, FunctionCall,
    FunctionCallingConfig, FunctionCallingMode, FunctionDeclaration, FunctionResponse,
    GenerateContentRequest, GenerationConfig, Part, PredictInstance, PredictParameters,
    PredictRequest, Role, Tool, ToolConfig,
};
use crate::api::chat::{
    ChatRequest, Content as OaContent, ContentPart, ImageUrl, Message, ResponseFormat,
    Role as OaRole, Tool as OaTool, ToolChoice, ToolChoiceMode,
};
use crate::api::{CompletionsRequest, EmbeddingsRequest};
use crate::error::ProxyError;

/// Separator between a tool-call id and the Gemini `thoughtSignature` carried inside it
/// (the same convention LiteLLM uses, so ids survive a hop between gateways).
///
/// Gemini 3 refuses a conversation whose earlier `functionCall` parts lost their signature
/// (400 "Function call is missing a thought_signature"); OpenAI clients echo tool-call ids
/// verbatim, so the id is where a stateless filter can keep it.
pub const THOUGHT_SEPARATOR: &str = "__thought__";

/// Fallback media type for an image URL whose extension says nothing.
const DEFAULT_IMAGE_MIME: &str = "image/jpeg";

/// Chat → `GenerateContentRequest`.
pub fn encode_chat(req: &ChatRequest) -> Result<GenerateContentRequest, ProxyError> {
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
        stop_sequences: stop.as_ref().map(|s| s.to_vec()),
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
pub fn encode_completions(req: &CompletionsRequest) -> GenerateContentRequest {
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
        extra: _,
    } = req;
    let generation_config = GenerationConfig {
        stop_sequences: stop.as_ref().map(|s| s.to_vec()),
        max_output_tokens: *max_tokens,
        temperature: *temperature,
        top_p: *top_p,
        top_k: *top_k,
        ..GenerationConfig::default()
    };
    GenerateContentRequest {
        contents: vec![Content {
            role: Some(Role::User),
            parts: vec![Part::text(req.prompt_text())],
        }],
        generation_config: (!generation_config.is_empty()).then_some(generation_config),
        ..GenerateContentRequest::default()
    }
}

/// Embeddings → AI Studio `batchEmbedContents` (one request per input text). Dropped: `user`;
/// `encoding_format` is not sent (Gemini returns floats; see `decode.rs`).
pub fn encode_embeddings_ai_studio(
    req: &EmbeddingsRequest,
    model: &str,
    dimensions: Option<u32>,
) -> Result<BatchEmbedContentsRequest, ProxyError> {
    let model = format!("models/{model}");
    let requests = embedding_texts(req)?
        .into_iter()
        .map(|text| EmbedContentRequest {
            model: model.clone(),
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
) -> Result<PredictRequest, ProxyError> {
    let instances = embedding_texts(req)?
        .into_iter()
        .map(|content| PredictInstance { content })
        .collect();
    Ok(PredictRequest {
        instances,
        parameters: dimensions.map(|output_dimensionality| PredictParameters {
            output_dimensionality,
        }),
    })
}

fn embedding_texts(req: &EmbeddingsRequest) -> Result<Vec<String>, ProxyError> {
    req.input
        .as_ref()
        .and_then(|i| i.texts())
        .ok_or_else(|| ProxyError::bad_request("Gemini embeddings take text input only"))
}

/// System/developer messages → `systemInstruction`; the rest → `contents` with consecutive
/// same-role turns merged (Gemini wants user/model alternation; tool results are user turns).
fn encode_messages(messages: &[Message]) -> Result<(Option<Content>, Vec<Content>), ProxyError> {
    let mut system = Vec::new();
    let mut contents: Vec<Content> = Vec::new();
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
                let mut parts: Vec<Part> = Vec::new();
                let text: String = text_parts(msg.content.as_ref()).collect();
                if !text.is_empty() {
                    // The signature of earlier reasoning goes back on the answer's text part
                    // (Gemini "Thought signatures"); a call's signature comes from its id.
                    parts.push(Part {
                        thought_signature: thinking_signature(msg.content.as_ref()),
                        ..Part::text(text)
                    });
                }
                for call in msg.tool_calls.iter().flatten() {
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
fn push_turn(contents: &mut Vec<Content>, role: Role, parts: Vec<Part>) {
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

/// The text pieces of a message (string content, or its text parts; images skipped).
fn text_parts(content: Option<&OaContent>) -> impl Iterator<Item = String> + '_ {
    let list: Vec<String> = match content {
        Some(OaContent::Text(s)) => vec![s.clone()],
        Some(OaContent::Parts(parts)) => parts
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text { text } => Some(text.clone()),
                _ => None,
            })
            .collect(),
        None => Vec::new(),
    };
    list.into_iter().filter(|s| !s.is_empty())
}

/// The signature of the first `thinking` part of an assistant message.
fn thinking_signature(content: Option<&OaContent>) -> Option<String> {
    let Some(OaContent::Parts(parts)) = content else {
        return None;
    };
    parts.iter().find_map(|p| match p {
        ContentPart::Thinking { signature, .. } => signature.clone().filter(|s| !s.is_empty()),
        _ => None,
    })
}

fn user_parts(content: Option<&OaContent>, position: usize) -> Result<Vec<Part>, ProxyError> {
    match content {
        None => Ok(Vec::new()),
        Some(OaContent::Text(s)) => Ok(vec![Part::text(s.clone())]),
        Some(OaContent::Parts(parts)) => parts
            .iter()
            .filter_map(|p| match p {
                ContentPart::Text { text } => Some(Ok(Part::text(text.clone()))),
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
pub fn image_part(image: &ImageUrl) -> Result<Part, ProxyError> {
    if let Some(data) = image.as_data_url() {
        return Ok(Part {
            inline_data: Some(Blob {
                mime_type: data.media_type.to_string(),
                data: data.data.to_string(),
            }),
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
        file_data: Some(FileData {
            mime_type: Some(mime_from_url(url).to_string()),
            file_uri: url.to_string(),
        }),
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
fn function_call_part(call: &crate::api::chat::ToolCall) -> Result<Part, ProxyError> {
    let (id, name) = (call.id.as_str(), call.function.name.as_str());
    let args = call.arguments_object()?;
    let thought_signature = id
        .split_once(THOUGHT_SEPARATOR)
        .map(|(_, sig)| sig.to_string())
        .filter(|s| !s.is_empty());
    Ok(Part {
        function_call: Some(FunctionCall {
            id: None,
            name: name.to_string(),
            args: Some(args),
        }),
        thought_signature,
        ..Part::default()
    })
}

/// A tool result → `functionResponse`: a JSON-object content is the response itself, any
/// other content is wrapped as `{"content": "<text>"}`.
fn function_response(name: &str, msg: &Message) -> Part {
    let text = msg.text();
    let response = match serde_json::from_slice::<Value>(text.as_bytes()) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            let mut m = Map::new();
            m.insert("content".into(), Value::String(text));
            Value::Object(m)
        }
    };
    Part {
        function_response: Some(FunctionResponse {
            name: name.to_string(),
            response,
        }),
        ..Part::default()
    }
}

/// `tools` → one `functionDeclarations` list; parameters converted to Gemini's schema subset
/// and left out for argument-less functions.
fn encode_tools(tools: &[OaTool]) -> Option<Vec<Tool>> {
    let function_declarations: Vec<FunctionDeclaration> = tools
        .iter()
        .filter(|t| t.kind == "function")
        .map(|t| FunctionDeclaration {
            name: t.function.name.clone(),
            description: t.function.description.clone(),
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
fn encode_tool_choice(choice: &ToolChoice) -> ToolConfig {
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
            allowed_function_names: Some(vec![named.function.name.clone()]),
        },
    };
    ToolConfig {
        function_calling_config,
    }
}

/// `response_format`: `json_object` → `responseMimeType: application/json`; `json_schema` →
/// that plus `responseSchema` (converted, see `schema.rs`); `text` → nothing.
fn apply_response_format(format: &ResponseFormat, config: &mut GenerationConfig) {
    match format.kind.as_str() {
        "json_object" => config.response_mime_type = Some("application/json".into()),
        "json_schema" => {
            config.response_mime_type = Some("application/json".into());
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
        let p = function_call_part(&call("call_1__thought__c2ln", "{\"a\":1}")).unwrap();
        assert_eq!(p.thought_signature.as_deref(), Some("c2ln"));
        let p = function_call_part(&call("call_1", "")).unwrap();
        assert_eq!(p.thought_signature, None);
        assert_eq!(p.function_call.unwrap().args, Some(serde_json::json!({})));
        assert!(function_call_part(&call("c", "[1]")).is_err());
        assert!(function_call_part(&call("c", "{nope")).is_err());
    }
}
