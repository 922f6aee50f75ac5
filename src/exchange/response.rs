//! Response side: status and headers decide the mode (passthrough, buffered translation,
//! stream translation); body chunks go through it (docs/kong-compatibility.md §9).

use super::chunks::{
    cut_stream_error, gzip, has_done, inflate_all, read_openai_usage, translate_chunk,
    PassthroughChunks, MAX_INFLATED, TAIL,
};
use super::effects::{BodyStep, ResponseHeadEdits};
use super::{Exchange, ResponseMode, StreamPlanKind, StreamState};
use crate::api::{LlmResponse, RouteType};
use crate::config::ProviderName;
use crate::error::ProxyError;
use crate::providers::{Decoded, ResponseCtx, StreamPlan};
use crate::stream::emitter::ChunkEmitter;
use crate::stream::gzip::GzipInflater;
use crate::stream::{Framing, DEFAULT_MAX_EVENT_SIZE};

impl Exchange {
    /// The response head arrived (`headers` as the host gives them).
    pub fn on_response_head(
        &mut self,
        status: u16,
        headers: &[(String, String)],
    ) -> ResponseHeadEdits {
        self.status = status;
        self.analytics.llm_latency_ms = self.env.now_millis().saturating_sub(self.started_ms);
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let gzip_upstream =
            header("content-encoding").is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
        let ok = (200..300).contains(&status);
        self.analytics.error = crate::analytics::metrics::ErrorClass::of_upstream(status);
        let mut edits = ResponseHeadEdits::default();

        // X-Kong-LLM-Model on 2xx (Kong: 200), with model_name_header or Kong-Debug.
        if ok && (self.cfg.raw.model_name_header || self.client.header("kong-debug").is_some()) {
            if let Some(m) = &self.model {
                edits.set_headers.push((
                    "x-kong-llm-model".into(),
                    format!("{}/{}", self.cfg.provider().as_str(), m),
                ));
            }
        }

        let translating = (self.translated || self.image_api.is_some() || self.video.is_some())
            && self.route != RouteType::Preserve;
        if !ok && self.ingress {
            // Provider errors go back in Anthropic's shape with their status (read whole).
            edits.remove_headers.push("content-encoding".into());
            edits.remove_headers.push("content-length".into());
            edits
                .set_headers
                .push(("content-type".into(), "application/json".into()));
            if self.client.accepts_gzip {
                edits
                    .set_headers
                    .push(("content-encoding".into(), "gzip".into()));
            }
            self.response = ResponseMode::Buffer {
                body: Vec::new(),
                gzip: gzip_upstream,
                translate: false,
            };
            return edits;
        }
        if !ok || !translating {
            // Errors and preserve pass through; inflate only for a client without gzip.
            if gzip_upstream && !self.client.accepts_gzip && !self.stream {
                edits.remove_headers.push("content-encoding".into());
                edits.remove_headers.push("content-length".into());
                self.response = ResponseMode::Buffer {
                    body: Vec::new(),
                    gzip: true,
                    translate: false,
                };
            } else {
                let stats = ok && self.cfg.raw.logging.log_statistics;
                let shadow = if stats && self.stream {
                    self.shadow_stream(header("content-type"))
                } else {
                    None
                };
                // Binary answers (speech audio, file content) are never held for analytics.
                let json = header("content-type").is_none_or(|ct| ct.contains("json"));
                self.response = ResponseMode::Passthrough {
                    keep: stats && !self.stream && json,
                    seen: Vec::new(),
                    shadow,
                };
            }
            return edits;
        }

        strip_set_cookie(self.cfg.provider(), &mut edits);
        edits.remove_headers.push("content-length".into());
        if self.stream {
            edits.remove_headers.push("content-encoding".into());
            edits
                .set_headers
                .push(("content-type".into(), "text/event-stream".into()));
            let inflater = gzip_upstream
                .then(|| GzipInflater::new(MAX_INFLATED).with_total_limit(MAX_INFLATED as u64));
            let max_event = self
                .cfg
                .raw
                .max_stream_event_size
                .map(|n| n as usize)
                .unwrap_or(DEFAULT_MAX_EVENT_SIZE);
            let plan = match self.stream_plan() {
                // An OpenAI-format stream is read as chunks when the client speaks Anthropic.
                StreamPlan::Passthrough if self.ingress => StreamPlan::Translate {
                    framing: Framing::Sse,
                    translator: Box::new(PassthroughChunks),
                },
                plan => plan,
            };
            match plan {
                StreamPlan::Passthrough => {
                    self.plan = Some(StreamPlanKind::Passthrough);
                    // (A gzip stream is translated below: its emitter ends it.)
                    self.stream_tail = (!gzip_upstream).then(Vec::new);
                    // OpenAI-format stream: the bytes go as they are; read for usage in the
                    // shadow when statistics are on.
                    let shadow = if self.cfg.raw.logging.log_statistics {
                        self.shadow_stream(Some("text/event-stream"))
                    } else {
                        None
                    };
                    self.response = ResponseMode::Passthrough {
                        keep: false,
                        seen: Vec::new(),
                        shadow,
                    };
                    if gzip_upstream || self.responses_ingress {
                        // Rare (we ask for identity); translate-free inflation still needed.
                        // Responses over chat re-emits the chunks to convert them.
                        self.response = ResponseMode::Translate(Box::new(StreamState {
                            inflater,
                            decoder: Framing::Sse.decoder(max_event),
                            translator: Box::new(PassthroughChunks),
                            emitter: self.emitter(),
                            messages: None,
                            events: Vec::new(),
                        }));
                    }
                }
                StreamPlan::Translate {
                    framing,
                    translator,
                } => {
                    self.plan = Some(StreamPlanKind::Translate);
                    // The upstream's content type wins when it names a framing we know (a
                    // Gemini `upstream_url` without `alt=sse` streams a JSON array).
                    let framing = header("content-type")
                        .and_then(Framing::from_content_type)
                        .unwrap_or(framing);
                    self.response = ResponseMode::Translate(Box::new(StreamState {
                        inflater,
                        decoder: framing.decoder(max_event),
                        translator,
                        emitter: self.emitter(),
                        messages: self.messages_emitter(),
                        events: Vec::new(),
                    }));
                }
            }
        } else {
            edits
                .set_headers
                .push(("content-type".into(), "application/json".into()));
            edits.remove_headers.push("content-encoding".into());
            if self.client.accepts_gzip {
                edits
                    .set_headers
                    .push(("content-encoding".into(), "gzip".into()));
            }
            self.response = ResponseMode::Buffer {
                body: Vec::new(),
                gzip: gzip_upstream,
                translate: true,
            };
        }
        edits
    }

    /// A translator whose output is discarded: it gathers a passed-through stream's usage.
    /// Native formats use their provider's translator; OpenAI-shaped streams (and preserve)
    /// are read as OpenAI chunks.
    fn shadow_stream(&self, content_type: Option<&str>) -> Option<Box<StreamState>> {
        let max_event = self
            .cfg
            .raw
            .max_stream_event_size
            .map(|n| n as usize)
            .unwrap_or(DEFAULT_MAX_EVENT_SIZE);
        let (framing, translator): (Framing, Box<dyn crate::stream::ProviderStream>) =
            match (self.native, self.stream_plan()) {
                (
                    true,
                    StreamPlan::Translate {
                        framing,
                        translator,
                    },
                ) => (framing, translator),
                _ if self.route == RouteType::Responses => {
                    (Framing::Sse, Box::new(crate::routes::usage::ResponsesUsage))
                }
                _ if self.routed() => return None,
                _ => (Framing::Sse, Box::new(PassthroughChunks)),
            };
        let framing = content_type
            .and_then(Framing::from_content_type)
            .unwrap_or(framing);
        Some(Box::new(StreamState {
            inflater: None,
            decoder: framing.decoder(max_event),
            translator,
            emitter: self.emitter(),
            messages: None,
            events: Vec::new(),
        }))
    }

    /// The Anthropic event writer, when the client speaks Anthropic.
    fn messages_emitter(&self) -> Option<super::anthropic::stream::MessagesEmitter> {
        self.ingress.then(|| {
            super::anthropic::stream::MessagesEmitter::new(
                self.env.new_id("msg_"),
                self.model.clone().unwrap_or_default(),
                self.analytics.prompt_estimate,
            )
        })
    }

    fn emitter(&self) -> ChunkEmitter {
        let id_prefix = if self.route == RouteType::Completions {
            "cmpl-"
        } else {
            "chatcmpl-"
        };
        let e = ChunkEmitter::new(
            self.route,
            self.env.new_id(id_prefix),
            self.model.clone().unwrap_or_default(),
            self.env.now_unix(),
            self.include_usage,
        );
        if self.cfg.raw.logging.log_payloads {
            e.accumulate()
        } else {
            e
        }
    }

    /// A response body chunk arrived; `eos` marks the last one.
    pub fn on_response_body(&mut self, chunk: &[u8], eos: bool) -> BodyStep {
        let mut step = match &mut self.response {
            ResponseMode::Pending | ResponseMode::Done => BodyStep::default(),
            ResponseMode::Passthrough { keep, seen, shadow } => {
                if *keep {
                    seen.extend_from_slice(chunk);
                }
                if let Some(state) = shadow {
                    let mut discard = Vec::new();
                    translate_chunk(state, chunk, eos, 0, &mut discard);
                    // The first chunk that carries output is the first token the client sees.
                    if self.analytics.time_to_first_token_ms.is_none()
                        && state.emitter.output_bytes() > 0
                    {
                        self.analytics.time_to_first_token_ms =
                            Some(self.env.now_millis().saturating_sub(self.started_ms));
                    }
                }
                BodyStep::default()
            }
            ResponseMode::Buffer { body, .. } => {
                body.extend_from_slice(chunk);
                BodyStep {
                    replace: Some(Vec::new()),
                    ..BodyStep::default()
                }
            }
            ResponseMode::Translate(state) => {
                let mut out = Vec::new();
                let first = self.analytics.time_to_first_token_ms.is_none();
                translate_chunk(state, chunk, eos, self.analytics.prompt_estimate, &mut out);
                if self.responses_ingress {
                    let conv = self.responses_stream.get_or_insert_with(Default::default);
                    out = conv.feed(&out, eos);
                }
                if first && state.emitter.output_bytes() > 0 {
                    self.analytics.time_to_first_token_ms =
                        Some(self.env.now_millis().saturating_sub(self.started_ms));
                }
                BodyStep {
                    replace: Some(out),
                    ..BodyStep::default()
                }
            }
        };
        if let Some(tail) = self.stream_tail.as_mut() {
            tail.extend_from_slice(chunk);
            let seen_done = has_done(tail);
            let cut = tail.len().saturating_sub(TAIL);
            tail.drain(..cut);
            if seen_done {
                // Ended properly (whatever follows is the upstream's and passes as it is).
                self.stream_tail = None;
            } else if eos {
                // The upstream stopped before `[DONE]`: end the client's stream properly.
                let mut out = step.replace.take().unwrap_or_else(|| chunk.to_vec());
                if !tail.is_empty() && !tail.ends_with(b"\n\n") {
                    out.extend_from_slice(b"\n\n");
                }
                self.emitter().emit(&cut_stream_error(), &mut out);
                step.replace = Some(out);
            }
        }
        if eos {
            self.finish_response(&mut step);
        }
        step
    }

    fn finish_response(&mut self, step: &mut BodyStep) {
        step.done = true;
        match std::mem::replace(&mut self.response, ResponseMode::Done) {
            ResponseMode::Buffer {
                body,
                gzip: gz,
                translate,
            } => {
                let body = if gz {
                    match inflate_all(&body) {
                        Ok(b) => b,
                        Err(e) => {
                            let err = ProxyError::Internal(format!("upstream gzip: {e}"));
                            return self.fail(step, &err);
                        }
                    }
                } else {
                    body
                };
                if !translate && self.ingress {
                    let body = super::anthropic::response::error_body(self.status, &body);
                    return self.write_body(step, body);
                }
                if !translate {
                    step.content_length = Some(body.len());
                    step.replace = Some(body);
                    return;
                }
                self.finish_translation(step, body);
            }
            ResponseMode::Passthrough { keep, seen, shadow } => {
                if keep {
                    self.read_passthrough_usage(&seen);
                }
                if let Some(state) = shadow {
                    self.analytics.usage = state.emitter.usage().cloned();
                    self.analytics.output_chars = state.emitter.output_bytes() as usize;
                    if !state.emitter.model().is_empty() {
                        self.analytics.response_model = Some(state.emitter.model().to_string());
                    }
                }
            }
            ResponseMode::Translate(state) => {
                self.analytics.usage = state.emitter.usage().cloned();
                self.analytics.output_chars = state.emitter.output_bytes() as usize;
                if let Some(fold) = state.emitter.fold() {
                    self.analytics.response_payload =
                        Some(self.payload_log(fold.content.as_bytes()));
                }
                self.analytics.response_model = Some(state.emitter.model().to_string());
            }
            ResponseMode::Pending | ResponseMode::Done => {}
        }
    }

    /// Usage of a passed-through answer: the provider's own decoder reads a native answer;
    /// anything else is read as OpenAI JSON (what Kong does in preserve mode).
    fn read_passthrough_usage(&mut self, body: &[u8]) {
        if self.native {
            let model = self.model.clone().unwrap_or_default();
            let ctx = ResponseCtx {
                route: self.route,
                model: &model,
                options: &self.options,
                stream: false,
                env: self.env.as_ref(),
            };
            if let Ok(Decoded::Translated(resp)) = self.provider.decode(body, &ctx) {
                self.analytics.usage = resp.usage().cloned();
                self.analytics.response_model = resp.model().map(str::to_string);
                return;
            }
        }
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
            read_openai_usage(&v, &mut self.analytics);
        }
    }

    fn finish_translation(&mut self, step: &mut BodyStep, body: Vec<u8>) {
        match self
            .image_answer(&body)
            .or_else(|| self.video_answer(&body))
        {
            Some(Ok(out)) => {
                if self.cfg.raw.logging.log_payloads {
                    self.analytics.response_payload = Some(self.payload_log(&out));
                }
                return self.write_body(step, out);
            }
            Some(Err(e)) => return self.fail(step, &e),
            None => {}
        }
        let model = self.model.clone().unwrap_or_default();
        let ctx = ResponseCtx {
            route: self.route,
            model: &model,
            options: &self.options,
            stream: false,
            env: self.env.as_ref(),
        };
        if self.count_tokens {
            let provider = self.cfg.provider();
            return match super::anthropic::count_tokens::answer(provider, &body) {
                Ok(out) => self.write_body(step, out),
                Err(e) => {
                    let err = ProxyError::Transformation {
                        provider: provider.as_str(),
                        route: self.route.as_str(),
                        reason: e.0,
                    };
                    self.fail(step, &err)
                }
            };
        }
        let out = match self.provider.decode(&body, &ctx) {
            Ok(Decoded::Unchanged) if self.ingress => {
                match serde_json::from_slice::<crate::api::chat::ChatResponse>(&body) {
                    Ok(resp) => {
                        self.analytics.usage = resp.usage.clone();
                        self.analytics.response_model = resp.model.clone();
                        self.anthropic_answer(&resp, &model)
                    }
                    Err(e) => {
                        let err = ProxyError::Transformation {
                            provider: self.cfg.provider().as_str(),
                            route: self.route.as_str(),
                            reason: e.to_string(),
                        };
                        return self.fail(step, &err);
                    }
                }
            }
            Ok(Decoded::Unchanged) => {
                if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) {
                    read_openai_usage(&v, &mut self.analytics);
                }
                body
            }
            Ok(Decoded::Translated(LlmResponse::Chat(resp))) if self.ingress => {
                self.analytics.usage = resp.usage.clone();
                self.analytics.response_model = resp.model.clone();
                self.anthropic_answer(&resp, &model)
            }
            Ok(Decoded::Translated(mut resp)) => {
                self.analytics.usage = resp.usage().cloned();
                self.analytics.response_model = resp.model().map(str::to_string);
                if let LlmResponse::Embeddings(e) = &mut resp {
                    if self.base64_embeddings {
                        embeddings_to_base64(e);
                    }
                }
                match resp.to_json() {
                    Ok(b) => b,
                    Err(e) => return self.fail(step, &ProxyError::Internal(e.to_string())),
                }
            }
            Err(e) => {
                let err = ProxyError::Transformation {
                    provider: self.cfg.provider().as_str(),
                    route: self.route.as_str(),
                    reason: e.0,
                };
                return self.fail(step, &err);
            }
        };
        let out = self.responses_body(out);
        if self.cfg.raw.logging.log_payloads {
            self.analytics.response_payload = Some(self.payload_log(&out));
        }
        self.write_body(step, out);
    }

    fn anthropic_answer(&self, resp: &crate::api::chat::ChatResponse, model: &str) -> Vec<u8> {
        let v = super::anthropic::response::to_anthropic(resp, model);
        serde_json::to_vec(&v).unwrap_or_default()
    }

    fn fail(&mut self, step: &mut BodyStep, err: &ProxyError) {
        log::warn!("ai-proxy: {err}");
        self.analytics.error = Some(crate::analytics::metrics::ErrorClass::Translation);
        step.status = Some(err.status());
        let body = err.body(self.cfg.raw.llm_format);
        self.write_body(step, body);
    }

    /// Final body of a buffered answer: gzip for clients that accept it (headers said so).
    fn write_body(&mut self, step: &mut BodyStep, body: Vec<u8>) {
        let body = if self.client.accepts_gzip {
            gzip(&body)
        } else {
            body
        };
        step.content_length = Some(body.len());
        step.replace = Some(body);
    }
}

/// OpenAI's `encoding_format: "base64"`: each vector as little-endian f32 bytes in base64 (what
/// OpenAI returns and its SDKs decode). Providers answer floats; the client asked for base64.
fn embeddings_to_base64(e: &mut crate::api::EmbeddingsResponse) {
    use base64::Engine;
    for item in &mut e.data {
        if let serde_json::Value::Array(values) = &item.embedding {
            let mut bytes = Vec::with_capacity(values.len() * 4);
            for v in values {
                let f = v.as_f64().unwrap_or(0.0) as f32;
                bytes.extend_from_slice(&f.to_le_bytes());
            }
            item.embedding =
                serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
        }
    }
}

/// `Set-Cookie` from the upstream is dropped for these providers (docs/kong-compatibility.md §9).
fn strip_set_cookie(provider: ProviderName, edits: &mut ResponseHeadEdits) {
    use ProviderName::*;
    if matches!(provider, Openai | Azure | Mistral | Gemini | Bedrock) {
        edits.remove_headers.push("set-cookie".into());
    }
}
