//! The host's floor, for the Envoy and Kong-engine benches (benches/envoy/run.sh,
//! benches/kong/run.sh): a filter that does only what any filter rewriting both bodies must
//! ask of its host, and nothing else. It holds the request until its body is whole, reads it
//! and writes the same bytes back; it reads the answer's headers, then reads and writes back
//! the whole answer (buffered) or each chunk (a stream). No JSON, no config, no analytics.
//!
//! The bench runs it on a third listener beside the ai_proxy filter and no filter, with the
//! already-translated body: what it costs is what the host charges a body-rewriting filter
//! before any translation runs (docs/performance.md, "The host's floor").
//!
//! Built with `cargo build --release --target wasm32-wasip1 --example host_floor`; not part of
//! the filter.

use proxy_wasm::hostcalls::set_buffer;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel};

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root) });
}}

struct Root;

impl Context for Root {}

impl RootContext for Root {
    fn create_http_context(&self, _id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Floor {
            kong: None,
            stream: false,
        }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Floor {
    /// Kong's engine (a `kong.version` property) or Envoy, as the filter tells them apart.
    kong: Option<bool>,
    /// The answer is a stream: each chunk goes through as it comes.
    stream: bool,
}

impl Floor {
    fn kong(&mut self) -> bool {
        if self.kong.is_none() {
            let v = self.get_property(vec!["kong", "version"]);
            self.kong = Some(v.is_some_and(|v| !v.is_empty()));
        }
        self.kong.unwrap_or(false)
    }
}

impl Context for Floor {}

impl HttpContext for Floor {
    fn on_http_request_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
        // The filter reads every header (the route, the model, the auth) and, on Envoy, holds
        // them until the body is known.
        let _ = self.get_http_request_headers_bytes();
        if !end_of_stream && !self.kong() {
            Action::Pause
        } else {
            Action::Continue
        }
    }

    fn on_http_request_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        if !end_of_stream {
            return Action::Pause;
        }
        let body = self.get_http_request_body(0, size).unwrap_or_default();
        replace(BufferType::HttpRequestBody, &body);
        if !self.kong() {
            // Envoy: a rewritten body's length is the filter's to set (Kong's engine sets it).
            self.set_http_request_header("content-length", Some(&body.len().to_string()));
        }
        Action::Continue
    }

    fn on_http_response_headers(&mut self, _n: usize, end_of_stream: bool) -> Action {
        let headers = self.get_http_response_headers_bytes();
        self.stream = headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.as_slice().starts_with(b"text/event-stream"));
        // Envoy holds a buffered answer's headers until its body is done; Kong's engine cannot.
        if self.stream || end_of_stream || self.kong() {
            Action::Continue
        } else {
            Action::Pause
        }
    }

    fn on_http_response_body(&mut self, size: usize, end_of_stream: bool) -> Action {
        if !self.stream && !end_of_stream && !self.kong() {
            return Action::Pause;
        }
        if size > 0 {
            let chunk = self.get_http_response_body(0, size).unwrap_or_default();
            replace(BufferType::HttpResponseBody, &chunk);
        }
        Action::Continue
    }
}

/// Replaces the whole buffer as the filter does (`src/filter/raw.rs`, `replace_body`): `start
/// 0, size usize::MAX` is the one call both hosts read as "replace it all" (docs/hosts.md §3).
/// An empty chunk is left alone, as the filter leaves it: replacing a stream's last, empty
/// chunk makes Kong's engine lose the end of the body (docs/hosts.md §9).
fn replace(buffer: BufferType, bytes: &[u8]) {
    let _ = set_buffer(buffer, 0, usize::MAX, bytes);
}
