//! Metric samples for the proxy-wasm metrics ABI, host-free. The ABI has no labels, so labels
//! are encoded in the metric name and the host's tag extraction turns them back into labels
//! (Envoy `stats_tags`, Kong `metrics.label_patterns`):
//!
//! ```text
//! ai_proxy.<metric>[.class.<error class>].provider.<provider>.route.<route>.model.<model>
//! ```
//!
//! The model comes last so it may contain dots (`gpt-4.1`). Model names can be chosen by
//! clients, so each VM records at most [`MAX_MODELS`] distinct model values; later ones are
//! counted under `other` (docs/observability.md "Cardinality").

use std::collections::HashMap;

use super::Summary;
use crate::api::RouteType;

/// Distinct model label values per VM before new ones are folded into [`OTHER_MODEL`].
pub const MAX_MODELS: usize = 64;
/// The model label for models past the bound.
pub const OTHER_MODEL: &str = "other";
/// Longest model label kept (longer names are cut).
pub const MAX_MODEL_LABEL: usize = 96;

/// How a metric is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Monotonic counter (`increment`).
    Counter,
    /// Histogram (`record`, one value per request).
    Histogram,
}

impl Kind {
    /// The proxy-wasm `MetricType` value (counter 0, gauge 1, histogram 2).
    pub fn abi(self) -> u32 {
        match self {
            Kind::Counter => 0,
            Kind::Histogram => 2,
        }
    }
}

/// Why a request counts as an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// The filter refused the request (its own 4xx: bad JSON, model policy, size).
    Rejected,
    /// The filter failed on its own (its own 5xx, e.g. host refusal).
    Internal,
    /// The provider answered 429.
    RateLimited,
    /// The provider answered another 4xx.
    Upstream4xx,
    /// The provider answered 5xx.
    Upstream5xx,
    /// The provider's answer could not be translated (or its stream broke).
    Translation,
}

impl ErrorClass {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Rejected => "rejected",
            ErrorClass::Internal => "internal",
            ErrorClass::RateLimited => "rate_limited",
            ErrorClass::Upstream4xx => "upstream_4xx",
            ErrorClass::Upstream5xx => "upstream_5xx",
            ErrorClass::Translation => "translation",
        }
    }

    /// The class of an upstream status (`None` for 1xx–3xx).
    pub fn of_upstream(status: u16) -> Option<ErrorClass> {
        match status {
            429 => Some(ErrorClass::RateLimited),
            400..=499 => Some(ErrorClass::Upstream4xx),
            500..=599 => Some(ErrorClass::Upstream5xx),
            _ => None,
        }
    }

    /// The class of one of the filter's own replies.
    pub fn of_local(status: u16) -> ErrorClass {
        if status >= 500 {
            ErrorClass::Internal
        } else {
            ErrorClass::Rejected
        }
    }
}

/// One metric of a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Requests seen (errors included).
    Requests,
    /// Input tokens.
    PromptTokens,
    /// Output tokens.
    CompletionTokens,
    /// Input tokens read from the provider's cache.
    CachedTokens,
    /// Output tokens spent on reasoning.
    ReasoningTokens,
    /// Requests whose token counts are estimates.
    EstimatedRequests,
    /// Cost in billionths of the price unit (`input_cost`'s currency).
    CostNanos,
    /// Request head to response head, ms.
    LatencyMs,
    /// Request head to first token, ms (streams).
    TimeToFirstTokenMs,
    /// Errors of one class.
    Errors(ErrorClass),
}

impl Metric {
    /// How it is recorded.
    pub fn kind(self) -> Kind {
        match self {
            Metric::LatencyMs | Metric::TimeToFirstTokenMs => Kind::Histogram,
            _ => Kind::Counter,
        }
    }

    /// The name's stem (what Prometheus shows after `ai_proxy_`).
    pub fn stem(self) -> &'static str {
        match self {
            Metric::Requests => "requests_total",
            Metric::PromptTokens => "prompt_tokens_total",
            Metric::CompletionTokens => "completion_tokens_total",
            Metric::CachedTokens => "cached_tokens_total",
            Metric::ReasoningTokens => "reasoning_tokens_total",
            Metric::EstimatedRequests => "estimated_requests_total",
            Metric::CostNanos => "cost_nanos_total",
            Metric::LatencyMs => "upstream_latency_ms",
            Metric::TimeToFirstTokenMs => "time_to_first_token_ms",
            Metric::Errors(_) => "errors_total",
        }
    }
}

/// The route label value.
pub fn route_label(route: RouteType) -> &'static str {
    match route {
        RouteType::Chat => "chat",
        RouteType::Completions => "completions",
        RouteType::Embeddings => "embeddings",
        RouteType::Files => "files",
        RouteType::Batches => "batches",
        RouteType::Assistants => "assistants",
        RouteType::Responses => "responses",
        RouteType::AudioSpeech => "audio_speech",
        RouteType::AudioTranscriptions => "audio_transcriptions",
        RouteType::AudioTranslations => "audio_translations",
        RouteType::ImageGenerations => "image_generations",
        RouteType::ImageEdits => "image_edits",
        RouteType::VideoGenerations => "video_generations",
        RouteType::Realtime => "realtime",
        RouteType::Preserve => "preserve",
    }
}

/// Writes the full metric name into `out` (cleared first; its allocation is reused).
pub fn write_name(out: &mut String, metric: Metric, provider: &str, route: &str, model: &str) {
    out.clear();
    out.push_str("ai_proxy.");
    out.push_str(metric.stem());
    if let Metric::Errors(class) = metric {
        out.push_str(".class.");
        out.push_str(class.as_str());
    }
    out.push_str(".provider.");
    out.push_str(provider);
    out.push_str(".route.");
    out.push_str(route);
    out.push_str(".model.");
    out.push_str(model);
}

/// A model name as a metric-name segment: ASCII letters, digits, `.`, `-`, `_` (anything else
/// becomes `_`), at most [`MAX_MODEL_LABEL`] characters, `unknown` when empty.
pub fn model_segment(model: &str) -> String {
    let s: String = model
        .chars()
        .take(MAX_MODEL_LABEL)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s == super::UNSPECIFIED {
        "unknown".into()
    } else {
        s
    }
}

/// The bounded set of model label values seen by one VM.
#[derive(Debug, Default)]
pub struct ModelLabels {
    /// Model name as requested → its label.
    labels: HashMap<String, String>,
}

impl ModelLabels {
    /// The label for `model`: its cleaned name while fewer than [`MAX_MODELS`] models are
    /// known, else [`OTHER_MODEL`]. Allocates only the first time a model is seen.
    pub fn label(&mut self, model: &str) -> &str {
        if !self.labels.contains_key(model) {
            if self.labels.len() >= MAX_MODELS {
                return OTHER_MODEL;
            }
            self.labels.insert(model.to_string(), model_segment(model));
        }
        self.labels.get(model).map_or(OTHER_MODEL, String::as_str)
    }

    /// How many model names are tracked.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// No model seen yet.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
}

/// One value to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// Which metric.
    pub metric: Metric,
    /// Increment (counters) or value (histograms).
    pub value: u64,
}

/// The samples of a completed request. `error` is its class when it failed.
pub fn samples(s: &Summary<'_>, error: Option<ErrorClass>, out: &mut Vec<Sample>) {
    out.clear();
    let mut push = |metric, value| out.push(Sample { metric, value });
    push(Metric::Requests, 1);
    if let Some(class) = error {
        push(Metric::Errors(class), 1);
    }
    let u = &s.usage;
    if u.prompt_tokens > 0 {
        push(Metric::PromptTokens, u.prompt_tokens);
    }
    if u.completion_tokens > 0 {
        push(Metric::CompletionTokens, u.completion_tokens);
    }
    if s.cached_tokens() > 0 {
        push(Metric::CachedTokens, s.cached_tokens());
    }
    if s.reasoning_tokens() > 0 {
        push(Metric::ReasoningTokens, s.reasoning_tokens());
    }
    if s.estimated && error.is_none() {
        push(Metric::EstimatedRequests, 1);
    }
    let nanos = (s.cost * 1e9).round();
    if nanos >= 1.0 {
        push(Metric::CostNanos, nanos as u64);
    }
    push(Metric::LatencyMs, s.llm_latency_ms);
    if let Some(t) = s.time_to_first_token_ms {
        push(Metric::TimeToFirstTokenMs, t);
    }
}

/// The samples of a request the filter answered itself (nothing reached the provider).
pub fn local_reply_samples(status: u16, out: &mut Vec<Sample>) {
    out.clear();
    out.push(Sample {
        metric: Metric::Requests,
        value: 1,
    });
    out.push(Sample {
        metric: Metric::Errors(ErrorClass::of_local(status)),
        value: 1,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_labels_in_a_fixed_order() {
        let mut n = String::new();
        write_name(&mut n, Metric::PromptTokens, "openai", "chat", "gpt-4.1");
        assert_eq!(
            n,
            "ai_proxy.prompt_tokens_total.provider.openai.route.chat.model.gpt-4.1"
        );
        write_name(
            &mut n,
            Metric::Errors(ErrorClass::RateLimited),
            "anthropic",
            "chat",
            "m",
        );
        assert_eq!(
            n,
            "ai_proxy.errors_total.class.rate_limited.provider.anthropic.route.chat.model.m"
        );
    }

    #[test]
    fn model_labels_are_bounded() {
        let mut m = ModelLabels::default();
        assert_eq!(
            m.label("meta-llama/Llama-3.1-8B"),
            "meta-llama_Llama-3.1-8B"
        );
        assert_eq!(m.label(""), "unknown");
        for i in 0..200 {
            let _ = m.label(&format!("client-model-{i}"));
        }
        assert_eq!(m.len(), MAX_MODELS);
        assert_eq!(m.label("one-more"), OTHER_MODEL);
        assert_eq!(
            m.label("meta-llama/Llama-3.1-8B"),
            "meta-llama_Llama-3.1-8B"
        );
        assert_eq!(m.label("client-model-3"), "client-model-3");
    }

    #[test]
    fn error_classes() {
        assert_eq!(ErrorClass::of_upstream(429), Some(ErrorClass::RateLimited));
        assert_eq!(ErrorClass::of_upstream(401), Some(ErrorClass::Upstream4xx));
        assert_eq!(ErrorClass::of_upstream(503), Some(ErrorClass::Upstream5xx));
        assert_eq!(ErrorClass::of_upstream(200), None);
        assert_eq!(ErrorClass::of_local(400), ErrorClass::Rejected);
        assert_eq!(ErrorClass::of_local(500), ErrorClass::Internal);
    }
}
