//! Request side: head, body, checks and the upstream request (docs/kong-compatibility.md §3).

use serde_json::{Map, Value};

use super::effects::{BodySignal, HeadStep, LocalReply, RequestEdits, RequestHead};
use super::forward::Outbound;
use super::{ClientRequest, Exchange};
use crate::api::{LlmRequest, RouteType};
use crate::config::{RequestView, ResponseStreaming};
use crate::error::{text, ProxyError};
use crate::providers::Reads;
/// The URL helpers moved to [`crate::upstream`]; re-exported at their old path.
pub(crate) use crate::upstream::{parse_query, percent_decode};

use super::{anthropic, native};

impl Exchange {
    /// The request head arrived; whether a body follows is read from its headers.
    pub fn on_request_head(&mut self, head: RequestHead<'_>) -> HeadStep {
        self.on_request_head_signalled(head, BodySignal::FromHeaders)
    }

    /// The request head arrived, with what the host says about a body to come.
    pub fn on_request_head_signalled(
        &mut self,
        head: RequestHead<'_>,
        body: BodySignal,
    ) -> HeadStep {
        self.started_ms = self.env.now_millis();
        let follows = body_follows(body, head.headers);
        let step = match self.request_head(head, body) {
            Ok(step) => step,
            Err(ProxyError::PayloadTooLarge) => {
                // Refused on its declared length: reading it first is what the limit avoids.
                return HeadStep::Reply(self.error_reply(&ProxyError::PayloadTooLarge));
            }
            Err(e) => HeadStep::Reply(self.error_reply(&e)),
        };
        match step {
            // A reply before the client's body is read ends with a connection close that can
            // reset the connection under that unread body, and the client loses the answer
            // (Envoy and nginx alike): the reply waits for the body, which is dropped.
            HeadStep::Reply(r) if follows => {
                self.deferred = Some(r);
                HeadStep::WaitBody { early: None }
            }
            step => step,
        }
    }

    /// `max_request_body_size`, `None` when unlimited.
    pub fn body_limit(&self) -> Option<u64> {
        Some(self.cfg.raw.max_request_body_size).filter(|n| *n > 0)
    }

    /// A reply decided at the head that should not wait for more of the body: `buffered`
    /// bytes are read and the body is still coming, past `max_request_body_size`.
    pub fn deferred_reply_now(&mut self, buffered: usize) -> Option<LocalReply> {
        let limit = self.cfg.raw.max_request_body_size;
        if limit > 0 && buffered as u64 > limit {
            return self.deferred.take();
        }
        None
    }

    /// The whole request body arrived (the shell buffers it; called once).
    pub fn on_request_body(&mut self, body: &[u8]) -> Result<RequestEdits, LocalReply> {
        if let Some(r) = self.deferred.take() {
            return Err(r);
        }
        self.request_body(body).map_err(|e| self.error_reply(&e))
    }

    /// A local reply for an error, in the client's format.
    pub fn error_reply(&self, e: &ProxyError) -> LocalReply {
        LocalReply {
            status: e.status(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: e.body(self.cfg.raw.llm_format),
        }
    }

    fn request_head(
        &mut self,
        head: RequestHead<'_>,
        body: BodySignal,
    ) -> Result<HeadStep, ProxyError> {
        let (path, query) = match head.path.split_once('?') {
            Some((p, q)) => (p, q),
            None => (head.path, ""),
        };
        let headers: Vec<(String, String)> = head
            .headers
            .iter()
            .filter(|(k, _)| !k.starts_with(':'))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
            .collect();
        let mut client = ClientRequest {
            method: head.method.to_string(),
            path: path.to_string(),
            query: query.to_string(),
            headers,
            ..ClientRequest::default()
        };
        client.accepts_gzip = client
            .header("accept-encoding")
            .map(accepts_gzip)
            .unwrap_or(false);
        client.multipart = client
            .header("content-type")
            .map(|ct| ct.to_ascii_lowercase().contains("multipart/form-data"))
            .unwrap_or(false);
        if client.multipart && !client.header("content-type").is_some_and(has_boundary) {
            // Nothing downstream can split the body (docs/hostile-input.md).
            return Err(ProxyError::bad_request(
                "multipart/form-data body without a boundary",
            ));
        }
        if let Some(re) = &self.cfg.uri_captures {
            if let Some(caps) = re.captures(path) {
                for name in re.capture_names().flatten() {
                    if let Some(m) = caps.name(name) {
                        client
                            .captures
                            .push((name.to_string(), m.as_str().to_string()));
                    }
                }
            }
        }
        self.client = client;
        let count_tokens = self.ingress && anthropic::is_count_tokens(&self.client.path);
        self.count_tokens = count_tokens && anthropic::count_tokens::supported(self.cfg.provider());

        // Templates resolve against the head only (docs/kong-compatibility.md §5).
        let resolved = {
            let c = &self.client;
            let header = |n: &str| c.header(n).map(str::to_string);
            let query = |n: &str| query_arg(&c.query, n);
            let capture = |n: &str| {
                c.captures
                    .iter()
                    .find(|(k, _)| k == n)
                    .map(|(_, v)| v.clone())
            };
            let view = RequestView {
                header: &header,
                query: &query,
                capture: &capture,
            };
            self.cfg.resolve_model(&view)?
        };
        self.options = resolved.options;
        self.model = resolved.name.filter(|n| !n.is_empty());
        self.analytics.request_model = self.model.clone();
        self.analytics.costs = crate::analytics::Costs::from_options(&self.options);

        // docs/kong-compatibility.md §3.4: a declared length over the limit is refused before buffering.
        let limit = self.cfg.raw.max_request_body_size;
        let declared = match self.client.header("content-length") {
            None => None,
            // A length that is not a number is a client fault on every host (Envoy's codec
            // refuses it before the filter; Kong's nginx too): the same 400 here.
            Some(v) => Some(
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| ProxyError::bad_request("invalid content-length header"))?,
            ),
        };
        let json_route = self.translates();
        if limit > 0 && json_route && declared.is_some_and(|n| n > limit) {
            return Err(ProxyError::PayloadTooLarge);
        }
        let has_body = match body {
            BodySignal::Follows(b) => b,
            BodySignal::FromHeaders => {
                declared.map(|n| n > 0).unwrap_or(false)
                    || self.client.header("transfer-encoding").is_some()
            }
        };

        if count_tokens && !self.count_tokens {
            // No counting API: 404 (after the body, see `on_request_head_signalled`).
            return Ok(HeadStep::Reply(anthropic::count_tokens_reply(
                self.cfg.provider(),
            )));
        }
        if self.routed() {
            return self.routed_head(declared, has_body);
        }
        self.responses_ingress_head()?;
        if json_route {
            if !has_body {
                return Err(ProxyError::bad_request(self.no_input_text()));
            }
            return Ok(HeadStep::WaitBody {
                early: self.target(None).ok(),
            });
        }
        // Preserve or a native format with a body: its model is still pinned (Kong), so look at
        // it — unless it is multipart (forwarded byte for byte, docs/kong-compatibility.md §3.3).
        if has_body && !self.client.multipart {
            return Ok(HeadStep::WaitBody {
                early: self.target(None).ok(),
            });
        }
        self.forward(Outbound::Client(&[])).map(HeadStep::Forward)
    }

    /// Whether the body is parsed and translated (not preserve, native or multipart).
    fn translates(&self) -> bool {
        self.route.is_llm() && !self.native && !self.client.multipart
    }

    /// Preserve and native formats: the body goes as it is; its model is pinned (taken from
    /// the URL for Gemini and Bedrock native paths, docs/kong-compatibility.md §14) and the stream flag
    /// read for analytics.
    fn pass_through(&mut self, body: &[u8]) -> Result<RequestEdits, ProxyError> {
        let parsed = serde_json::from_slice::<Value>(body).ok();
        let body_model = parsed
            .as_ref()
            .and_then(|v| v.get("model"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let body_stream = parsed
            .as_ref()
            .and_then(|v| v.get("stream"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (model, stream) = if self.native {
            match native::model_and_stream(self.cfg.raw.llm_format, &self.client.path) {
                Some((m, s)) => (Some(m), s),
                None => (
                    body_model,
                    body_stream || self.client.path.ends_with("_stream"),
                ),
            }
        } else {
            (body_model, body_stream)
        };
        self.check_model(model.as_deref())?;
        if self.model.is_none() {
            self.model = model;
        }
        self.analytics.request_model = self.model.clone();
        self.stream = stream;
        self.analytics.stream = stream;
        if self.cfg.raw.logging.log_payloads {
            self.analytics.request_payload = Some(self.payload_log(body));
        }
        self.forward(Outbound::Client(body))
    }

    fn no_input_text(&self) -> &'static str {
        match self.route {
            RouteType::Embeddings => "request body doesn't contain valid input",
            _ => text::NO_PROMPTS,
        }
    }

    fn request_body(&mut self, body: &[u8]) -> Result<RequestEdits, ProxyError> {
        self.body_len = body.len();
        if self.routed() {
            return self.routed_body(body);
        }
        let converted;
        let body = if self.responses_ingress {
            converted = crate::ingress::responses::to_chat(body, self.cfg.provider().as_str())?;
            &converted[..]
        } else {
            body
        };
        let limit = self.cfg.raw.max_request_body_size;
        let json_route = self.translates();
        if limit > 0 && json_route && body.len() as u64 > limit {
            return Err(ProxyError::PayloadTooLarge);
        }
        if !json_route {
            return self.pass_through(body);
        }
        // A body was announced (end_of_stream = false) but none came.
        if body.is_empty() {
            return Err(ProxyError::bad_request(self.no_input_text()));
        }

        // docs/kong-compatibility.md §3.3: parsed as JSON whatever the Content-Type says.
        let mut raw: Value =
            serde_json::from_slice(body).map_err(|_| ProxyError::bad_request(text::BAD_JSON))?;
        if self.ingress {
            let (canonical, hints) =
                anthropic::request::to_openai(&raw, self.cfg.provider(), self.model.as_deref())?;
            raw = canonical;
            self.hints = hints;
        }
        let Value::Object(map) = &mut raw else {
            return Err(ProxyError::bad_request(text::BAD_JSON));
        };

        self.check_shape(map)?;
        check_field_types(map, self.model.as_deref())?;
        let body_model = map
            .get("model")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        self.check_model(body_model.as_deref())?;
        let model = match (&self.model, body_model) {
            (Some(m), _) => m.clone(),
            (None, Some(m)) => m,
            (None, None) => return Err(ProxyError::bad_request(text::NO_MODEL)),
        };
        self.model = Some(model.clone());
        self.analytics.request_model = Some(model.clone());
        map.insert("model".into(), Value::String(model));

        // Streaming decision (docs/kong-compatibility.md §3.5).
        let asked = map.get("stream").and_then(Value::as_bool).unwrap_or(false);
        let streaming = self.cfg.raw.response_streaming;
        if asked && streaming == ResponseStreaming::Deny {
            return Err(ProxyError::bad_request(text::STREAMING_DENIED));
        }
        let stream = self.route != RouteType::Embeddings
            && !self.count_tokens
            && (asked || streaming == ResponseStreaming::Always);
        if stream && !self.provider.supports_stream(self.route) {
            return Err(ProxyError::bad_request(format!(
                "streaming is not supported by {} for {}",
                self.cfg.provider().as_str(),
                self.route.as_str()
            )));
        }
        if self.route != RouteType::Embeddings {
            map.insert("stream".into(), Value::Bool(stream));
        }
        self.stream = stream;
        self.analytics.stream = stream;

        merge_defaults(map, self.route, &self.options);

        // The typed request takes the parsed body's strings instead of copying them: the
        // parsed body is consumed as it is read. A provider that forwards the parsed body
        // encodes it first; one whose encoder reads both gets a copy (one deserializer for
        // the typed request keeps the module smaller than two, docs/performance.md).
        let (req, encoded) = match self.provider.reads() {
            Reads::Typed => (parse_typed(self.route, std::mem::take(&mut raw))?, None),
            Reads::Raw => {
                let model = self.model.clone().unwrap_or_default();
                let enc = self
                    .provider
                    .encode_raw(&mut raw, &self.request_ctx(&model))?;
                (
                    parse_typed(self.route, std::mem::take(&mut raw))?,
                    Some(enc),
                )
            }
            Reads::Both => (parse_typed(self.route, raw.clone())?, None),
        };
        self.include_usage = match &req {
            LlmRequest::Chat(r) => r.include_usage(),
            LlmRequest::Completions(r) => r.include_usage(),
            LlmRequest::Embeddings(_) => false,
        };
        if !self.provider.supports(self.route) {
            return Err(ProxyError::bad_request(format!(
                "no transformer for {}://{}",
                self.cfg.provider().as_str(),
                self.route.as_str()
            )));
        }
        self.analytics.estimate_prompt(&req);
        let out = match encoded {
            Some(enc) => Outbound::Encoded(enc),
            None => Outbound::Translate(&req, raw),
        };
        let edits = self.forward(out)?;
        if self.cfg.raw.logging.log_payloads {
            // Kong logs the body as the client sent it; credentials are redacted.
            self.analytics.request_payload = Some(self.payload_log(body));
        }
        self.translated = true;
        self.base64_embeddings = matches!(&req, LlmRequest::Embeddings(e)
            if e.encoding_format.as_deref() == Some("base64"));
        Ok(edits)
    }

    /// Kong's shape checks (docs/kong-compatibility.md §3.1).
    fn check_shape(&self, map: &Map<String, Value>) -> Result<(), ProxyError> {
        let messages = map
            .get("messages")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty());
        let prompt = matches!(map.get("prompt"), Some(Value::String(_) | Value::Array(_)));
        match self.route {
            RouteType::Chat | RouteType::Completions => {
                if !messages && !prompt {
                    return Err(ProxyError::bad_request(text::NO_PROMPTS));
                }
                if messages && prompt {
                    return Err(ProxyError::bad_request(text::MULTIPLE_FORMATS));
                }
                let detected = if messages {
                    RouteType::Chat
                } else {
                    RouteType::Completions
                };
                if detected != self.route {
                    return Err(ProxyError::bad_request(format!(
                        "[{}] message format is not compatible with [{}] route type",
                        detected.as_str(),
                        self.route.as_str()
                    )));
                }
            }
            RouteType::Embeddings if map.get("input").is_none_or(Value::is_null) => {
                return Err(ProxyError::bad_request(self.no_input_text()));
            }
            _ => {}
        }
        Ok(())
    }

    /// Model pinning: a request model that differs from the configured one is refused, unless
    /// it is the configured `model_alias`.
    pub(crate) fn check_model(&self, body_model: Option<&str>) -> Result<(), ProxyError> {
        let (Some(want), Some(got)) = (self.model.as_deref(), body_model) else {
            return Ok(());
        };
        if got == want || self.cfg.raw.model.model_alias.as_deref() == Some(got) {
            return Ok(());
        }
        Err(ProxyError::bad_request(format!(
            "cannot use own model - must be: {want}"
        )))
    }
}

/// The fields the filter itself acts on must have their type, or the client's intent is
/// unknown: a `model` that is not a string (Kong compares it with the pinned model and refuses
/// it with the pinning text), a `stream` that is not a boolean.
fn check_field_types(map: &Map<String, Value>, pinned: Option<&str>) -> Result<(), ProxyError> {
    match map.get("model") {
        None | Some(Value::Null | Value::String(_)) => {}
        Some(_) => {
            return Err(ProxyError::bad_request(match pinned {
                Some(want) => format!("cannot use own model - must be: {want}"),
                None => "invalid request body: model must be a string".to_string(),
            }))
        }
    }
    match map.get("stream") {
        None | Some(Value::Null | Value::Bool(_)) => Ok(()),
        Some(_) => Err(ProxyError::bad_request(
            "invalid request body: stream must be a boolean",
        )),
    }
}

/// Option defaults for what the request leaves out (docs/kong-compatibility.md §6: the request wins).
fn merge_defaults(map: &mut Map<String, Value>, route: RouteType, o: &crate::config::ModelOptions) {
    if route == RouteType::Embeddings {
        if let Some(d) = o.embeddings_dimensions {
            map.entry("dimensions").or_insert(Value::from(d));
        }
        return;
    }
    if let Some(v) = o.max_tokens {
        if !map.contains_key("max_tokens") && !map.contains_key("max_completion_tokens") {
            map.insert("max_tokens".into(), Value::from(v));
        }
    }
    if let Some(v) = o.temperature {
        map.entry("temperature").or_insert(Value::from(v));
    }
    if let Some(v) = o.top_p {
        map.entry("top_p").or_insert(Value::from(v));
    }
    if let Some(v) = o.top_k {
        map.entry("top_k").or_insert(Value::from(v));
    }
}

/// The typed request, from the parsed body (consumed: its strings move into the typed request).
fn parse_typed(route: RouteType, raw: Value) -> Result<LlmRequest, ProxyError> {
    let bad = |e: serde_json::Error| ProxyError::bad_request(format!("invalid request body: {e}"));
    Ok(match route {
        RouteType::Chat => LlmRequest::Chat(serde::Deserialize::deserialize(raw).map_err(bad)?),
        RouteType::Completions => {
            LlmRequest::Completions(serde::Deserialize::deserialize(raw).map_err(bad)?)
        }
        _ => LlmRequest::Embeddings(serde::Deserialize::deserialize(raw).map_err(bad)?),
    })
}

/// A `Content-Type` with a non-empty `boundary` parameter (RFC 2046 §5.1.1).
fn has_boundary(content_type: &str) -> bool {
    content_type.split(';').skip(1).any(|p| {
        p.split_once('=').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("boundary") && !v.trim().trim_matches('"').is_empty()
        })
    })
}

/// `Accept-Encoding` contains the word `gzip` (Kong's check; `gzip;q=0` refuses it here).
fn accepts_gzip(v: &str) -> bool {
    v.split(',').any(|part| {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let refused = it.any(|p| {
            let p = p.trim();
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        name.eq_ignore_ascii_case("gzip") && !refused
    })
}

/// One decoded query argument.
pub(crate) fn query_arg(q: &str, name: &str) -> Option<String> {
    parse_query(q)
        .into_iter()
        .find(|(k, _)| percent_decode(k) == name)
        .map(|(_, v)| percent_decode(&v))
}

/// Whether a request body follows its head: the host's word, or (Kong) the framing headers.
/// An upgrade (WebSocket) has no body to wait for: what follows is the socket's traffic.
pub fn body_follows(signal: BodySignal, headers: &[(String, String)]) -> bool {
    if headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("upgrade"))
    {
        return false;
    }
    match signal {
        BodySignal::Follows(b) => b,
        BodySignal::FromHeaders => headers.iter().any(|(k, v)| {
            (k.eq_ignore_ascii_case("content-length")
                && v.trim().parse::<u64>().is_ok_and(|n| n > 0))
                || k.eq_ignore_ascii_case("transfer-encoding")
        }),
    }
}
