//! The request side of the route types forwarded to OpenAI-shaped APIs (files, batches,
//! assistants, responses, audio, images, video, realtime; docs/routes.md). Their bodies are
//! never rewritten except to fill in a missing `model`; the path mapping is `crate::routes`.
//! Images on Gemini, Bedrock and DashScope are the exception: translated both ways
//! (`crate::routes::images`); so is video on Gemini (`super::videos`).

use serde_json::Value;

use super::chunks::read_openai_usage;
use super::effects::{HeadStep, RequestEdits};
use super::forward::Outbound;
use super::request::query_arg;
use super::Exchange;
use crate::api::RouteType;
use crate::config::ResponseStreaming;
use crate::error::{text, ProxyError};
use crate::providers::{gemini, Encoded};
use crate::routes::images::{self, ImageRequest};
use crate::routes::{self, multipart};

impl Exchange {
    /// Whether this exchange forwards one of the non-LLM route types.
    pub(crate) fn routed(&self) -> bool {
        !self.route.is_llm() && self.route != RouteType::Preserve
    }

    /// The request head of a routed request: wait for a body only when it carries a model to
    /// pin and fits `max_request_body_size`; everything else is forwarded now, its body
    /// streamed through by the host without the filter holding it.
    pub(crate) fn routed_head(
        &mut self,
        declared: Option<u64>,
        has_body: bool,
    ) -> Result<HeadStep, ProxyError> {
        let vertex = gemini::vertex(&self.options).is_some();
        if let Some(why) = routes::refusal(self.cfg.provider(), self.route, vertex) {
            return Err(ProxyError::bad_request(why));
        }
        if self.route == RouteType::Realtime {
            return self.realtime_head();
        }
        if self.video_translated() {
            return self.video_head(declared, has_body);
        }
        let limit = self.cfg.raw.max_request_body_size;
        let fits = limit == 0 || declared.is_some_and(|n| n <= limit);
        if images::translated(self.cfg.provider(), self.route) {
            return self.translated_create_head(declared, has_body);
        }
        if has_body && routes::body_has_model(self.route) {
            if !self.client.multipart {
                if limit > 0 && declared.is_some_and(|n| n > limit) {
                    return Err(ProxyError::PayloadTooLarge);
                }
                return Ok(HeadStep::WaitBody {
                    early: self.target(None).ok(),
                });
            }
            if fits {
                return Ok(HeadStep::WaitBody {
                    early: self.target(None).ok(),
                });
            }
            // A multipart upload over the limit goes through unread (Kong does the same):
            // the configured model, if any, is what analytics report.
        }
        self.forward_routed().map(HeadStep::Forward)
    }

    /// The head of a create whose body is translated (images, video): the whole body is
    /// needed, form uploads included, and it must carry the prompt.
    pub(crate) fn translated_create_head(
        &mut self,
        declared: Option<u64>,
        has_body: bool,
    ) -> Result<HeadStep, ProxyError> {
        let limit = self.cfg.raw.max_request_body_size;
        if limit > 0 && declared.is_some_and(|n| n > limit) {
            return Err(ProxyError::PayloadTooLarge);
        }
        if !has_body {
            return Err(ProxyError::bad_request("'prompt' is required"));
        }
        Ok(HeadStep::WaitBody {
            early: self.target(None).ok(),
        })
    }

    /// The body of a routed request (JSON, or multipart within the limit).
    pub(crate) fn routed_body(&mut self, body: &[u8]) -> Result<RequestEdits, ProxyError> {
        let limit = self.cfg.raw.max_request_body_size;
        let multipart = self.client.multipart;
        let translated =
            images::translated(self.cfg.provider(), self.route) || self.video_translated();
        if limit > 0 && body.len() as u64 > limit && (!multipart || translated) {
            return Err(ProxyError::PayloadTooLarge);
        }
        let (body_model, stream, mut json) = if multipart {
            let ct = self.client.header("content-type").unwrap_or("").to_string();
            let model = multipart::field(&ct, body, "model");
            let stream = multipart::field(&ct, body, "stream").as_deref() == Some("true");
            (model, stream, None)
        } else if body.iter().all(u8::is_ascii_whitespace) {
            (None, false, None)
        } else {
            let v: Value = serde_json::from_slice(body)
                .map_err(|_| ProxyError::bad_request(text::BAD_JSON))?;
            if !v.is_object() {
                return Err(ProxyError::bad_request(text::BAD_JSON));
            }
            let model = v.get("model").and_then(Value::as_str).map(str::to_string);
            let stream = v.get("stream").and_then(Value::as_bool).unwrap_or(false);
            (model, stream, Some(v))
        };
        let body_model = body_model.filter(|m| !m.is_empty());
        self.check_model(body_model.as_deref())?;
        if stream && self.cfg.raw.response_streaming == ResponseStreaming::Deny {
            return Err(ProxyError::bad_request(text::STREAMING_DENIED));
        }
        let missing = body_model.is_none();
        if self.model.is_none() {
            self.model = body_model;
        }
        self.stream = stream;
        self.analytics.stream = stream;
        if self.cfg.raw.logging.log_payloads && !multipart {
            self.analytics.request_payload = Some(String::from_utf8_lossy(body).into_owned());
        }
        if self.video_translated() {
            return self.video_request(body, json.as_ref());
        }
        if translated {
            return self.image_request(body, json.as_ref());
        }
        let mut edits = self.forward_routed()?;
        // A create without `model` gets the configured one (the provider requires it).
        let fill = missing
            && routes::create_needs_model(self.route, &self.client.method, &self.client.path);
        if let (true, Some(Value::Object(map)), Some(model)) = (fill, json.as_mut(), &self.model) {
            map.insert("model".into(), Value::String(model.clone()));
            let bytes = serde_json::to_vec(map).map_err(|e| ProxyError::Internal(e.to_string()))?;
            edits.body = Some(bytes);
        }
        Ok(edits)
    }

    /// An image request for a provider with its own image API: the OpenAI JSON or edit form
    /// becomes the provider's body (the answer is turned back by [`Exchange::image_answer`]).
    fn image_request(
        &mut self,
        body: &[u8],
        json: Option<&Value>,
    ) -> Result<RequestEdits, ProxyError> {
        if self.stream {
            return Err(ProxyError::bad_request(format!(
                "streaming is not supported by {} for {}",
                self.cfg.provider().as_str(),
                self.route.as_str()
            )));
        }
        let model = self
            .model
            .clone()
            .ok_or_else(|| ProxyError::bad_request(text::NO_MODEL))?;
        let api = images::api(self.cfg.provider(), &model)?;
        let req = match json {
            Some(v) => ImageRequest::from_json(v)?,
            None if self.client.multipart => {
                let ct = self.client.header("content-type").unwrap_or("");
                ImageRequest::from_form(ct, body)?
            }
            None => return Err(ProxyError::bad_request("'prompt' is required")),
        };
        if self.route == RouteType::ImageEdits && req.images.is_empty() {
            return Err(ProxyError::bad_request(
                "an image edit needs at least one 'image' file",
            ));
        }
        let encoded = images::encode(api, self.route, &model, &req)?;
        let body = serde_json::to_vec(&encoded).map_err(|e| ProxyError::Internal(e.to_string()))?;
        self.image_api = Some((api, req.response_format.as_deref() == Some("url")));
        self.analytics.request_model = Some(model.clone());
        self.forward(Outbound::Encoded(Encoded {
            body,
            headers: Vec::new(),
        }))
    }

    /// A translated image answer (2xx) as OpenAI's image object, its usage read for analytics.
    pub(crate) fn image_answer(&mut self, body: &[u8]) -> Option<Result<Vec<u8>, ProxyError>> {
        let (api, url) = self.image_api?;
        let out = images::decode(api, body, self.env.now_unix(), url)
            .map_err(|e| ProxyError::Transformation {
                provider: self.cfg.provider().as_str(),
                route: self.route.as_str(),
                reason: e.0,
            })
            .and_then(|v| {
                read_openai_usage(&v, &mut self.analytics);
                self.analytics.response_model = self.model.clone();
                serde_json::to_vec(&v).map_err(|e| ProxyError::Internal(e.to_string()))
            });
        Some(out)
    }

    /// A realtime session: a WebSocket upgrade, routed and authenticated; its model comes
    /// from the query string (`?model=`). Frames are not inspected.
    fn realtime_head(&mut self) -> Result<HeadStep, ProxyError> {
        if !routes::is_websocket_upgrade(self.client.header("upgrade")) {
            return Err(ProxyError::bad_request(
                "realtime/v1/realtime expects a WebSocket upgrade request (Upgrade: websocket)",
            ));
        }
        let asked = query_arg(&self.client.query, "model").filter(|m| !m.is_empty());
        self.check_model(asked.as_deref())?;
        if self.model.is_none() {
            self.model = asked;
        }
        self.analytics.realtime = true;
        self.forward_routed().map(HeadStep::Forward)
    }

    /// `forward` plus what the routed APIs need: the model in analytics, and the
    /// `OpenAI-Beta: assistants=v2` header OpenAI requires for assistants when the client
    /// did not send one.
    fn forward_routed(&mut self) -> Result<RequestEdits, ProxyError> {
        self.analytics.request_model = self.model.clone();
        let mut edits = self.forward(Outbound::Client(&[]))?;
        if self.route == RouteType::Assistants && self.client.header("openai-beta").is_none() {
            edits
                .set_headers
                .push(("openai-beta".into(), "assistants=v2".into()));
        }
        Ok(edits)
    }

    /// `llm/v1/responses` over chat: only creating a response is possible; stored responses
    /// (retrieve, delete, input items) need state the gateway does not keep.
    pub(crate) fn responses_ingress_head(&mut self) -> Result<(), ProxyError> {
        if !self.responses_ingress {
            return Ok(());
        }
        if !self.client.method.eq_ignore_ascii_case("POST")
            || routes::resource_tail(RouteType::Responses, &self.client.path).contains('/')
        {
            return Err(ProxyError::bad_request(format!(
                "{} {} needs a provider with its own Responses API: the gateway keeps no stored responses for '{}'",
                self.client.method,
                self.client.path,
                self.cfg.provider().as_str()
            )));
        }
        Ok(())
    }

    /// A Responses-over-chat answer body (chat JSON) as a Responses object.
    pub(crate) fn responses_body(&self, chat: Vec<u8>) -> Vec<u8> {
        if !self.responses_ingress {
            return chat;
        }
        crate::ingress::responses::from_chat(&chat).unwrap_or(chat)
    }
}
