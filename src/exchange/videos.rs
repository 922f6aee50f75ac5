//! The OpenAI video job API on Gemini AI Studio (`crate::routes::videos`): a create becomes
//! a `:predictLongRunning` body, a retrieve goes to the operation, a download to the file
//! the job id names; the create and retrieve answers become OpenAI video objects.

use serde_json::Value;

use super::effects::{HeadStep, RequestEdits};
use super::forward::Outbound;
use super::Exchange;
use crate::api::RouteType;
use crate::error::{text, ProxyError};
use crate::providers::{gemini, Encoded};
use crate::routes::videos::{self, Call, VideoId, VideoRequest};

/// What a translated video answer is read as.
pub(crate) enum VideoAnswer {
    /// The operation a create started, for the job asked for.
    Created(VideoRequest),
    /// The state of the job with this id.
    Operation(VideoId),
}

impl Exchange {
    /// Whether this request is the OpenAI video API translated for Veo.
    pub(crate) fn video_translated(&self) -> bool {
        self.route == RouteType::VideoGenerations
            && crate::routes::translated(self.cfg.provider(), self.route)
    }

    /// The request head: a create waits for its body; a retrieve or download is forwarded
    /// now, to the operation or file its id names (the model pinning checked on the
    /// operation's model).
    pub(crate) fn video_head(
        &mut self,
        declared: Option<u64>,
        has_body: bool,
    ) -> Result<HeadStep, ProxyError> {
        let call = videos::call(&self.client.method, &self.client.path, &self.client.query)?;
        // Veo takes none of the client's query arguments (`variant` was checked).
        self.client.query.clear();
        let id = match call {
            Call::Create => return self.translated_create_head(declared, has_body),
            Call::Retrieve(id) => {
                self.video = Some(VideoAnswer::Operation(id.clone()));
                id
            }
            Call::Content(id) => id,
        };
        let model = id.model().to_string();
        self.check_model(Some(&model))?;
        if self.model.is_none() {
            self.model = Some(model);
        }
        self.analytics.request_model = self.model.clone();
        self.forward(Outbound::Client).map(HeadStep::Forward)
    }

    /// A create body (JSON or form) as the `:predictLongRunning` request.
    pub(crate) fn video_request(
        &mut self,
        body: &[u8],
        json: Option<&Value>,
    ) -> Result<RequestEdits, ProxyError> {
        let model = self
            .model
            .clone()
            .ok_or_else(|| ProxyError::bad_request(text::NO_MODEL))?;
        let req = match json {
            Some(v) => VideoRequest::from_json(v)?,
            None if self.client.multipart => {
                let ct = self.client.header("content-type").unwrap_or("");
                VideoRequest::from_form(ct, body)?
            }
            None => return Err(ProxyError::bad_request("'prompt' is required")),
        };
        let body = videos::encode(&req)?;
        self.video = Some(VideoAnswer::Created(req));
        self.analytics.request_model = Some(model);
        self.forward(Outbound::Encoded(Encoded {
            body,
            headers: Vec::new(),
        }))
    }

    /// A create or retrieve answer (2xx) as OpenAI's video object.
    pub(crate) fn video_answer(&mut self, body: &[u8]) -> Option<Result<Vec<u8>, ProxyError>> {
        let out = match self.video.as_ref()? {
            VideoAnswer::Created(req) => videos::decode_created(body, req, self.env.now_unix()),
            VideoAnswer::Operation(id) => {
                videos::decode_operation(body, id, gemini::AI_STUDIO_HOST)
            }
        };
        let out = out
            .map_err(|e| ProxyError::Transformation {
                provider: self.cfg.provider().as_str(),
                route: self.route.as_str(),
                reason: e.0,
            })
            .inspect(|_| self.analytics.response_model = self.model.clone());
        Some(out)
    }
}
