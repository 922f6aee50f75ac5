//! The OpenAI video job API on Gemini (`crate::routes::videos`): a create becomes a
//! `:predictLongRunning` body; on AI Studio a retrieve goes to the operation and a download to
//! the file the job id names; on Vertex AI both become a `:fetchPredictOperation` call the
//! filter makes itself ([`HostCall`]), answered locally. The create and retrieve answers
//! become OpenAI video objects.

use serde_json::Value;

use super::effects::{CallAnswer, HeadStep, HostCall, LocalReply, RequestEdits};
use super::forward::Outbound;
use super::Exchange;
use crate::api::RouteType;
use crate::error::{text, ProxyError};
use crate::providers::{gemini, Encoded};
use crate::routes::videos::{self, Call, VideoId, VideoRequest};

/// How long the filter waits for the answer to its Vertex AI poll.
const POLL_TIMEOUT_MS: u32 = 30_000;

/// The config field that says where the Vertex AI poll goes.
const CLUSTER_FIELD: &str = "model.options.gemini.vertex_cluster";

/// What a translated video answer is read as.
pub(crate) enum VideoAnswer {
    /// The operation a create started, for the job asked for.
    Created(VideoRequest),
    /// The state of the job with this id.
    Operation(VideoId),
    /// A Vertex AI poll for a download: the video inline in the answer.
    Content,
}

impl Exchange {
    /// Whether this request is the OpenAI video API translated for Veo.
    pub(crate) fn video_translated(&self) -> bool {
        self.route == RouteType::VideoGenerations
            && crate::routes::translated(self.cfg.provider(), self.route)
    }

    fn vertex(&self) -> bool {
        gemini::vertex(&self.options).is_some()
    }

    /// Whether a request with this method is answered from a call the filter makes itself
    /// (a Vertex AI video retrieve or download), so it must not wait on another request's
    /// credential fetch: only its own dispatches can resume it (the shell starts its own).
    pub fn makes_own_call(&self, method: &str) -> bool {
        let options = self.cfg.raw.model.options.as_ref();
        self.cfg.raw.route_type == RouteType::VideoGenerations
            && self.cfg.provider() == crate::config::ProviderName::Gemini
            && options.is_some_and(|o| gemini::vertex(o).is_some())
            && method.eq_ignore_ascii_case("GET")
    }

    /// The request head: a create waits for its body; a retrieve or download is forwarded
    /// now (AI Studio: to the operation or file its id names) or polls the job (Vertex AI),
    /// the model pinning checked on the operation's model.
    pub(crate) fn video_head(
        &mut self,
        declared: Option<u64>,
        has_body: bool,
    ) -> Result<HeadStep, ProxyError> {
        let vertex = self.vertex();
        let call = videos::call(
            &self.client.method,
            &self.client.path,
            &self.client.query,
            vertex,
        )?;
        // Veo takes none of the client's query arguments (`variant` was checked).
        self.client.query.clear();
        let (id, content) = match call {
            Call::Create => return self.translated_create_head(declared, has_body),
            Call::Retrieve(id) => (id, false),
            Call::Content(id) => (id, true),
        };
        let model = id.model().to_string();
        self.check_model(Some(&model))?;
        if self.model.is_none() {
            self.model = Some(model);
        }
        self.analytics.request_model = self.model.clone();
        if vertex {
            self.video = Some(if content {
                VideoAnswer::Content
            } else {
                VideoAnswer::Operation(id.clone())
            });
            return self.vertex_poll(&id).map(HeadStep::Call);
        }
        if !content {
            self.video = Some(VideoAnswer::Operation(id));
        }
        self.forward(Outbound::Client(&[])).map(HeadStep::Forward)
    }

    /// The `:fetchPredictOperation` call for job `id`, with the provider's auth.
    fn vertex_poll(&mut self, id: &VideoId) -> Result<HostCall, ProxyError> {
        let mut edits = self.forward(Outbound::Encoded(Encoded {
            body: videos::poll_body(id),
            headers: Vec::new(),
        }))?;
        // The answer is read here, not by a client: no compression to undo.
        edits
            .set_headers
            .retain(|(k, _)| !k.eq_ignore_ascii_case("accept-encoding"));
        edits
            .set_headers
            .push(("accept-encoding".into(), "identity".into()));
        let configured = self
            .options
            .gemini
            .as_ref()
            .and_then(|g| g.vertex_cluster.as_deref());
        let (cluster, upstream) =
            crate::auth::identity::dispatch_targets(&edits.target, configured);
        Ok(HostCall {
            cluster,
            upstream,
            field: CLUSTER_FIELD,
            method: "POST",
            edits,
            timeout_ms: POLL_TIMEOUT_MS,
        })
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
        let vertex = self.vertex();
        let out = match self.video.as_ref()? {
            VideoAnswer::Created(req) => {
                videos::decode_created(body, req, self.env.now_unix(), vertex)
            }
            VideoAnswer::Operation(id) => {
                videos::decode_operation(body, id, gemini::AI_STUDIO_HOST)
            }
            VideoAnswer::Content => return None,
        };
        let polled = vertex && matches!(self.video, Some(VideoAnswer::Operation(_)));
        let out = out
            .map_err(|e| {
                if polled {
                    // The filter's own call: the provider answered what it cannot use.
                    ProxyError::Gateway {
                        status: 502,
                        message: format!("the Vertex AI poll answer cannot be read: {}", e.0),
                    }
                } else {
                    ProxyError::Transformation {
                        provider: self.cfg.provider().as_str(),
                        route: self.route.as_str(),
                        reason: e.0,
                    }
                }
            })
            .inspect(|_| self.analytics.response_model = self.model.clone());
        Some(out)
    }

    /// The answer to the [`HostCall`] of [`HeadStep::Call`], as the reply to the client: the
    /// video object (retrieve), the video (download), the provider's error with its status,
    /// or the gateway's (503: no answer; 502: an answer that is not an operation; 409: no video
    /// to download).
    pub fn on_call_answer(&mut self, answer: &CallAnswer) -> LocalReply {
        let Some(status) = answer.status else {
            self.analytics.llm_latency_ms = self.env.now_millis().saturating_sub(self.started_ms);
            self.analytics.error = Some(crate::analytics::metrics::ErrorClass::Upstream5xx);
            let reason = answer
                .failure
                .as_deref()
                .unwrap_or("reset, timeout or unknown cluster");
            let e = ProxyError::Gateway {
                status: 503,
                message: format!(
                    "the Vertex AI poll (:{}) got no answer ({reason}; sent to '{}'): {CLUSTER_FIELD} says where it goes",
                    videos::VERTEX_POLL,
                    answer.target
                ),
            };
            return self.error_reply(&e);
        };
        let edits = self.on_response_head(status, &answer.headers);
        if (200..300).contains(&status) && matches!(self.video, Some(VideoAnswer::Content)) {
            self.response = super::ResponseMode::Done;
            return match videos::vertex_content(&answer.body) {
                Ok(v) => {
                    self.analytics.response_model = self.model.clone();
                    let mut headers = model_header(&edits.set_headers);
                    headers.push(("content-type".into(), v.mime));
                    LocalReply {
                        status: 200,
                        headers,
                        body: v.bytes,
                    }
                }
                Err(e) => {
                    self.analytics.error =
                        Some(crate::analytics::metrics::ErrorClass::of_local(e.status()));
                    self.error_reply(&e)
                }
            };
        }
        let step = self.on_response_body(&answer.body, true);
        // What the client needs of the answer's headers: Kong's model header when asked, the
        // type (and the encoding of a translated body written gzip for the client).
        let mut headers = model_header(&edits.set_headers);
        headers.extend(
            edits
                .set_headers
                .iter()
                .filter(|(k, _)| k == "content-type" || k == "content-encoding")
                .cloned(),
        );
        if step.replace.is_none() {
            headers.extend(
                answer
                    .headers
                    .iter()
                    .filter(|(k, _)| k.eq_ignore_ascii_case("content-type"))
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                    .take(1),
            );
        }
        LocalReply {
            status: step.status.unwrap_or(status),
            headers,
            body: step.replace.unwrap_or_else(|| answer.body.clone()),
        }
    }
}

/// Kong's `X-Kong-LLM-Model` among the response head's edits (`model_name_header`), if set.
fn model_header(set: &[(String, String)]) -> Vec<(String, String)> {
    set.iter()
        .filter(|(k, _)| k == "x-kong-llm-model")
        .cloned()
        .collect()
}
