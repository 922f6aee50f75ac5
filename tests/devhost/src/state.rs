//! Host state and the hostcall semantics as plain Rust (no wasm here), so every profile rule
//! can be unit-tested directly. The wasm glue (`crate::wasm`) only moves bytes in and out of
//! guest memory and calls these methods.
//!
//! Header-map, buffer and local-response rules live here; properties, dispatch and the other
//! calls are in `crate::calls`.

use std::collections::HashMap;

use crate::abi::{BufferType, HeaderPairs, LogLevel, MapType, Status};
use crate::profile::{HostOptions, Profile};

/// Why a hostcall did not return OK: a status code for the guest, or a trap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fail {
    /// Return this status to the guest.
    Status(Status),
    /// Abort the VM call with this message (what ngx_wasm_module does on misuse).
    Trap(String),
}

/// Result of a hostcall.
pub type HostResult<T> = Result<T, Fail>;

/// Which filter callback the host is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No callback running.
    Idle,
    /// `on_vm_start`.
    VmStart,
    /// `on_configure`.
    Configure,
    /// `on_tick`.
    Tick,
    /// `on_http_request_headers`.
    RequestHeaders,
    /// `on_http_request_body`.
    RequestBody,
    /// `on_http_response_headers`.
    ResponseHeaders,
    /// `on_http_response_body`.
    ResponseBody,
    /// `on_http_call_response`.
    HttpCallResponse,
    /// `on_log` / `on_done` / `on_delete`.
    Log,
}

/// Where a captured line came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogSource {
    /// `proxy_log` at this level.
    Filter(LogLevel),
    /// WASI stdout.
    Stdout,
    /// WASI stderr (Rust panic messages land here).
    Stderr,
    /// The host itself (rule decisions, NYI calls, traps).
    Host,
}

/// One captured log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Origin.
    pub source: LogSource,
    /// Text.
    pub text: String,
}

impl std::fmt::Display for LogLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            LogSource::Filter(l) => write!(f, "[filter {}] {}", l.name(), self.text),
            LogSource::Stdout => write!(f, "[stdout] {}", self.text),
            LogSource::Stderr => write!(f, "[stderr] {}", self.text),
            LogSource::Host => write!(f, "[host] {}", self.text),
        }
    }
}

/// A local response the filter asked for (`proxy_send_local_response`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalResponse {
    /// HTTP status.
    pub status: u32,
    /// Status details (Envoy's `response_code_details`).
    pub details: String,
    /// Extra headers.
    pub headers: HeaderPairs,
    /// Body.
    pub body: Vec<u8>,
}

/// Per-HTTP-context state.
#[derive(Debug, Default, Clone)]
pub struct Stream {
    /// Request headers, pseudo-headers included (see `crate::head`).
    pub request_headers: HeaderPairs,
    /// Kong: request headers the filter removed. ngx_wasm_module only marks them (hash 0),
    /// which hides them from the filter, but nginx's proxy module still sends them upstream
    /// with their values (docs/hosts.md §17).
    pub cleared_request_headers: HeaderPairs,
    /// Request trailers.
    pub request_trailers: HeaderPairs,
    /// Response headers with `:status`.
    pub response_headers: HeaderPairs,
    /// Response trailers.
    pub response_trailers: HeaderPairs,
    /// Request body the current body callback sees (Envoy: everything buffered so far).
    pub request_body: Vec<u8>,
    /// Response body the current body callback sees.
    pub response_body: Vec<u8>,
    /// Kong: false when the body was larger than `client_body_buffer_size` (docs/hosts.md §2).
    pub request_body_readable: bool,
    /// The filter replaced (part of) the request body.
    pub request_body_changed: bool,
    /// Envoy: headers still held by the filter (Pause returned from the headers step, docs/hosts.md §5).
    pub request_headers_held: bool,
    /// Envoy: response headers still held.
    pub response_headers_held: bool,
    /// Response headers already went to the client.
    pub response_headers_sent: bool,
    /// Local responses asked for, in order.
    pub local_responses: Vec<LocalResponse>,
    /// Properties set on this context.
    pub properties: HashMap<String, Vec<u8>>,
    /// `proxy_continue_stream(HttpRequest)` was called.
    pub request_resumed: bool,
    /// `proxy_continue_stream(HttpResponse)` was called.
    pub response_resumed: bool,
    /// `proxy_close_stream` was called (stream reset).
    pub reset: bool,
    /// The response body callback in progress is the last one (`end_of_stream`).
    pub response_last_chunk: bool,
    /// Kong: the last, empty response chunk was replaced by nothing, and ngx_wasm_module lost
    /// the end of the body with it (docs/hosts.md §9): no chunked terminator, the connection
    /// closes (the client sees a reset).
    pub response_end_lost: bool,
    /// Request path as the client sent it (Kong `request.path` is `$request_uri`, docs/hosts.md §7).
    pub original_path: String,
    /// Host header as the client sent it.
    pub original_host: String,
}

/// A `dispatch_http_call` the filter made and the host has not answered yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCall {
    /// Token returned to the filter.
    pub token: u32,
    /// Context that made the call (the one `on_http_call_response` is delivered to).
    pub context_id: u32,
    /// First argument: Kong host[:port], Envoy cluster name (docs/hosts.md §11).
    pub upstream: String,
    /// Headers, pseudo-headers included.
    pub headers: HeaderPairs,
    /// Body.
    pub body: Vec<u8>,
    /// Trailers.
    pub trailers: HeaderPairs,
    /// Timeout in milliseconds.
    pub timeout_ms: u32,
}

impl HttpCall {
    /// Value of a header or pseudo-header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }
}

/// Answer to a dispatched call, as the host hands it to `on_http_call_response`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallResponse {
    /// Headers with `:status` (empty on failure).
    pub headers: HeaderPairs,
    /// Body.
    pub body: Vec<u8>,
    /// Trailers.
    pub trailers: HeaderPairs,
}

/// The host side of one VM: options, per-context state, captured output.
#[derive(Debug)]
pub struct HostState {
    /// Host options (profile, config bytes, knobs).
    pub opts: HostOptions,
    /// Host calls (`proxy_*` imports) the module made so far: what each costs a real host.
    pub host_calls: u64,
    /// Root context id.
    pub root_id: u32,
    /// Context the host is calling into (changed by `proxy_set_effective_context`).
    pub current: u32,
    /// Callback being run.
    pub phase: Phase,
    /// HTTP contexts.
    pub streams: HashMap<u32, Stream>,
    /// Captured output.
    pub logs: Vec<LogLine>,
    /// Unanswered dispatches.
    pub calls: Vec<HttpCall>,
    /// Next dispatch token.
    pub next_token: u32,
    /// The answer being delivered (only during `on_http_call_response`).
    pub call_response: Option<CallResponse>,
    /// Tick period the root context asked for.
    pub tick_period_ms: Option<u32>,
    /// Shared data: key → (value, cas).
    pub shared_data: HashMap<String, (Vec<u8>, u32)>,
    /// Shared queues by id: (name, items).
    pub queues: Vec<(String, Vec<Vec<u8>>)>,
    /// Metrics by id (id = index + 1), named as the host shows them.
    pub metrics: Vec<crate::calls::Metric>,
    /// Partial stdout/stderr lines.
    pub(crate) partial_out: [Vec<u8>; 2],
    /// xorshift state for `random_get`.
    pub(crate) rng: u64,
}

impl HostState {
    /// Fresh state for one VM.
    pub fn new(opts: HostOptions) -> Self {
        let seed = opts.fixed_time_nanos.unwrap_or_else(now_nanos) | 1;
        Self {
            opts,
            root_id: 1,
            current: 1,
            phase: Phase::Idle,
            streams: HashMap::new(),
            logs: Vec::new(),
            calls: Vec::new(),
            host_calls: 0,
            next_token: 1,
            call_response: None,
            tick_period_ms: None,
            shared_data: HashMap::new(),
            queues: Vec::new(),
            metrics: Vec::new(),
            partial_out: [Vec::new(), Vec::new()],
            rng: seed,
        }
    }

    /// Profile shortcut.
    pub fn profile(&self) -> Profile {
        self.opts.profile
    }

    /// Records a host-side log line.
    pub fn host_log(&mut self, text: impl Into<String>) {
        self.logs.push(LogLine {
            source: LogSource::Host,
            text: text.into(),
        });
    }

    /// The stream of the current context, if the current context is an HTTP context.
    pub fn stream(&self) -> Option<&Stream> {
        self.streams.get(&self.current)
    }

    /// Mutable stream of the current context.
    pub fn stream_mut(&mut self) -> Option<&mut Stream> {
        self.streams.get_mut(&self.current)
    }

    fn kong_trap(&mut self, msg: &str) -> Fail {
        self.host_log(format!("[kong] trap: {msg}"));
        Fail::Trap(msg.to_string())
    }

    // ---------------------------------------------------------------- logs and clock

    /// `proxy_log`.
    pub fn log(&mut self, level: u32, msg: &[u8]) -> HostResult<()> {
        let text = String::from_utf8_lossy(msg).into_owned();
        self.logs.push(LogLine {
            source: LogSource::Filter(LogLevel::from_u32(level)),
            text,
        });
        Ok(())
    }

    /// `proxy_get_log_level`: Kong does not implement it and traps (NYI, docs/hosts.md §13); Envoy answers.
    pub fn get_log_level(&mut self) -> HostResult<u32> {
        match self.profile() {
            Profile::Kong => Err(self.kong_trap("NYI: proxy_get_log_level")),
            Profile::Envoy => Ok(LogLevel::Trace as u32),
        }
    }

    /// `proxy_get_current_time_nanoseconds`.
    pub fn now_nanos(&self) -> u64 {
        self.opts.fixed_time_nanos.unwrap_or_else(now_nanos)
    }

    // ---------------------------------------------------------------- buffers

    fn buffer(&mut self, bt: BufferType, write: bool) -> HostResult<&mut Vec<u8>> {
        let profile = self.profile();
        let phase = self.phase;
        match bt {
            BufferType::HttpRequestBody => {
                // Kong docs/hosts.md §2: read in request headers (empty), request body and log; write in
                // request headers and body; anywhere else traps. Envoy docs/hosts.md §2: only inside the
                // body callback, else NOT_FOUND.
                let ok = match (profile, write) {
                    (Profile::Kong, false) => {
                        matches!(
                            phase,
                            Phase::RequestHeaders | Phase::RequestBody | Phase::Log
                        )
                    }
                    (Profile::Kong, true) => {
                        matches!(phase, Phase::RequestHeaders | Phase::RequestBody)
                    }
                    (Profile::Envoy, _) => phase == Phase::RequestBody,
                };
                if !ok {
                    return Err(match profile {
                        Profile::Kong => self.kong_trap(if write {
                            "can only set request body during on_request_headers, on_request_body"
                        } else {
                            "can only get request body during on_request_headers, on_request_body, on_log"
                        }),
                        Profile::Envoy => Fail::Status(Status::NotFound),
                    });
                }
                let s = self.stream_mut().ok_or(Fail::Status(Status::NotFound))?;
                Ok(&mut s.request_body)
            }
            BufferType::HttpResponseBody => {
                let ok = match profile {
                    Profile::Kong if write => phase == Phase::ResponseBody,
                    Profile::Kong => matches!(phase, Phase::ResponseBody | Phase::Log),
                    Profile::Envoy => phase == Phase::ResponseBody,
                };
                if !ok {
                    return Err(match profile {
                        Profile::Kong => self.kong_trap(if write {
                            "can only set response body during on_response_body"
                        } else {
                            "can only get response body during on_response_body, on_log"
                        }),
                        Profile::Envoy => Fail::Status(Status::NotFound),
                    });
                }
                let s = self.stream_mut().ok_or(Fail::Status(Status::NotFound))?;
                Ok(&mut s.response_body)
            }
            BufferType::HttpCallResponseBody => self
                .call_response
                .as_mut()
                .map(|r| &mut r.body)
                .ok_or(Fail::Status(Status::NotFound)),
            BufferType::PluginConfiguration if !write => Ok(&mut self.opts.plugin_config),
            BufferType::VmConfiguration if !write => Ok(&mut self.opts.vm_config),
            _ => Err(Fail::Status(Status::NotFound)),
        }
    }

    /// `proxy_get_buffer_bytes`: `Ok(None)` means "OK but nothing" (the SDK then returns
    /// `None`). `start`/`max` are clamped to the buffer as cpp-host `exports.cc` does.
    pub fn get_buffer(
        &mut self,
        bt: BufferType,
        start: usize,
        max: usize,
    ) -> HostResult<Option<Vec<u8>>> {
        if bt == BufferType::HttpRequestBody
            && self.profile() == Profile::Kong
            && self.phase != Phase::RequestHeaders
            && self.stream().is_some_and(|s| !s.request_body_readable)
        {
            // docs/hosts.md §2: body spooled to a temp file.
            self.buffer(bt, false)?;
            self.host_log("[kong] cannot read request body buffered to file");
            return Ok(None);
        }
        let buf = self.buffer(bt, false)?;
        let start = start.min(buf.len());
        let end = start.saturating_add(max).min(buf.len());
        match buf.get(start..end) {
            Some(b) if !b.is_empty() => Ok(Some(b.to_vec())),
            _ => Ok(None),
        }
    }

    /// `proxy_set_buffer_bytes`, with each host's semantics (docs/hosts.md §3).
    pub fn set_buffer(
        &mut self,
        bt: BufferType,
        start: usize,
        size: usize,
        data: &[u8],
    ) -> HostResult<()> {
        let profile = self.profile();
        let buf = self.buffer(bt, true)?;
        let was_empty = buf.is_empty();
        match profile {
            Profile::Envoy => envoy_set_buffer(buf, start, size, data)?,
            Profile::Kong => kong_set_buffer(buf, start, size, data),
        }
        if profile == Profile::Kong
            && bt == BufferType::HttpResponseBody
            && was_empty
            && data.is_empty()
        {
            let last = self.stream().is_some_and(|s| s.response_last_chunk);
            if last {
                if let Some(s) = self.stream_mut() {
                    s.response_end_lost = true;
                }
                self.host_log("[kong] the last, empty response chunk was replaced by nothing: the end of the body is lost");
            }
        }
        if bt == BufferType::HttpRequestBody {
            if let Some(s) = self.stream_mut() {
                s.request_body_changed = true;
                s.request_body_readable = true;
            }
        }
        Ok(())
    }

    /// `proxy_get_buffer_status`: length of the buffer (flags 0).
    pub fn buffer_len(&mut self, bt: BufferType) -> HostResult<usize> {
        Ok(self.buffer(bt, false)?.len())
    }

    // ---------------------------------------------------------------- local response

    /// `proxy_send_local_response` (docs/hosts.md §10).
    pub fn send_local_response(&mut self, mut resp: LocalResponse) -> HostResult<()> {
        let profile = self.profile();
        let phase = self.phase;
        let Some(s) = self.streams.get(&self.current) else {
            return Err(Fail::Status(Status::BadArgument));
        };
        if profile == Profile::Kong {
            if !s.local_responses.is_empty() {
                return Err(self.kong_trap("local response already stashed"));
            }
            if s.response_headers_sent || phase == Phase::ResponseBody {
                return Err(self.kong_trap("response already sent"));
            }
            // Kong cancels pending dispatches of this context.
            let id = self.current;
            self.calls.retain(|c| c.context_id != id);
            // ngx_wasm_module ends a non-empty body with a line feed.
            if !resp.body.is_empty() {
                resp.body.push(b'\n');
            }
        } else if !s.local_responses.is_empty() {
            self.host_log("[envoy] second local response queued (sendLocalReply called twice)");
        }
        if let Some(s) = self.stream_mut() {
            s.local_responses.push(resp);
        }
        Ok(())
    }

    /// `proxy_continue_stream`: 0 = request, 1 = response.
    pub fn continue_stream(&mut self, ty: u32) -> HostResult<()> {
        let s = self.stream_mut().ok_or(Fail::Status(Status::NotFound))?;
        match ty {
            0 => s.request_resumed = true,
            // ngx_wasm_module maps a response resume to resume_http_request (no yielding in
            // response phases, docs/hosts.md §5); Envoy resumes the response.
            1 => s.response_resumed = true,
            _ => return Err(Fail::Status(Status::BadArgument)),
        }
        Ok(())
    }

    /// `proxy_close_stream`: Envoy resets the stream; Kong does not implement it (NYI trap, docs/hosts.md §13).
    pub fn close_stream(&mut self, _ty: u32) -> HostResult<()> {
        if self.profile() == Profile::Kong {
            return Err(self.kong_trap("NYI: proxy_close_stream"));
        }
        let s = self.stream_mut().ok_or(Fail::Status(Status::NotFound))?;
        s.reset = true;
        Ok(())
    }

    /// Drains complete lines written to WASI stdout (fd 1) or stderr (fd 2) into the log.
    pub fn write_fd(&mut self, fd: u32, bytes: &[u8]) {
        let idx = usize::from(fd == 2);
        let source = if fd == 2 {
            LogSource::Stderr
        } else {
            LogSource::Stdout
        };
        let mut lines = Vec::new();
        if let Some(buf) = self.partial_out.get_mut(idx) {
            buf.extend_from_slice(bytes);
            while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = buf.drain(..=pos).collect();
                lines.push(
                    String::from_utf8_lossy(line.strip_suffix(b"\n").unwrap_or(&line)).into_owned(),
                );
            }
        }
        for text in lines {
            self.logs.push(LogLine {
                source: source.clone(),
                text,
            });
        }
    }

    /// Flushes unterminated stdout/stderr text (before reporting a trap).
    pub fn flush_fds(&mut self) {
        for (idx, source) in [(0usize, LogSource::Stdout), (1, LogSource::Stderr)] {
            if let Some(buf) = self.partial_out.get_mut(idx) {
                if !buf.is_empty() {
                    let text = String::from_utf8_lossy(buf).into_owned();
                    buf.clear();
                    self.logs.push(LogLine { source, text });
                }
            }
        }
    }

    /// All captured lines joined, for error messages and test failures.
    pub fn log_text(&self) -> String {
        self.logs.iter().map(|l| format!("  {l}\n")).collect()
    }

    /// Next pseudo-random u64 (xorshift; WASI `random_get`, hashbrown seeds).
    pub fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    /// Map type → which stream map; used by `crate::headers`.
    pub(crate) fn map_of(s: &mut Stream, mt: MapType) -> Option<&mut HeaderPairs> {
        match mt {
            MapType::HttpRequestHeaders => Some(&mut s.request_headers),
            MapType::HttpRequestTrailers => Some(&mut s.request_trailers),
            MapType::HttpResponseHeaders => Some(&mut s.response_headers),
            MapType::HttpResponseTrailers => Some(&mut s.response_trailers),
            _ => None,
        }
    }
}

/// Envoy `set_buffer_bytes` (Envoy `context.cc` `Buffer::copyFrom` via cpp-host, docs/hosts.md §3):
/// `start=0,size=0` prepends; `start=0,size≥len` replaces all; `start≥len` appends; anything
/// else is BAD_ARGUMENT (which makes the SDK panic).
pub fn envoy_set_buffer(
    buf: &mut Vec<u8>,
    start: usize,
    size: usize,
    data: &[u8],
) -> HostResult<()> {
    if start == 0 {
        if size == 0 {
            let mut v = data.to_vec();
            v.extend_from_slice(buf);
            *buf = v;
            Ok(())
        } else if size >= buf.len() {
            *buf = data.to_vec();
            Ok(())
        } else {
            Err(Fail::Status(Status::BadArgument))
        }
    } else if start >= buf.len() {
        buf.extend_from_slice(data);
        Ok(())
    } else {
        Err(Fail::Status(Status::BadArgument))
    }
}

/// ngx_wasm_module `set_buffer_bytes` (`ngx_proxy_wasm_host.c` `set_buffer`, test
/// `114-proxy_set_http_request_body.t`, docs/hosts.md §3): `start=0,size=0,len>0` prepends; otherwise the
/// value is cut to `size` bytes, written at `start`, and everything after it is dropped.
pub fn kong_set_buffer(buf: &mut Vec<u8>, start: usize, size: usize, data: &[u8]) {
    if start == 0 && size == 0 && !data.is_empty() {
        let mut v = data.to_vec();
        v.extend_from_slice(buf);
        *buf = v;
        return;
    }
    let value = data.get(..size.min(data.len())).unwrap_or(data);
    buf.truncate(start.min(buf.len()));
    buf.extend_from_slice(value);
}

/// Real clock (only used when no fixed time is configured). The dev host *is* the host: it
/// owns the clock the filter core must not read directly.
#[allow(clippy::disallowed_methods)]
fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}
