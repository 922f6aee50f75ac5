//! One HTTP context per request: host events in, exchange steps out, applied by the adapter.

use std::rc::Rc;

use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, BufferType, MapType};

use super::host::Host;
use super::{raw, HostEnv};
use crate::config::Config;
use crate::exchange::{BodyStep, Exchange, HeadStep, LocalReply, RequestEdits, RequestHead};

pub(super) struct Http {
    exchange: Exchange,
    env: Rc<HostEnv>,
    host: Host,
    /// A local reply was sent: later steps do nothing.
    replied: bool,
    /// The host buffers the response body for us (Envoy, buffered translation).
    host_buffers: bool,
}

impl Http {
    pub(super) fn new(cfg: Rc<Config>, env: Rc<HostEnv>) -> Http {
        Http {
            exchange: Exchange::new(cfg, env.clone()),
            env,
            host: Host::Envoy,
            replied: false,
            host_buffers: false,
        }
    }

    fn reply(&mut self, r: &LocalReply) -> Action {
        self.replied = true;
        if let Err(e) = raw::send_local_response(r.status, &r.headers, &r.body) {
            log::error!("ai-proxy: host refused the local response (status {})", e.0);
        }
        Action::Pause
    }

    fn forward(&mut self, edits: &RequestEdits, body_step: bool) -> Action {
        match self.host.apply_request(edits, body_step) {
            Ok(()) => Action::Continue,
            Err(e) => {
                log::error!("ai-proxy: {e}");
                let err = crate::error::ProxyError::Internal(
                    "the host refused to rewrite the request (Envoy needs allow_on_headers_stop_iteration: true)".into(),
                );
                let reply = self.exchange.error_reply(&err);
                self.reply(&reply)
            }
        }
    }

    fn apply_body_step(&mut self, step: &BodyStep) {
        if let Some(bytes) = &step.replace {
            if let Err(e) = raw::replace_body(BufferType::HttpResponseBody, bytes) {
                log::error!("ai-proxy: host refused the response body (status {})", e.0);
            }
        }
        if self.host.holds_response_headers() {
            let map = MapType::HttpResponseHeaders;
            if let Some(status) = step.status {
                let _ = raw::set_header(map, ":status", &status.to_string());
            }
            if let Some(len) = step.content_length {
                let _ = raw::set_header(map, "content-length", &len.to_string());
            }
        }
        if step.done {
            if let Some(a) = self.exchange.analytics_json() {
                self.host.publish_analytics(&a.to_string());
            }
        }
    }
}

fn lossy(headers: Vec<(String, Vec<u8>)>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect()
}

impl Context for Http {}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.host = self
            .env
            .host(|| Host::detect(self.get_property(vec!["kong", "version"])));
        let headers = lossy(self.get_http_request_headers_bytes());
        let find = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let method = find(":method");
        let path = find(":path");
        let step = self.exchange.on_request_head(RequestHead {
            method: &method,
            path: &path,
            headers: &headers,
        });
        match step {
            HeadStep::Reply(r) => self.reply(&r),
            HeadStep::Forward(edits) => self.forward(&edits, false),
            HeadStep::WaitBody { early } => {
                if let Some(t) = &early {
                    self.host.set_early_target(t);
                }
                if self.host.pause_headers_for_body() {
                    Action::Pause
                } else {
                    Action::Continue
                }
            }
        }
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if self.replied {
            return Action::Pause;
        }
        if !end_of_stream {
            // Envoy buffers and calls again with the whole body (hosts.md §2.2).
            return Action::Pause;
        }
        let body = match self.get_http_request_body(0, body_size) {
            Some(b) => b,
            None if body_size == 0 => Vec::new(),
            None => {
                // Kong spools bodies over client_body_buffer_size to a file we cannot read.
                let err = crate::error::ProxyError::PayloadTooLarge;
                log::warn!("ai-proxy: request body not readable (raise nginx_http_client_body_buffer_size)");
                let reply = self.exchange.error_reply(&err);
                return self.reply(&reply);
            }
        };
        match self.exchange.on_request_body(&body) {
            Ok(edits) => self.forward(&edits, true),
            Err(r) => self.reply(&r),
        }
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        if self.replied {
            return Action::Continue;
        }
        let headers = lossy(self.get_http_response_headers_bytes());
        let status = headers
            .iter()
            .find(|(k, _)| k == ":status")
            .and_then(|(_, v)| v.trim().parse::<u16>().ok())
            .unwrap_or(0);
        let edits = self.exchange.on_response_head(status, &headers);
        let map = MapType::HttpResponseHeaders;
        for name in &edits.remove_headers {
            let _ = raw::remove_header(map, name);
        }
        for (k, v) in &edits.set_headers {
            let _ = raw::set_header(map, k, v);
        }
        self.host_buffers = self.exchange.buffers_response() && self.host.holds_response_headers();
        if self.host_buffers {
            Action::Pause
        } else {
            Action::Continue
        }
    }

    fn on_http_response_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if self.replied {
            return Action::Continue;
        }
        if self.host_buffers && !end_of_stream {
            return Action::Pause;
        }
        let chunk = self
            .get_http_response_body(0, body_size)
            .unwrap_or_default();
        let step = self.exchange.on_response_body(&chunk, end_of_stream);
        self.apply_body_step(&step);
        Action::Continue
    }
}
