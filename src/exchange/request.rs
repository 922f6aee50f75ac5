//! Request side: head, body, checks and the upstream request (docs/kong-compatibility.md §3).

use serde_json::{Map, Value};

use super::effects::{BodySignal, HeadStep, LocalReply, RequestEdits, RequestHead};
use super::{ClientRequest, Exchange, PendingAuth};
use crate::api::{LlmRequest, RouteType};
use crate::auth;
use crate::config::{RequestView, ResponseStreaming};
use crate::error::{text, ProxyError};
use crate::providers::{Credentials, Outgoing, RequestCtx, UpstreamTarget};
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
        match self.request_head(head, body) {
            Ok(step) => step,
            Err(e) => HeadStep::Reply(self.error_reply(&e)),
        }
    }

    /// The whole request body arrived (the shell buffers it; called once).
    pub fn on_request_body(&mut self, body: &[u8]) -> Result<RequestEdits, LocalReply> {
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
        if self.ingress && anthropic::is_count_tokens(&self.client.path) {
            return Ok(HeadStep::Reply(anthropic::count_tokens_reply(
                self.cfg.provider(),
            )));
        }

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
        self.forward(None).map(HeadStep::Forward)
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
        self.original_body = Some(body.to_vec());
        self.forward(None)
    }

    fn no_input_text(&self) -> &'static str {
        match self.route {
            RouteType::Embeddings => "request body doesn't contain valid input",
            _ => text::NO_PROMPTS,
        }
    }

    fn request_body(&mut self, body: &[u8]) -> Result<RequestEdits, ProxyError> {
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

        let req = parse_typed(self.route, &raw)?;
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
        let edits = self.forward(Some((&req, &raw)))?;
        if self.cfg.raw.logging.log_payloads {
            // Kong logs the body as the client sent it; credentials are redacted.
            self.analytics.request_payload = Some(self.payload_log(body));
        }
        self.request = Some(req);
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

    /// The upstream target: provider default, then `upstream_url`, then `upstream_path`,
    /// then preserve's client path (docs/kong-compatibility.md §8).
    pub(crate) fn target(
        &self,
        ctx: Option<&RequestCtx<'_>>,
    ) -> Result<UpstreamTarget, ProxyError> {
        let model = self.model.clone().unwrap_or_default();
        let fallback;
        let ctx = match ctx {
            Some(c) => c,
            None => {
                fallback = RequestCtx {
                    route: self.route,
                    model: &model,
                    options: &self.options,
                    stream: self.stream,
                    client_path: &self.client.path,
                    env: self.env.as_ref(),
                };
                &fallback
            }
        };
        let provider_target = self.provider.upstream(ctx);
        let mut target = match self.options.upstream_url.as_deref() {
            Some(url) => {
                let mut t = UpstreamTarget::from_url(url).ok_or_else(|| {
                    ProxyError::Internal(format!("invalid model.options.upstream_url {url}"))
                })?;
                // A bare base URL gets the provider's operation path (what users expect from
                // `http://vllm:8000`); a URL with a path is used as is (Kong).
                if t.path == "/" {
                    if let Ok(p) = &provider_target {
                        t.path = p.path.clone();
                        for q in &p.query {
                            t.query.push(q.clone());
                        }
                    }
                }
                t
            }
            None => provider_target?,
        };
        if let Some(p) = self.options.upstream_path.as_deref() {
            target.path = normalize_path(p);
        } else if self.native {
            // The client's native path, from the API's own prefix on (a gateway route prefix
            // such as `/gemini` is dropped); the client's own query is kept by `forward`.
            target.path = native::upstream_path(self.cfg.raw.llm_format, &self.client.path);
            target.query.clear();
        } else if self.route == RouteType::Preserve {
            target.path = normalize_path(&self.client.path);
        }
        Ok(target)
    }

    /// Builds the upstream request: target, query, auth, encoded body, signature.
    pub(crate) fn forward(
        &mut self,
        req: Option<(&LlmRequest, &Value)>,
    ) -> Result<RequestEdits, ProxyError> {
        let model = self.model.clone().unwrap_or_default();
        let ctx = RequestCtx {
            route: self.route,
            model: &model,
            options: &self.options,
            stream: self.stream,
            client_path: &self.client.path,
            env: self.env.as_ref(),
        };
        let mut target = self.target(Some(&ctx))?;
        let auth_cfg = self.cfg.raw.auth.clone().unwrap_or_default();
        let signs = self.cfg.provider() == crate::config::ProviderName::Bedrock;

        // Query: the client's args, then the provider's (a client value wins for the same
        // name, as with Azure's api-version), then the auth param.
        let mut query: Vec<(String, String)> = parse_query(&self.client.query);
        for (k, v) in std::mem::take(&mut target.query) {
            if !query.iter().any(|(n, _)| *n == k) {
                query.push((k, v));
            }
        }
        if !signs {
            auth::apply_query(&auth_cfg, &mut query);
        }
        target.query = query;

        let mut set_headers: Vec<(String, String)> = Vec::new();
        let mut remove_headers: Vec<String> = Vec::new();
        let mut body = None;
        if let Some((typed, raw)) = req {
            let enc = self.provider.encode(typed, raw, &ctx)?;
            let mut bytes = enc.body;
            if self.ingress {
                anthropic::request::apply_hints(self.cfg.provider(), &self.hints, &mut bytes);
            }
            if !signs {
                auth::apply_body(&auth_cfg, &mut bytes);
            }
            set_headers.push(("content-type".into(), "application/json".into()));
            set_headers.extend(enc.headers);
            body = Some(bytes);
            // We read every answer: keep brotli & co out, and ask for plain streams.
            let enc = if self.stream {
                "identity"
            } else {
                "gzip, identity"
            };
            set_headers.push(("accept-encoding".into(), enc.into()));
        }
        if req.is_none() {
            set_headers.extend(self.provider.fixed_headers(&ctx));
        }
        if !signs {
            if let Some(h) = auth::header(&auth_cfg, |n| self.client.header(n).is_some()) {
                set_headers.push(h);
            }
        }
        remove_headers.extend(auth::foreign_key_headers(&auth_cfg));
        let identity = self.identity_required;
        if identity && !signs {
            // Cloud identity (GCP, Azure): the fetched token, or later when there is none yet.
            match &self.identity {
                Some(crate::auth::identity::Credential::Bearer { token, .. }) => {
                    set_headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
                    set_headers.push(("authorization".into(), format!("Bearer {token}")));
                }
                _ => self.pending = Some(PendingAuth::Bearer),
            }
        }
        if self.ingress {
            // Anthropic's own headers (and the client's Anthropic key) stay here, unless the
            // config itself sets one of them as the provider's auth header.
            for h in anthropic::CLIENT_ONLY_HEADERS {
                if !set_headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(h)) {
                    remove_headers.push((*h).to_string());
                }
            }
        }
        set_headers.push(("host".into(), target.authority()));

        if signs {
            let fetched = match &self.identity {
                Some(crate::auth::identity::Credential::Aws(k)) => Some(k),
                _ => None,
            };
            let creds = match fetched {
                Some(k) => Credentials {
                    aws_access_key_id: Some(&k.access_key_id),
                    aws_secret_access_key: Some(&k.secret_access_key),
                    aws_session_token: k.session_token.as_deref(),
                },
                None => Credentials {
                    aws_access_key_id: auth_cfg.aws_access_key_id.as_deref(),
                    aws_secret_access_key: auth_cfg.aws_secret_access_key.as_deref(),
                    aws_session_token: auth_cfg.aws_session_token.as_deref(),
                },
            };
            // Client credentials must not leak upstream next to the signature.
            if !remove_headers.iter().any(|h| h == "authorization") {
                remove_headers.push("authorization".into());
            }
            let sent_body = body
                .clone()
                .or_else(|| self.original_body.clone())
                .unwrap_or_default();
            let out = Outgoing {
                method: if self.client.method.is_empty() {
                    "POST"
                } else {
                    &self.client.method
                },
                target: &target,
                headers: &set_headers,
                body: &sent_body,
            };
            if identity && fetched.is_none() {
                // Signed once the identity's keys arrive (the shell keeps the pending work).
                self.pending = Some(PendingAuth::Sign {
                    provider: self.provider,
                    method: out.method.to_string(),
                    body: sent_body.clone(),
                    route: self.route,
                    model: model.clone(),
                    options: Box::new(self.options.clone()),
                    stream: self.stream,
                    client_path: self.client.path.clone(),
                });
            } else {
                let signed = self.provider.sign(&out, &creds, &ctx)?;
                set_headers.extend(signed);
            }
        }
        // One spelling for every header name (HTTP/2 upstreams require lowercase anyway).
        for (name, _) in &mut set_headers {
            name.make_ascii_lowercase();
        }
        self.sent_body = body.clone();
        Ok(RequestEdits {
            target,
            set_headers,
            remove_headers,
            body,
        })
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

fn parse_typed(route: RouteType, raw: &Value) -> Result<LlmRequest, ProxyError> {
    let bad = |e: serde_json::Error| ProxyError::bad_request(format!("invalid request body: {e}"));
    // `Value` is already parsed: deserialising from a reference clones only what is kept.
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

fn normalize_path(p: &str) -> String {
    let trimmed = p.trim_start_matches('/');
    format!("/{trimmed}")
}

/// One decoded query argument.
pub(crate) fn query_arg(q: &str, name: &str) -> Option<String> {
    parse_query(q)
        .into_iter()
        .find(|(k, _)| percent_decode(k) == name)
        .map(|(_, v)| percent_decode(&v))
}
