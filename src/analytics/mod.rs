//! Usage analytics, Kong's `ai.proxy.*` log record (docs/kong-compatibility.md §12): model, latency, tokens, cost and optional payloads.
//! Provider-reported usage always wins; estimates are used only where a provider gives none.

use serde_json::{json, Map, Value};

use crate::api::{LlmRequest, Usage};
use crate::config::ModelOptions;

/// What one request contributes to the log.
#[derive(Debug, Clone, Default)]
pub struct Analytics {
    /// The model resolved for the request.
    pub request_model: Option<String>,
    /// The model the upstream reported.
    pub response_model: Option<String>,
    /// Whether the answer streamed.
    pub stream: bool,
    /// Milliseconds from the request head to the response head.
    pub llm_latency_ms: u64,
    /// Milliseconds from the request head to the first output token (streams).
    pub time_to_first_token_ms: Option<u64>,
    /// Provider-reported usage.
    pub usage: Option<Usage>,
    /// Word-count estimate of the prompt (Kong's estimator).
    pub prompt_estimate: u64,
    /// Characters of streamed output (for the completion estimate when no usage comes).
    pub output_chars: usize,
    /// Cost inputs.
    pub costs: Costs,
    /// The request body as sent upstream (`log_payloads`).
    pub request_payload: Option<String>,
    /// The response body as sent to the client, or the assembled stream text.
    pub response_payload: Option<String>,
    /// A realtime (WebSocket) session: `request_mode` is `realtime`.
    pub realtime: bool,
    /// Kong's non-text usage fields (`input_tokens`, `output_tokens`, their details,
    /// `seconds`) as the provider reported them (responses, images, audio).
    pub usage_fields: Map<String, Value>,
}

/// Prices per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Costs {
    /// `input_cost`.
    pub input: Option<f64>,
    /// `output_cost`.
    pub output: Option<f64>,
    /// `cache_read_cost`.
    pub cache_read: Option<f64>,
}

impl Costs {
    /// From `model.options`.
    pub fn from_options(o: &ModelOptions) -> Costs {
        Costs {
            input: o.input_cost,
            output: o.output_cost,
            cache_read: o.cache_read_cost,
        }
    }

    /// Kong's formula: `(prompt × input + completion × output) / 1e6`, 0 unless both prices
    /// are set; cached prompt tokens are priced at `cache_read_cost` when it is set.
    pub fn cost(&self, u: &Usage) -> f64 {
        let (Some(input), Some(output)) = (self.input, self.output) else {
            return 0.0;
        };
        let cached = u
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0)
            .min(u.prompt_tokens);
        let prompt_cost = match self.cache_read {
            Some(cr) => (u.prompt_tokens - cached) as f64 * input + cached as f64 * cr,
            None => u.prompt_tokens as f64 * input,
        };
        (prompt_cost + u.completion_tokens as f64 * output) / 1_000_000.0
    }
}

impl Analytics {
    /// Records Kong's word-count prompt estimate (×1.8 for streams).
    pub fn estimate_prompt(&mut self, req: &LlmRequest) {
        let words = match req {
            LlmRequest::Chat(r) => r.messages.iter().map(|m| count_words(&m.text())).sum(),
            LlmRequest::Completions(r) => count_words(&r.prompt_text()),
            LlmRequest::Embeddings(r) => r
                .input
                .as_ref()
                .and_then(|i| i.texts())
                .map(|t| t.iter().map(|s| count_words(s)).sum())
                .unwrap_or(0),
        };
        let factor = if self.stream { 1.8 } else { 1.0 };
        self.prompt_estimate = (words as f64 * factor + 0.5).floor() as u64;
    }

    /// Usage to report: the provider's, else the estimates.
    pub fn effective_usage(&self) -> Usage {
        match &self.usage {
            Some(u) => {
                let mut u = u.clone();
                u.total_tokens = u.prompt_tokens.saturating_add(u.completion_tokens);
                u
            }
            None => Usage::new(self.prompt_estimate, self.output_chars.div_ceil(4) as u64),
        }
    }

    /// The `{"ai":{"proxy":{…}}}` record.
    pub fn to_json(&self, provider: &str, payloads: bool) -> Value {
        let u = self.effective_usage();
        let time_per_token = if u.completion_tokens > 0 {
            self.llm_latency_ms as f64 / u.completion_tokens as f64
        } else {
            0.0
        };
        let request_model = self.request_model.as_deref().unwrap_or("UNSPECIFIED");
        let mut usage = Map::new();
        usage.insert("prompt_tokens".into(), json!(u.prompt_tokens));
        usage.insert("completion_tokens".into(), json!(u.completion_tokens));
        usage.insert("total_tokens".into(), json!(u.total_tokens));
        usage.insert("time_per_token".into(), json!(time_per_token));
        usage.insert("cost".into(), json!(self.costs.cost(&u)));
        if let Some(t) = self.time_to_first_token_ms {
            usage.insert("time_to_first_token".into(), json!(t));
        }
        if let Some(d) = &u.prompt_tokens_details {
            usage.insert("prompt_tokens_details".into(), json!(d));
        }
        if let Some(d) = &u.completion_tokens_details {
            usage.insert("completion_tokens_details".into(), json!(d));
        }
        for (k, v) in &self.usage_fields {
            usage.insert(k.clone(), v.clone());
        }
        let mode = if self.realtime {
            "realtime"
        } else if self.stream {
            "stream"
        } else {
            "oneshot"
        };
        let mut proxy = Map::new();
        proxy.insert(
            "meta".into(),
            json!({
                "provider_name": provider,
                "request_model": request_model,
                "response_model": self.response_model.as_deref().unwrap_or(request_model),
                "llm_latency": self.llm_latency_ms,
                "request_mode": mode,
            }),
        );
        proxy.insert("usage".into(), Value::Object(usage));
        if payloads {
            proxy.insert(
                "payload".into(),
                json!({"request": self.request_payload, "response": self.response_payload}),
            );
        }
        json!({"ai": {"proxy": proxy}})
    }
}

/// Runs of non-whitespace (Kong's `count_words`).
pub fn count_words(s: &str) -> usize {
    s.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kong_cost_example() {
        // docs/kong-compatibility.md §12: prompt 25, completion 12 at 10/10 → 0.00037.
        let c = Costs {
            input: Some(10.0),
            output: Some(10.0),
            cache_read: None,
        };
        let cost = c.cost(&Usage::new(25, 12));
        assert!((cost - 0.00037).abs() < 1e-12, "{cost}");
        let none = Costs {
            input: Some(10.0),
            ..Costs::default()
        };
        assert_eq!(none.cost(&Usage::new(25, 12)), 0.0);
    }

    #[test]
    fn cached_tokens_priced_at_cache_read_cost() {
        let c = Costs {
            input: Some(10.0),
            output: Some(20.0),
            cache_read: Some(1.0),
        };
        let u = Usage::new(100, 10).with_cached(Some(40));
        let want = (60.0 * 10.0 + 40.0 * 1.0 + 10.0 * 20.0) / 1e6;
        assert!((c.cost(&u) - want).abs() < 1e-12);
    }

    #[test]
    fn estimates_when_no_usage() {
        let mut a = Analytics {
            stream: true,
            ..Analytics::default()
        };
        let req: crate::api::ChatRequest = serde_json::from_value(json!({
            "messages": [{"role":"user","content":"one two three four five six seven eight nine ten"}]
        }))
        .unwrap();
        a.estimate_prompt(&LlmRequest::Chat(req));
        assert_eq!(a.prompt_estimate, 18); // 10 words × 1.8, Kong's streaming example
        a.output_chars = 25;
        assert_eq!(a.effective_usage(), Usage::new(18, 7));
    }
}
