//! Gemini → OpenAI answers: `generateContent` to `chat.completion` / `text_completion`,
//! `batchEmbedContents` and Vertex `:predict` to an embeddings `list`
//! (docs/kong-compatibility.md §13.5, with Kong's quirks fixed: every candidate and every
//! text part is kept, tool calls get ids and `finish_reason: tool_calls`, finish reasons are
//! mapped to OpenAI's set, `model` is the answering `modelVersion`).
//!
//! Choices where the references are silent:
//! - a prompt blocked by `promptFeedback.blockReason` (no candidates) is a normal answer with
//!   empty content and `finish_reason: content_filter`, not an error;
//! - no candidates and no block reason is Kong's error text (500);
//! - prompt tokens include `toolUsePromptTokenCount`; completion tokens are candidates plus
//!   thoughts; `total_tokens` is Gemini's `totalTokenCount` when given;
//! - parts other than text, thoughts and function calls (inline images, executable code…) are
//!   not translated.

use base64::Engine as _;
use serde_json::Value;

use super::encode::THOUGHT_SEPARATOR;
use super::wire::{
    BatchEmbedContentsResponse, Candidate, FinishReason, GenerateContentResponse, Part,
    PredictResponse, UsageMetadata,
};
use crate::api::chat::{
    AssistantMessage, ChatChoice, FunctionCall, ReasoningBlock, Role, ToolCall,
};
use crate::api::completions::CompletionChoice;
use crate::api::embeddings::Embedding;
use crate::api::{self, ChatResponse, CompletionsResponse, EmbeddingsResponse, Usage};
use crate::env::Env;
use crate::error::TranslateError;

/// Kong's reason when a 200 answer has no candidates (docs/kong-compatibility.md §13.5).
pub const NO_CANDIDATES: &str =
    "no generation candidates received from Gemini, or max_tokens too short";

/// `generateContent` answer → `chat.completion`.
pub fn decode_chat(
    body: &[u8],
    request_model: &str,
    env: &dyn Env,
) -> Result<ChatResponse, TranslateError> {
    let resp = parse(body)?;
    let mut ids = CallIds::new(env);
    let choices = if resp.candidates.is_empty() {
        blocked_or_err(&resp)?;
        vec![ChatChoice {
            index: 0,
            message: AssistantMessage::text(""),
            finish_reason: Some(api::FinishReason::ContentFilter),
        }]
    } else {
        resp.candidates
            .iter()
            .enumerate()
            .map(|(i, c)| chat_choice(c, i, &mut ids))
            .collect()
    };
    Ok(ChatResponse {
        id: resp
            .response_id
            .clone()
            .unwrap_or_else(|| env.new_id("chatcmpl-")),
        object: "chat.completion".into(),
        created: created(&resp, env),
        model: answer_model(&resp, request_model),
        choices,
        usage: resp.usage_metadata.as_ref().map(usage),
        system_fingerprint: None,
    })
}

/// `generateContent` answer → `text_completion`.
pub fn decode_completions(
    body: &[u8],
    request_model: &str,
    env: &dyn Env,
) -> Result<CompletionsResponse, TranslateError> {
    let resp = parse(body)?;
    let choices = if resp.candidates.is_empty() {
        blocked_or_err(&resp)?;
        vec![CompletionChoice {
            index: 0,
            text: String::new(),
            logprobs: None,
            finish_reason: Some(api::FinishReason::ContentFilter),
        }]
    } else {
        resp.candidates
            .iter()
            .enumerate()
            .map(|(i, c)| CompletionChoice {
                index: c.index.unwrap_or(i as u32),
                text: candidate_parts(c)
                    .filter(|p| p.thought != Some(true))
                    .filter_map(|p| p.text.as_deref())
                    .collect(),
                logprobs: None,
                finish_reason: map_finish(c.finish_reason, false),
            })
            .collect()
    };
    Ok(CompletionsResponse {
        id: resp
            .response_id
            .clone()
            .unwrap_or_else(|| env.new_id("cmpl-")),
        object: "text_completion".into(),
        created: created(&resp, env),
        model: answer_model(&resp, request_model),
        choices,
        usage: resp.usage_metadata.as_ref().map(usage),
    })
}

/// AI Studio `batchEmbedContents` answer → embeddings `list`.
pub fn decode_embeddings_ai_studio(
    body: &[u8],
    request_model: &str,
    base64: bool,
) -> Result<EmbeddingsResponse, TranslateError> {
    let resp: BatchEmbedContentsResponse = serde_json::from_slice(body)
        .map_err(|e| TranslateError::new(format!("invalid Gemini embeddings answer: {e}")))?;
    if resp.embeddings.is_empty() {
        return Err(TranslateError::new("no embeddings received from Gemini"));
    }
    let vectors = resp.embeddings.into_iter().map(|e| e.values);
    Ok(embeddings_list(
        vectors,
        request_model,
        resp.usage_metadata.as_ref().map(|u| {
            let p = u.prompt_token_count.unwrap_or(0);
            Usage::new(p, 0)
        }),
        base64,
    ))
}

/// Vertex `:predict` text-embedding answer → embeddings `list`; usage sums the per-input
/// `statistics.token_count`.
pub fn decode_embeddings_vertex(
    body: &[u8],
    request_model: &str,
    base64: bool,
) -> Result<EmbeddingsResponse, TranslateError> {
    let resp: PredictResponse = serde_json::from_slice(body)
        .map_err(|e| TranslateError::new(format!("invalid Vertex embeddings answer: {e}")))?;
    if resp.predictions.is_empty() {
        return Err(TranslateError::new("no embeddings received from Vertex AI"));
    }
    let mut tokens: Option<u64> = None;
    let mut vectors = Vec::with_capacity(resp.predictions.len());
    for p in resp.predictions {
        let e = p.embeddings.unwrap_or_default();
        if let Some(n) = e.statistics.as_ref().and_then(|s| s.token_count) {
            // A protobuf Struct number: a non-negative integer in practice.
            let n = if n.is_finite() && n > 0.0 {
                n as u64
            } else {
                0
            };
            tokens = Some(tokens.unwrap_or(0).saturating_add(n));
        }
        vectors.push(e.values);
    }
    Ok(embeddings_list(
        vectors.into_iter(),
        request_model,
        tokens.map(|t| Usage::new(t, 0)),
        base64,
    ))
}

fn embeddings_list(
    vectors: impl Iterator<Item = Vec<f64>>,
    request_model: &str,
    usage: Option<Usage>,
    base64: bool,
) -> EmbeddingsResponse {
    let data = vectors
        .enumerate()
        .map(|(i, values)| Embedding {
            object: "embedding".into(),
            index: i as u32,
            embedding: if base64 {
                Value::String(to_base64(&values))
            } else {
                Value::from(values)
            },
        })
        .collect();
    EmbeddingsResponse {
        object: "list".into(),
        data,
        model: (!request_model.is_empty()).then(|| request_model.to_string()),
        usage,
    }
}

/// `encoding_format: base64`: little-endian f32 bytes, base64 (what OpenAI returns).
fn to_base64(values: &[f64]) -> String {
    let mut bytes = Vec::with_capacity(values.len().saturating_mul(4));
    for v in values {
        bytes.extend_from_slice(&(*v as f32).to_le_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn parse(body: &[u8]) -> Result<GenerateContentResponse, TranslateError> {
    let resp: GenerateContentResponse = serde_json::from_slice(body)
        .map_err(|e| TranslateError::new(format!("invalid Gemini answer: {e}")))?;
    if let Some(err) = &resp.error {
        return Err(TranslateError::new(
            err.message
                .clone()
                .unwrap_or_else(|| "Gemini returned an error object".into()),
        ));
    }
    Ok(resp)
}

/// Ok when the prompt was blocked (the caller answers with a content_filter choice), else
/// Kong's no-candidates error.
fn blocked_or_err(resp: &GenerateContentResponse) -> Result<(), TranslateError> {
    match resp.prompt_feedback.as_ref().and_then(|f| f.block_reason) {
        Some(_) => Ok(()),
        None => Err(TranslateError::new(NO_CANDIDATES)),
    }
}

fn candidate_parts(c: &Candidate) -> impl Iterator<Item = &Part<'static>> {
    c.content.iter().flat_map(|content| content.parts.iter())
}

fn chat_choice(c: &Candidate, position: usize, ids: &mut CallIds<'_>) -> ChatChoice {
    let mut text: Option<String> = None;
    let mut reasoning: Option<String> = None;
    // The signature of a part that is not a call (a call's travels in its id).
    let mut signature: Option<String> = None;
    let mut tool_calls = Vec::new();
    for part in candidate_parts(c) {
        if part.function_call.is_none() && signature.is_none() {
            signature = part
                .thought_signature
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(str::to_string);
        }
        if let Some(call) = &part.function_call {
            let arguments = call
                .args
                .as_ref()
                .map(Value::to_string)
                .unwrap_or_else(|| "{}".into());
            tool_calls.push(ToolCall {
                id: ids.next(call.id.as_deref(), part.thought_signature.as_deref()),
                kind: "function".into(),
                function: FunctionCall {
                    name: call.name.to_string(),
                    arguments,
                },
            });
        } else if let Some(t) = &part.text {
            let slot = if part.thought == Some(true) {
                &mut reasoning
            } else {
                &mut text
            };
            slot.get_or_insert_with(String::new).push_str(t);
        }
    }
    let has_calls = !tool_calls.is_empty();
    let reasoning_blocks = match (&reasoning, &signature) {
        (None, None) => Vec::new(),
        _ => vec![ReasoningBlock {
            text: reasoning.clone().unwrap_or_default(),
            signature,
            redacted: None,
        }],
    };
    let content = match text {
        Some(t) => Some(t),
        None if has_calls => None,
        None => Some(String::new()),
    };
    ChatChoice {
        index: c.index.unwrap_or(position as u32),
        message: AssistantMessage {
            role: Role::Assistant,
            content,
            reasoning_content: reasoning,
            tool_calls: has_calls.then_some(tool_calls),
            refusal: None,
            reasoning_blocks,
        },
        finish_reason: map_finish(c.finish_reason, has_calls),
    }
}

/// Gemini `finishReason` → OpenAI's set (docs/kong-compatibility.md §11). `STOP` after function calls is
/// `tool_calls`; the safety family is `content_filter`; `MAX_TOKENS` is `length`; anything else
/// (`OTHER`, `LANGUAGE`, `MALFORMED_FUNCTION_CALL`, unknown) is `stop`. No reason yet → `None`,
/// unless function calls were made.
pub fn map_finish(reason: Option<FinishReason>, has_tool_calls: bool) -> Option<api::FinishReason> {
    use api::FinishReason as F;
    let Some(reason) = reason else {
        return has_tool_calls.then_some(F::ToolCalls);
    };
    Some(match reason {
        FinishReason::Stop if has_tool_calls => F::ToolCalls,
        FinishReason::MaxTokens => F::Length,
        FinishReason::Safety
        | FinishReason::Recitation
        | FinishReason::Blocklist
        | FinishReason::ProhibitedContent
        | FinishReason::Spii
        | FinishReason::ImageSafety
        | FinishReason::ImageProhibitedContent
        | FinishReason::ImageRecitation => F::ContentFilter,
        FinishReason::Stop
        | FinishReason::FinishReasonUnspecified
        | FinishReason::Language
        | FinishReason::Other
        | FinishReason::MalformedFunctionCall
        | FinishReason::Unknown => F::Stop,
    })
}

/// `usageMetadata` → OpenAI usage (cached and reasoning details where reported).
pub fn usage(m: &UsageMetadata) -> Usage {
    let prompt = m
        .prompt_token_count
        .unwrap_or(0)
        .saturating_add(m.tool_use_prompt_token_count.unwrap_or(0));
    let completion = m
        .candidates_token_count
        .unwrap_or(0)
        .saturating_add(m.thoughts_token_count.unwrap_or(0));
    let mut u = Usage::new(prompt, completion)
        .with_cached(m.cached_content_token_count)
        .with_reasoning(m.thoughts_token_count);
    if let Some(total) = m.total_token_count {
        u.total_tokens = total;
    }
    u
}

fn answer_model(resp: &GenerateContentResponse, request_model: &str) -> Option<String> {
    resp.model_version
        .clone()
        .or_else(|| (!request_model.is_empty()).then(|| request_model.to_string()))
}

fn created(resp: &GenerateContentResponse, env: &dyn Env) -> u64 {
    resp.create_time
        .as_deref()
        .and_then(parse_rfc3339)
        .unwrap_or_else(|| env.now_unix())
}

/// Tool-call ids for one answer: Gemini's own `functionCall.id` when given, else
/// `<env id>_<n>`; a `thoughtSignature` is appended after [`THOUGHT_SEPARATOR`].
pub struct CallIds<'a> {
    env: Option<&'a dyn Env>,
    base: Option<String>,
    next: u32,
}

impl<'a> CallIds<'a> {
    /// Ids drawn lazily from `env`.
    pub fn new(env: &'a dyn Env) -> Self {
        CallIds {
            env: Some(env),
            base: None,
            next: 0,
        }
    }

    /// Ids from a base drawn earlier (streams cannot keep the borrowed `Env`).
    pub fn with_base(base: String) -> CallIds<'static> {
        CallIds {
            env: None,
            base: Some(base),
            next: 0,
        }
    }

    /// The id of the next call.
    pub fn next(&mut self, provider_id: Option<&str>, signature: Option<&str>) -> String {
        let n = self.next;
        self.next = self.next.saturating_add(1);
        let mut id = match provider_id.filter(|s| !s.is_empty()) {
            Some(id) => id.to_string(),
            None => {
                let env = self.env;
                let base = self.base.get_or_insert_with(|| match env {
                    Some(e) => e.new_id("call_"),
                    None => "call".to_string(),
                });
                format!("{base}_{n}")
            }
        };
        if let Some(sig) = signature.filter(|s| !s.is_empty()) {
            id.push_str(THOUGHT_SEPARATOR);
            id.push_str(sig);
        }
        id
    }
}

/// Unix seconds of an RFC 3339 timestamp (`2024-10-02T15:01:23.045Z`, `…+05:30`).
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let num = |a: usize, b: usize| -> Option<i64> { s.get(a..b)?.parse::<i64>().ok() };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, min, sec) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if s.get(4..5)? != "-" || s.get(7..8)? != "-" || !matches!(s.get(10..11)?, "T" | "t" | " ") {
        return None;
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    // Skip fractional seconds, then read the zone.
    let rest = s.get(19..)?;
    let zone = rest.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let offset = match zone {
        "Z" | "z" => 0,
        z if z.len() == 6 => {
            let sign = match z.get(0..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let h = z.get(1..3)?.parse::<i64>().ok()?;
            let m = z.get(4..6)?.parse::<i64>().ok()?;
            sign * (h * 3600 + m * 60)
        }
        _ => return None,
    };
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec - offset;
    u64::try_from(secs).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(
            parse_rfc3339("2023-11-14T22:13:20.123456Z"),
            Some(1_700_000_000)
        );
        assert_eq!(
            parse_rfc3339("2023-11-15T00:13:20+02:00"),
            Some(1_700_000_000)
        );
        assert_eq!(parse_rfc3339("2023-11-14"), None);
        assert_eq!(parse_rfc3339("not a date at all!!"), None);
        assert_eq!(parse_rfc3339("2023-13-14T22:13:20Z"), None);
    }

    #[test]
    fn base64_floats() {
        // 1.0f32 = 00 00 80 3f
        assert_eq!(to_base64(&[1.0]), "AACAPw==");
    }
}
