//! The `{"ai":{"proxy":{…}}}` record as text, serialised straight from the summary. The
//! fields are declared in the order of their keys, so the text is the one the `Value` record
//! ([`Analytics::to_json`]) prints; building that map first cost about 10 µs per request in
//! V8 (docs/performance.md). Records with Kong's non-text usage fields (a key set known only
//! at run time) take the `Value` path.

use serde::Serialize;

use super::{Analytics, Summary, UNSPECIFIED};

#[derive(Serialize)]
struct Record<'a> {
    ai: Ai<'a>,
}

#[derive(Serialize)]
struct Ai<'a> {
    proxy: Proxy<'a>,
}

#[derive(Serialize)]
struct Proxy<'a> {
    meta: Meta<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<Payload<'a>>,
    usage: UsageOut,
}

#[derive(Serialize)]
struct Meta<'a> {
    llm_latency: u64,
    plugin_id: &'a str,
    provider_name: &'a str,
    request_mode: &'static str,
    request_model: &'a str,
    response_model: &'a str,
}

#[derive(Serialize)]
struct Payload<'a> {
    request: Option<&'a str>,
    response: Option<&'a str>,
}

#[derive(Serialize)]
struct UsageOut {
    completion_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    completion_tokens_details: Option<CompletionDetails>,
    cost: f64,
    #[serde(skip_serializing_if = "is_false")]
    estimated: bool,
    prompt_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    prompt_tokens_details: Option<PromptDetails>,
    time_per_token: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_to_first_token: Option<u64>,
    total_tokens: u64,
}

/// `usage.prompt_tokens_details`, keys in order.
#[derive(Serialize)]
struct PromptDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_creation_tokens: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cached_tokens: Option<u64>,
}

#[derive(Serialize)]
struct CompletionDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning_tokens: Option<u64>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Analytics {
    /// The record as JSON text: the same text as `self.to_json(s, payloads).to_string()`.
    pub fn to_text(&self, s: &Summary<'_>, payloads: bool) -> String {
        if !self.usage_fields.is_empty() {
            return self.to_json(s, payloads).to_string();
        }
        let u = &s.usage;
        let record = Record {
            ai: Ai {
                proxy: Proxy {
                    meta: Meta {
                        llm_latency: s.llm_latency_ms,
                        plugin_id: self.plugin_id.as_deref().unwrap_or(UNSPECIFIED),
                        provider_name: s.provider,
                        request_mode: s.request_mode(),
                        request_model: s.request_model,
                        response_model: s.response_model,
                    },
                    payload: payloads.then_some(Payload {
                        request: self.request_payload.as_deref(),
                        response: self.response_payload.as_deref(),
                    }),
                    usage: UsageOut {
                        completion_tokens: u.completion_tokens,
                        completion_tokens_details: u.completion_tokens_details.as_ref().map(|d| {
                            CompletionDetails {
                                reasoning_tokens: d.reasoning_tokens,
                            }
                        }),
                        cost: s.cost,
                        estimated: s.estimated,
                        prompt_tokens: u.prompt_tokens,
                        prompt_tokens_details: u.prompt_tokens_details.as_ref().map(|d| {
                            PromptDetails {
                                cache_creation_tokens: d.cache_creation_tokens,
                                cached_tokens: d.cached_tokens,
                            }
                        }),
                        time_per_token: s.time_per_token(),
                        time_to_first_token: s.time_to_first_token_ms,
                        total_tokens: u.total_tokens,
                    },
                },
            },
        };
        serde_json::to_string(&record).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::usage::CompletionTokensDetails;
    use crate::api::{RouteType, Usage};

    /// Every optional part of the record on and off: the text equals the `Value` record's.
    #[test]
    fn text_equals_the_value_record() {
        for full in [false, true] {
            for payloads in [false, true] {
                let mut a = Analytics {
                    request_model: Some("gpt-4.1".into()),
                    response_model: full.then(|| "gpt-4.1-2025\"x".to_string()),
                    stream: full,
                    llm_latency_ms: 1234,
                    time_to_first_token_ms: full.then_some(56),
                    prompt_estimate: 9,
                    output_chars: 17,
                    request_payload: full.then(|| "{\"a\":1}".to_string()),
                    plugin_id: full.then(|| "ai-proxy".to_string()),
                    ..Analytics::default()
                };
                if full {
                    let mut u = Usage::new(100, 30).with_cached(Some(40));
                    if let Some(d) = u.prompt_tokens_details.as_mut() {
                        d.cache_creation_tokens = Some(2);
                    }
                    u.completion_tokens_details = Some(CompletionTokensDetails {
                        reasoning_tokens: Some(4),
                    });
                    a.usage = Some(u);
                    a.costs.input = Some(2.5);
                    a.costs.output = Some(10.0);
                }
                let s = a.summary("openai", RouteType::Chat);
                assert_eq!(
                    a.to_text(&s, payloads),
                    a.to_json(&s, payloads).to_string(),
                    "full {full}, payloads {payloads}"
                );
            }
        }
    }

    #[test]
    fn usage_fields_take_the_value_path() {
        let mut a = Analytics::default();
        a.usage_fields
            .insert("seconds".into(), serde_json::Value::from(3));
        let s = a.summary("openai", RouteType::AudioTranscriptions);
        let text = a.to_text(&s, false);
        assert_eq!(text, a.to_json(&s, false).to_string());
        assert!(text.contains("\"seconds\":3"), "{text}");
    }
}
