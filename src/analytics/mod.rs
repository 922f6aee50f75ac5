//! Usage analytics, Kong's `ai.proxy.*` log record (docs/kong-compatibility.md §12): model,
//! latency, tokens, cost and optional payloads.
//! Provider-reported usage always wins; estimates are used only where a provider gives none,
//! and are marked (`usage.estimated`). The same facts under OpenTelemetry GenAI names are in
//! [`genai`], the metric samples in [`metrics`], payload redaction in [`redact`]
//! (docs/observability.md).

pub mod genai;
pub mod metrics;
pub mod record;
pub mod redact;

use serde_json::{json, Map, Value};

use crate::api::{LlmRequest, RouteType, Usage};
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
    /// The plugin instance (`ai.proxy.meta.plugin_id`): the host's plugin name.
    pub plugin_id: Option<String>,
    /// Why the request failed, when it did.
    pub error: Option<metrics::ErrorClass>,
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
    /// `cache_write_cost`.
    pub cache_write: Option<f64>,
}

impl Costs {
    /// From `model.options`.
    pub fn from_options(o: &ModelOptions) -> Costs {
        Costs {
            input: o.input_cost,
            output: o.output_cost,
            cache_read: o.cache_read_cost,
            cache_write: o.cache_write_cost,
        }
    }

    /// Kong's formula: `(prompt × input + completion × output) / 1e6`, 0 unless both prices
    /// are set. Prompt tokens read from the provider's cache are priced at `cache_read_cost`
    /// and tokens written to it at `cache_write_cost` when those are set (Kong 3.14); without
    /// them they count as ordinary input. Reasoning tokens are part of the completion and
    /// priced as output, as every provider bills them.
    pub fn cost(&self, u: &Usage) -> f64 {
        let (Some(input), Some(output)) = (self.input, self.output) else {
            return 0.0;
        };
        let details = u.prompt_tokens_details.as_ref();
        let read = details.and_then(|d| d.cached_tokens).unwrap_or(0);
        let write = details.and_then(|d| d.cache_creation_tokens).unwrap_or(0);
        let read = if self.cache_read.is_some() {
            read.min(u.prompt_tokens)
        } else {
            0
        };
        let write = if self.cache_write.is_some() {
            write.min(u.prompt_tokens - read)
        } else {
            0
        };
        let plain = u.prompt_tokens - read - write;
        let prompt_cost = plain as f64 * input
            + read as f64 * self.cache_read.unwrap_or(0.0)
            + write as f64 * self.cache_write.unwrap_or(0.0);
        (prompt_cost + u.completion_tokens as f64 * output) / 1_000_000.0
    }
}

impl Analytics {
    /// Records Kong's word-count prompt estimate (×1.8 for streams).
    pub fn estimate_prompt(&mut self, req: &LlmRequest) {
        let words = match req {
            // Per message, its text parts as if joined (no copy of the text is made).
            LlmRequest::Chat(r) => r
                .messages
                .iter()
                .map(|m| {
                    let mut w = Words::default();
                    m.content
                        .iter()
                        .flat_map(|c| c.texts())
                        .for_each(|t| w.feed(t));
                    w.count
                })
                .sum(),
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

    /// Usage to report: the provider's, else the estimates (`true` when estimated).
    pub fn effective_usage(&self) -> (Usage, bool) {
        match &self.usage {
            Some(u) => {
                let mut u = u.clone();
                u.total_tokens = u.prompt_tokens.saturating_add(u.completion_tokens);
                (u, false)
            }
            None => (
                Usage::new(self.prompt_estimate, self.output_chars.div_ceil(4) as u64),
                true,
            ),
        }
    }

    /// The facts every output (record, GenAI attributes, metrics) is made of, computed once.
    pub fn summary(&self, provider: &'static str, route: RouteType) -> Summary<'_> {
        let (usage, estimated) = self.effective_usage();
        let cost = self.costs.cost(&usage);
        let request_model = self.request_model.as_deref().unwrap_or(UNSPECIFIED);
        Summary {
            provider,
            route,
            cost,
            estimated,
            request_model,
            response_model: self.response_model.as_deref().unwrap_or(request_model),
            stream: self.stream,
            realtime: self.realtime,
            llm_latency_ms: self.llm_latency_ms,
            time_to_first_token_ms: self.time_to_first_token_ms,
            usage,
        }
    }

    /// The `{"ai":{"proxy":{…}}}` record (Kong's fields, plus `usage.estimated: true` when
    /// the counts are estimates).
    pub fn to_json(&self, s: &Summary<'_>, payloads: bool) -> Value {
        let u = &s.usage;
        let mut usage = Map::new();
        usage.insert("prompt_tokens".into(), json!(u.prompt_tokens));
        usage.insert("completion_tokens".into(), json!(u.completion_tokens));
        usage.insert("total_tokens".into(), json!(u.total_tokens));
        usage.insert("time_per_token".into(), json!(s.time_per_token()));
        usage.insert("cost".into(), json!(s.cost));
        if let Some(t) = s.time_to_first_token_ms {
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
        if s.estimated {
            usage.insert("estimated".into(), Value::Bool(true));
        }
        let mut meta = Map::new();
        meta.insert(
            "plugin_id".into(),
            json!(self.plugin_id.as_deref().unwrap_or(UNSPECIFIED)),
        );
        meta.insert("provider_name".into(), json!(s.provider));
        meta.insert("request_model".into(), json!(s.request_model));
        meta.insert("response_model".into(), json!(s.response_model));
        meta.insert("llm_latency".into(), json!(s.llm_latency_ms));
        meta.insert("request_mode".into(), json!(s.request_mode()));
        let mut proxy = Map::new();
        proxy.insert("meta".into(), Value::Object(meta));
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

/// Kong's placeholder for a model or plugin id that is not known.
pub const UNSPECIFIED: &str = "UNSPECIFIED";

/// One request's analytics facts, computed once when the response is complete.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary<'a> {
    /// `model.provider` (Kong's name).
    pub provider: &'static str,
    /// The configured route type.
    pub route: RouteType,
    /// Usage to report (provider's or estimated).
    pub usage: Usage,
    /// The counts are estimates (the provider reported none).
    pub estimated: bool,
    /// Cost from the configured prices.
    pub cost: f64,
    /// The model resolved for the request, or `UNSPECIFIED`.
    pub request_model: &'a str,
    /// The model the upstream reported, else the request model.
    pub response_model: &'a str,
    /// The answer streamed.
    pub stream: bool,
    /// A realtime (WebSocket) session.
    pub realtime: bool,
    /// Request head to response head, ms.
    pub llm_latency_ms: u64,
    /// Request head to the first output token, ms (streams).
    pub time_to_first_token_ms: Option<u64>,
}

impl Summary<'_> {
    /// Kong's `time_per_token`: `llm_latency / completion_tokens` (0 without completion).
    pub fn time_per_token(&self) -> f64 {
        if self.usage.completion_tokens > 0 {
            self.llm_latency_ms as f64 / self.usage.completion_tokens as f64
        } else {
            0.0
        }
    }

    /// Kong's `request_mode`.
    pub fn request_mode(&self) -> &'static str {
        if self.realtime {
            "realtime"
        } else if self.stream {
            "stream"
        } else {
            "oneshot"
        }
    }

    /// Prompt tokens read from the provider's cache (0 when not reported).
    pub fn cached_tokens(&self) -> u64 {
        self.usage
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cached_tokens)
            .unwrap_or(0)
    }

    /// Prompt tokens written to the provider's cache (0 when not reported).
    pub fn cache_creation_tokens(&self) -> u64 {
        self.usage
            .prompt_tokens_details
            .as_ref()
            .and_then(|d| d.cache_creation_tokens)
            .unwrap_or(0)
    }

    /// Completion tokens spent on reasoning (0 when not reported).
    pub fn reasoning_tokens(&self) -> u64 {
        self.usage
            .completion_tokens_details
            .as_ref()
            .and_then(|d| d.reasoning_tokens)
            .unwrap_or(0)
    }
}

/// Runs of non-whitespace (Kong's `count_words`).
pub fn count_words(s: &str) -> usize {
    let mut w = Words::default();
    w.feed(s);
    w.count
}

/// The high bit of each byte of a `u64`.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Eight ASCII bytes (each < 0x80) → the high bit set in each byte that `char::is_whitespace`
/// calls a space: tab, LF, VT, FF, CR (9..=13) and space (32). No byte carries into the next:
/// every sum below stays under 0x100 per byte.
fn ascii_spaces(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low = !HIGH_BITS;
    // Byte == 32: XOR makes it zero; a zero byte is the one that stays below 0x80 after +0x7f.
    let t = x ^ (ONES * 0x20);
    let space = !(((t & low) + low) | t) & HIGH_BITS;
    // 9 <= byte <= 13: at least 9 (adding 0x80 - 9 reaches the high bit) and not 14 or more.
    let at_least_9 = x + ONES * (0x80 - 9);
    let at_least_14 = x + ONES * (0x80 - 14);
    space | (at_least_9 & !at_least_14 & HIGH_BITS)
}

/// Words of a text that arrives in pieces to be read as joined with no separator: the runs of
/// non-whitespace that `str::split_whitespace` would give for the joined text. Every request's
/// prompt goes through it, so ASCII text (the common case) is counted eight bytes at a time
/// without decoding characters.
#[derive(Debug, Default)]
pub struct Words {
    /// Words so far.
    pub count: usize,
    /// The last piece ended inside a word.
    in_word: bool,
}

impl Words {
    /// Counts the next piece.
    pub fn feed(&mut self, s: &str) {
        let mut after_space = !self.in_word;
        // Eight bytes at a time up to the first non-ASCII byte. Every byte before that chunk is
        // ASCII, so where it starts is a character boundary: the rest is read by characters.
        let mut ascii = 0;
        for chunk in s.as_bytes().chunks_exact(8) {
            let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
                break;
            };
            let x = u64::from_le_bytes(bytes);
            if x & HIGH_BITS != 0 {
                break;
            }
            let space = ascii_spaces(x);
            // A word starts at a non-space byte whose previous byte is a space.
            let before = (space << 8) | if after_space { HIGH_BITS & 0xff } else { 0 };
            self.count += (!space & before & HIGH_BITS).count_ones() as usize;
            after_space = space >> 63 == 1;
            ascii += 8;
        }
        for c in s.get(ascii..).unwrap_or_default().chars() {
            let space = c.is_whitespace();
            self.count += usize::from(after_space && !space);
            after_space = space;
        }
        if !s.is_empty() {
            self.in_word = !after_space;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every ASCII byte on its own and next to each other one, in every position of a word.
    #[test]
    fn ascii_spaces_agree_with_char_is_whitespace() {
        for b in 0u8..0x80 {
            for other in [b' ', b'a', b'\t', 0x1f, 0x7f, 0] {
                for pos in 0..8 {
                    let mut bytes = [other; 8];
                    bytes[pos] = b;
                    let got = ascii_spaces(u64::from_le_bytes(bytes));
                    for (i, &x) in bytes.iter().enumerate() {
                        let want = char::from(x).is_whitespace();
                        assert_eq!((got >> (8 * i + 7)) & 1 == 1, want, "{bytes:?} byte {i}");
                    }
                }
            }
        }
    }

    /// The counter agrees with `split_whitespace` on the joined text, however it is split.
    #[test]
    fn words_match_split_whitespace_over_any_split() {
        let texts = [
            "",
            " ",
            "one",
            "  two words  ",
            "tab\tnew\nline\rcr\x0bvt\x0cff end",
            "unicode\u{a0}nbsp\u{2003}em\u{3000}ideographic 日本語 テキスト",
            "\u{85}next-line\u{2028}sep",
            "a\x1fb\x1c c",
            "mixed ascii and é accents  ",
            "eight by\ttes a\nt a t\x0bime,\x0cacross\rthe  word   boundaries of u64s\x1f\x08\x0e!",
            "        ........\t\t\t\t\t\t\t\tx",
            "sixteen ascii by tes, then\u{2003}an em space and more words after it",
        ];
        for t in texts {
            let expected = t.split_whitespace().count();
            assert_eq!(count_words(t), expected, "{t:?}");
            // Every split point (on char boundaries), fed as two pieces.
            for (i, _) in t.char_indices().chain([(t.len(), ' ')]) {
                let mut w = Words::default();
                w.feed(&t[..i]);
                w.feed("");
                w.feed(&t[i..]);
                assert_eq!(w.count, expected, "{t:?} split at {i}");
            }
        }
    }

    #[test]
    fn kong_cost_example() {
        // docs/kong-compatibility.md §12: prompt 25, completion 12 at 10/10 → 0.00037.
        let c = Costs {
            input: Some(10.0),
            output: Some(10.0),
            cache_read: None,
            cache_write: None,
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
            cache_write: None,
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
        assert_eq!(a.effective_usage(), (Usage::new(18, 7), true));
    }
}
