//! OpenAI → Hugging Face requests.
//!
//! - Chat goes to the router's OpenAI-compatible `/v1/chat/completions` (hub-docs
//!   `inference-providers/tasks/chat-completion.md`): the client's JSON is forwarded with every
//!   field we do not model, plus the edits the HF/TGI request schema needs (see [`encode_chat`]).
//! - Embeddings go to the `feature-extraction` pipeline (`tasks/feature-extraction.md`):
//!   `{"inputs": [texts], ...}` (see [`encode_embeddings`]).
//! - `model.options.huggingface.{use_cache, wait_for_model}` become the `x-use-cache` /
//!   `x-wait-for-model` headers documented in hub-docs `api-inference/parameters.md` (the legacy
//!   body `options` object belongs to the retired `/models/{model}` API).

use serde_json::{Map, Value};

use super::wire;
use crate::api::chat::ChatRequest;
use crate::api::embeddings::EmbeddingsRequest;
use crate::config::ModelOptions;
use crate::error::ProxyError;

/// The OpenAI-compatible family's edits (docs/kong-compatibility.md §13.1), the same ones
/// `openai_compat` applies: `model` is the resolved name, `stream` is always present, `top_k`
/// is removed (not in HF's chat schema). Kept as one small function so it can be swapped for
/// the shared one.
pub fn openai_compat_edits(body: &mut Map<String, Value>, model: &str, stream: bool) {
    body.insert("model".into(), Value::String(model.to_string()));
    body.insert("stream".into(), Value::Bool(stream));
    body.remove("top_k");
}

/// Builds the chat body from the client's JSON (`raw`, option defaults already merged) and its
/// typed view (`req`).
///
/// Edits beyond [`openai_compat_edits`], each for a documented HF/TGI difference:
/// - `max_completion_tokens` becomes `max_tokens` (HF's schema has only `max_tokens`).
/// - `stop` is always a list (HF: `string[]`; TGI answers 422 to a bare string).
/// - `developer` messages become `system` (chat templates know only `system`).
/// - An assistant turn with `tool_calls` loses an empty or `null` `content`: TGI reads a
///   message as text *or* tool calls and would drop the calls when `content` is present.
/// - When streaming, `stream_options.include_usage` is set so the last chunk carries token
///   counts (TGI sends none otherwise); the client still sees a usage chunk only if it asked.
///   When not streaming, `stream_options` is removed (OpenAI-style servers reject it).
///
/// No OpenAI field is dropped except `top_k`, which HF's chat schema does not have.
pub fn encode_chat(
    raw: &Value,
    req: &ChatRequest,
    model: &str,
    stream: bool,
) -> Result<Map<String, Value>, ProxyError> {
    let Value::Object(src) = raw else {
        return Err(ProxyError::bad_request(
            "request body must be a JSON object",
        ));
    };
    // Exhaustive on purpose: a new canonical field must be decided on here.
    let ChatRequest {
        model: _,                 // replaced by the resolved model
        messages: _,              // forwarded; roles and tool turns fixed below
        stream: _,                // set from the exchange's decision
        stream_options: _,        // see below
        max_tokens: _,            // merged with max_completion_tokens below
        max_completion_tokens: _, // idem
        temperature: _,           // forwarded (HF: temperature)
        top_p: _,                 // forwarded (HF: top_p)
        top_k: _,                 // removed: not in HF's chat schema
        stop,                     // normalised to a list below
        n: _,                     // forwarded
        presence_penalty: _,      // forwarded (HF: presence_penalty)
        frequency_penalty: _,     // forwarded (HF: frequency_penalty)
        seed: _,                  // forwarded (HF: seed)
        tools: _,                 // forwarded (HF: tools, OpenAI shape)
        tool_choice: _,           // forwarded (HF: auto/none/required/named)
        parallel_tool_calls: _,   // forwarded
        response_format: _,       // forwarded (HF: text/json_object/json_schema)
        user: _,                  // forwarded
        extra: _,                 // forwarded (logprobs, top_logprobs, tool_prompt, …)
    } = req;

    let mut body = src.clone();
    openai_compat_edits(&mut body, model, stream);

    body.remove("max_completion_tokens");
    if let Some(max) = req.max_output_tokens() {
        body.insert("max_tokens".into(), Value::from(max));
    }
    if let Some(stop) = stop {
        body.insert("stop".into(), Value::from(stop.to_vec()));
    }
    if stream {
        let mut opts = match body.remove("stream_options") {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        };
        opts.insert("include_usage".into(), Value::Bool(true));
        body.insert("stream_options".into(), Value::Object(opts));
    } else {
        body.remove("stream_options");
    }
    if let Some(Value::Array(messages)) = body.get_mut("messages") {
        messages.iter_mut().for_each(fix_message);
    }
    Ok(body)
}

/// Per-message fixes (see [`encode_chat`]).
fn fix_message(message: &mut Value) {
    let Value::Object(m) = message else { return };
    if m.get("role").and_then(Value::as_str) == Some("developer") {
        m.insert("role".into(), Value::String("system".into()));
    }
    let has_calls = matches!(m.get("tool_calls"), Some(Value::Array(calls)) if !calls.is_empty());
    let empty_content = match m.get("content") {
        Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    };
    if has_calls && empty_content {
        m.remove("content");
    }
}

/// Builds the feature-extraction body.
///
/// - `input` (a text or a list of texts) becomes `inputs`, always a list, so the answer is
///   always one vector per input. Token-array input is refused (400): the pipeline takes text.
/// - The HF-only fields `normalize`, `prompt_name`, `truncate` and `truncation_direction` are
///   taken from the client's body when present (they reach us in `extra`).
/// - Dropped (no HF equivalent): `dimensions` (the model decides the size), `encoding_format`
///   (the answer is floats; OpenAI SDKs accept floats), `user`.
pub fn encode_embeddings(
    req: &EmbeddingsRequest,
) -> Result<wire::FeatureExtractionRequest, ProxyError> {
    let EmbeddingsRequest {
        model: _,           // in the URL path
        input,              // → inputs
        dimensions: _,      // dropped
        encoding_format: _, // dropped
        user: _,            // dropped
        extra,
    } = req;
    let Some(input) = input else {
        return Err(ProxyError::bad_request("embeddings request has no input"));
    };
    let Some(inputs) = input.texts() else {
        return Err(ProxyError::bad_request(
            "huggingface feature-extraction takes text input, not token arrays",
        ));
    };
    Ok(wire::FeatureExtractionRequest {
        inputs: inputs.to_vec(),
        normalize: extra.get("normalize").and_then(Value::as_bool),
        prompt_name: extra
            .get("prompt_name")
            .and_then(Value::as_str)
            .map(str::to_string),
        truncate: extra.get("truncate").and_then(Value::as_bool),
        truncation_direction: extra
            .get("truncation_direction")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

/// `x-use-cache` / `x-wait-for-model` from `model.options.huggingface`, only when configured
/// (HF's defaults apply otherwise: cache on, no waiting).
pub fn option_headers(options: &ModelOptions) -> Vec<(String, String)> {
    let mut headers = Vec::new();
    if let Some(hf) = &options.huggingface {
        if let Some(use_cache) = hf.use_cache {
            headers.push(("x-use-cache".to_string(), use_cache.to_string()));
        }
        if let Some(wait) = hf.wait_for_model {
            headers.push(("x-wait-for-model".to_string(), wait.to_string()));
        }
    }
    headers
}

/// A model id as a URL path: `org/name` keeps its `/`; anything outside the unreserved set is
/// percent-encoded (HF ids use only `[A-Za-z0-9._-]` and at most one `/`). `None` for more
/// than one `/`, or a segment that is empty, `.` or `..` (it would leave
/// `/hf-inference/models/`, docs/hostile-input.md).
pub fn model_path(model: &str) -> Option<String> {
    if model.split('/').count() > 2
        || model
            .split('/')
            .any(|seg| seg.is_empty() || crate::escape::is_dot_segment(seg))
    {
        return None;
    }
    Some(crate::escape::component_keeping(model, b"/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_path_keeps_slash_and_encodes_the_rest() {
        assert_eq!(
            model_path("BAAI/bge-large-en-v1.5").as_deref(),
            Some("BAAI/bge-large-en-v1.5")
        );
        assert_eq!(model_path("a b?c#").as_deref(), Some("a%20b%3Fc%23"));
        assert_eq!(model_path("é").as_deref(), Some("%C3%A9"));
        assert_eq!(model_path("a/%2E%2E").as_deref(), Some("a/%252E%252E"));
        for bad in ["../x", "a/..", "/a", "a//b", ".", "", "a/b/c"] {
            assert_eq!(model_path(bad), None, "{bad}");
        }
    }
}
