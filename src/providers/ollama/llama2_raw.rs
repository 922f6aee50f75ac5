//! `provider: llama2`, `llama2_format: raw` (docs/kong-compatibility.md §13.4): the conversation as one
//! Llama-2 chat prompt sent as `{"inputs", "parameters"}` (the text-generation-inference
//! request shape) to `upstream_url`, the answer's `generated_text` back. No embeddings.
//!
//! Kong's prompt builder is fixed here, not copied: Kong treats the *first* message as the system
//! prompt whatever its role, drops assistant turns from the third message on, and closes the
//! completions system block with `<<SYS>>`. This builder follows Meta's Llama-2 chat template:
//!
//! ```text
//! <s>[INST] <<SYS>>
//! {all system prompts, in order}
//! <</SYS>>
//!
//! {user} [/INST] {assistant} </s><s>[INST] {user} [/INST]
//! ```
//!
//! Consecutive user (or tool-result) messages are joined with a blank line, as are consecutive
//! assistant messages. Tools have no raw form: definitions are dropped, tool results are user
//! text. Completions keep Kong's default system prompt (`You are a helpful assistant.`).
//!
//! Streams: TGI's SSE `generate_stream` events (`token.text`, final `details`); Kong has no raw
//! stream translator at all.

use crate::api::chat::{AssistantMessage, ChatChoice};
use crate::api::chat::{Message, Role};
use crate::api::completions::CompletionChoice;
use crate::api::{
    ChatRequest, ChatResponse, CompletionsRequest, CompletionsResponse, FinishReason, LlmResponse,
    Stop, Usage,
};
use crate::error::TranslateError;
use crate::providers::ResponseCtx;
use crate::stream::{Frame, ProviderStream, StreamEvent};

use super::wire;

/// Kong's system prompt for raw completions.
const COMPLETIONS_SYSTEM: &str = "You are a helpful assistant.";
/// The tag that ends a user instruction; the answer follows the last one.
const INST_END: &str = "[/INST]";

/// One user turn and the assistant's reply to it, if any.
#[derive(Debug, Default)]
struct Turn {
    user: String,
    assistant: Option<String>,
}

fn append(slot: &mut String, text: &str) {
    if !slot.is_empty() {
        slot.push_str("\n\n");
    }
    slot.push_str(text);
}

/// The Llama-2 chat prompt of a conversation.
pub fn chat_prompt(messages: &[Message]) -> String {
    let mut system = String::new();
    let mut turns: Vec<Turn> = Vec::new();
    for msg in messages {
        let text = msg.text();
        match msg.role {
            Role::System | Role::Developer => append(&mut system, &text),
            Role::User | Role::Tool | Role::Function => match turns.last_mut() {
                Some(t) if t.assistant.is_none() => append(&mut t.user, &text),
                _ => turns.push(Turn {
                    user: text,
                    assistant: None,
                }),
            },
            Role::Assistant => match turns.last_mut() {
                Some(Turn {
                    assistant: Some(a), ..
                }) => append(a, &text),
                Some(t) => t.assistant = Some(text),
                None => turns.push(Turn {
                    user: String::new(),
                    assistant: Some(text),
                }),
            },
        }
    }
    if turns.is_empty() {
        turns.push(Turn::default());
    }
    let mut out = String::new();
    for (i, turn) in turns.iter().enumerate() {
        out.push_str("<s>[INST] ");
        if i == 0 && !system.is_empty() {
            out.push_str("<<SYS>>\n");
            out.push_str(&system);
            out.push_str("\n<</SYS>>\n\n");
        }
        out.push_str(&turn.user);
        out.push(' ');
        out.push_str(INST_END);
        if let Some(a) = &turn.assistant {
            out.push(' ');
            out.push_str(a);
            out.push_str(" </s>");
        }
    }
    out
}

/// The raw chat body. Dropped (no raw form): tools, `tool_choice`, `response_format`, `n`,
/// `seed`, penalties, `user`, images (text parts only).
pub fn encode_chat(req: &ChatRequest, stream: bool) -> wire::RawRequest {
    wire::RawRequest {
        inputs: chat_prompt(&req.messages),
        parameters: wire::RawParameters {
            max_new_tokens: req.max_output_tokens(),
            top_p: req.top_p,
            top_k: req.top_k,
            temperature: req.temperature,
            stop: req.stop.as_ref().map(Stop::to_vec),
            stream,
        },
        stream,
    }
}

/// The raw completions body: the prompt as the user turn under Kong's default system prompt.
pub fn encode_completions(req: &CompletionsRequest, stream: bool) -> wire::RawRequest {
    wire::RawRequest {
        inputs: format!(
            "<s>[INST] <<SYS>>\n{COMPLETIONS_SYSTEM}\n<</SYS>>\n\n{} {INST_END}",
            req.prompt_text()
        ),
        parameters: wire::RawParameters {
            max_new_tokens: req.max_tokens,
            top_p: req.top_p,
            top_k: req.top_k,
            temperature: req.temperature,
            stop: req.stop.as_ref().map(Stop::to_vec),
            stream,
        },
        stream,
    }
}

/// The answer text: what follows the last `[/INST]` (servers that echo the prompt), trimmed.
fn answer_text(generated: &str) -> String {
    generated
        .rsplit_once(INST_END)
        .map_or(generated, |(_, after)| after)
        .trim()
        .to_string()
}

fn map_finish(details: Option<&wire::RawDetails>) -> FinishReason {
    match details.and_then(|d| d.finish_reason) {
        Some(wire::RawFinishReason::Length) => FinishReason::Length,
        _ => FinishReason::Stop,
    }
}

/// Decodes a raw answer (chat or completions, by `ctx.route`).
pub fn decode(body: &[u8], ctx: &ResponseCtx<'_>) -> Result<LlmResponse, TranslateError> {
    let resp: wire::RawResponse = serde_json::from_slice(body)
        .map_err(|_| TranslateError::new("cannot parse response from llama2 endpoint"))?;
    let generation = match resp {
        wire::RawResponse::One(g) => g,
        wire::RawResponse::Many(list) | wire::RawResponse::Data { data: list } => {
            list.into_iter().next().unwrap_or_default()
        }
    };
    let text = generation
        .generated_text
        .as_deref()
        .map(answer_text)
        .ok_or_else(|| TranslateError::new("response data is empty from llama2 endpoint"))?;
    let finish = map_finish(generation.details.as_ref());
    // Kong copies an OpenAI-shaped `usage`; else TGI's `details.generated_tokens` gives the
    // completion count (the prompt count is not reported).
    let usage = generation.usage.or_else(|| {
        generation
            .details
            .as_ref()
            .and_then(|d| d.generated_tokens)
            .map(|n| Usage::new(0, n))
    });
    let created = ctx.env.now_unix();
    let model = Some(ctx.model.to_string()).filter(|m| !m.is_empty());
    Ok(match ctx.route {
        crate::api::RouteType::Completions => LlmResponse::Completions(CompletionsResponse {
            id: ctx.env.new_id("cmpl-"),
            object: "text_completion".to_string(),
            created,
            model,
            choices: vec![CompletionChoice {
                index: 0,
                text,
                logprobs: None,
                finish_reason: Some(finish),
            }],
            usage,
        }),
        _ => LlmResponse::Chat(ChatResponse {
            id: ctx.env.new_id("chatcmpl-"),
            object: "chat.completion".to_string(),
            created,
            model,
            choices: vec![ChatChoice {
                index: 0,
                message: AssistantMessage::text(text),
                finish_reason: Some(finish),
            }],
            usage,
            system_fingerprint: None,
        }),
    })
}

/// Translator for TGI-style SSE streams: non-special token texts as `Text`; the event with
/// `details` gives `Finish` and, when `generated_tokens` is given, `Usage`; an `error` event
/// gives `Error`. Leading whitespace of the first text is dropped, as the non-streamed answer is
/// trimmed.
#[derive(Debug, Default)]
pub struct RawStream {
    started: bool,
    ended: bool,
}

impl RawStream {
    /// A fresh translator.
    pub fn new() -> Self {
        RawStream::default()
    }
}

impl ProviderStream for RawStream {
    fn on_frame(&mut self, frame: Frame, out: &mut Vec<StreamEvent>) -> Result<(), TranslateError> {
        let ev: wire::RawStreamEvent = match &frame {
            Frame::Sse { data, .. } if data.trim().is_empty() || data.trim() == "[DONE]" => {
                return Ok(())
            }
            Frame::Sse { data, .. } => serde_json::from_slice(data.as_bytes())?,
            Frame::Json(bytes) => serde_json::from_slice(bytes)?,
            Frame::Event(_) => {
                return Err(TranslateError::new(
                    "unexpected AWS eventstream frame in a llama2 stream",
                ))
            }
        };
        if self.ended {
            return Ok(());
        }
        if let Some(message) = ev.error {
            self.ended = true;
            out.push(StreamEvent::Error {
                message,
                kind: ev.error_type,
            });
            return Ok(());
        }
        if let Some(token) = ev.token.filter(|t| t.special != Some(true)) {
            let text = token.text.unwrap_or_default();
            let text = if self.started {
                text.as_str()
            } else {
                text.trim_start()
            };
            if !text.is_empty() {
                self.started = true;
                out.push(StreamEvent::Text(text.to_string()));
            }
        }
        if let Some(details) = ev.details {
            self.ended = true;
            out.push(StreamEvent::Finish(map_finish(Some(&details))));
            if let Some(n) = details.generated_tokens {
                out.push(StreamEvent::Usage(Usage::new(0, n)));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::chat::Content;

    fn msg(role: Role, text: &str) -> Message {
        Message {
            role,
            content: Some(Content::Text(text.to_string())),
            name: None,
            tool_calls: None,
            tool_call_id: None,
        }
    }

    #[test]
    fn single_user_message_has_no_system_block() {
        assert_eq!(
            chat_prompt(&[msg(Role::User, "Hi")]),
            "<s>[INST] Hi [/INST]"
        );
    }

    #[test]
    fn multi_turn_with_systems_follows_the_llama2_template() {
        let prompt = chat_prompt(&[
            msg(Role::System, "Be brief."),
            msg(Role::User, "What is 1+1?"),
            msg(Role::Assistant, "2"),
            msg(Role::Developer, "Answer in French."),
            msg(Role::User, "And 2+2?"),
            msg(Role::User, "Thanks."),
        ]);
        assert_eq!(
            prompt,
            "<s>[INST] <<SYS>>\nBe brief.\n\nAnswer in French.\n<</SYS>>\n\n\
             What is 1+1? [/INST] 2 </s><s>[INST] And 2+2?\n\nThanks. [/INST]"
        );
    }

    /// The three answer shapes give the same text: Kong's `{"data":[…]}` (its llama2 driver's
    /// `from_raw` reads `response_table.data[1].generated_text`), TGI's array and TGI's object.
    #[test]
    fn reads_kongs_data_shape_and_both_tgi_shapes() {
        let env = crate::env::FixedEnv::default();
        let options = crate::config::ModelOptions::default();
        let ctx = ResponseCtx {
            route: crate::api::RouteType::Chat,
            model: "llama2",
            options: &options,
            stream: false,
            env: &env,
        };
        let text = |body: &str| match decode(body.as_bytes(), &ctx) {
            Ok(LlmResponse::Chat(c)) => c
                .choices
                .first()
                .and_then(|c| c.message.content.as_ref().map(|t| format!("{t:?}"))),
            other => panic!("{other:?}"),
        };
        let want = text(r#"{"generated_text":"[INST] 1+1? [/INST] It is 2."}"#);
        assert!(want.as_deref().is_some_and(|t| t.contains("It is 2.")));
        assert_eq!(
            text(r#"{"data":[{"generated_text":"[INST] 1+1? [/INST] It is 2."}]}"#),
            want
        );
        assert_eq!(
            text(r#"[{"generated_text":"[INST] 1+1? [/INST] It is 2."}]"#),
            want
        );
        for empty in [r#"{"data":[]}"#, r#"{"data":[{}]}"#, "{}", "[]"] {
            let e = decode(empty.as_bytes(), &ctx).err().map(|e| e.0);
            assert_eq!(
                e.as_deref(),
                Some("response data is empty from llama2 endpoint"),
                "{empty}"
            );
        }
    }

    #[test]
    fn answer_text_takes_what_follows_the_last_inst() {
        assert_eq!(answer_text("<s>[INST] hi [/INST]  Hello! "), "Hello!");
        assert_eq!(answer_text(" Hello!"), "Hello!");
    }
}
