//! The per-request driver: which callback each host calls when, with which `end_of_stream`,
//! what a Pause means, when data is released, and what a trap costs (`docs/hosts.md` §2,
//! §5, §9, §10, §12). Embedders (tests, `ai-gateway`) feed it what the client and
//! the upstream send and take what it releases.

use crate::abi::{Action, HeaderPairs};
use crate::headers::{request_map, RequestHead};
use crate::profile::Profile;
use crate::state::{LocalResponse, Phase, Stream};
use crate::vm::{Trap, Vm};

/// What a driver step ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// The step is done and the stream moved on.
    Continue,
    /// Waiting: for more body, a dispatch answer or a resume.
    Paused,
    /// Answer the client with this (the filter's local response, or a host reply: 413, 500,
    /// 503 after a trap).
    Local(LocalResponse),
    /// The stream was reset (trap or local reply after the response started).
    Reset,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Req {
    #[default]
    Start,
    HeadersPaused,
    Body,
    BodyPausedAtEos,
    Complete,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resp {
    #[default]
    Start,
    HeadersPaused,
    Body,
    BodyPausedAtEos,
    Complete,
}

/// Host-side bookkeeping of one stream (invisible to the filter).
#[derive(Debug, Default)]
pub struct Drive {
    pub(crate) req: Req,
    pub(crate) req_pending: Vec<u8>,
    pub(crate) req_eos: bool,
    pub(crate) req_body_paused: bool,
    pub(crate) req_forwarded: Vec<u8>,
    pub(crate) resp: Resp,
    pub(crate) resp_pending: Vec<u8>,
    pub(crate) resp_eos: bool,
    pub(crate) resp_body_paused: bool,
    pub(crate) resp_out: Vec<u8>,
    pub(crate) resp_headers_out: Option<HeaderPairs>,
    pub(crate) headers_sent: bool,
    pub(crate) local: Option<LocalResponse>,
    pub(crate) reset: bool,
    /// Callbacks the host made, in order (for tests: `on_request_body(12, eos=true)`).
    pub trace: Vec<String>,
}

/// The request as it leaves the host for the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamRequest {
    /// Method.
    pub method: String,
    /// `http` or `https`.
    pub scheme: String,
    /// host[:port] to connect to.
    pub authority: String,
    /// Path with query.
    pub path: String,
    /// Headers without pseudo-headers; `host` set.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Host-side problems a real host would turn into a broken request (e.g. a stale
    /// Content-Length on Envoy).
    pub problems: Vec<String>,
}

impl UpstreamRequest {
    /// First value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn kong_500() -> LocalResponse {
    // Kong's default error body for an unexpected error (docs/hosts.md §12: a trap is a 500).
    LocalResponse {
        status: 500,
        details: "wasm trap".into(),
        headers: vec![(
            "content-type".into(),
            b"application/json; charset=utf-8".to_vec(),
        )],
        body: br#"{"message":"An unexpected error occurred"}"#.to_vec(),
    }
}

pub(crate) fn envoy_local(status: u32, details: &str, body: &str) -> LocalResponse {
    LocalResponse {
        status,
        details: details.into(),
        headers: vec![("content-type".into(), b"text/plain".to_vec())],
        body: body.as_bytes().to_vec(),
    }
}

impl Vm {
    /// Opens an HTTP context. Envoy after a trap: 503 `wasm_fail_stream` for every new stream
    /// (docs/hosts.md §12). Kong after a trap: a fresh instance first (§12).
    pub fn new_stream(&mut self) -> Result<u32, LocalResponse> {
        if self.failed.is_some() {
            return Err(envoy_local(503, "wasm_fail_stream", ""));
        }
        if self.recycle {
            if let Err(e) = self.reinstantiate() {
                self.store
                    .data_mut()
                    .host_log(format!("[kong] cannot recycle instance: {e}"));
                return Err(kong_500());
            }
        }
        let id = self.next_ctx;
        self.next_ctx += 1;
        let root = self.state().root_id;
        self.store.data_mut().streams.insert(
            id,
            Stream {
                request_body_readable: true,
                ..Default::default()
            },
        );
        self.drives.insert(id, Drive::default());
        if let Err(t) =
            self.call::<(u32, u32), ()>(id, Phase::Idle, "proxy_on_context_create", (id, root))
        {
            self.stream_trapped(id, t);
            return Err(self
                .drives
                .get(&id)
                .and_then(|d| d.local.clone())
                .unwrap_or_else(kong_500));
        }
        Ok(id)
    }

    pub(crate) fn drive(&mut self, id: u32) -> &mut Drive {
        self.drives.entry(id).or_default()
    }

    /// Callbacks made on a stream so far.
    pub fn trace(&self, id: u32) -> &[String] {
        self.drives
            .get(&id)
            .map(|d| d.trace.as_slice())
            .unwrap_or(&[])
    }

    /// The stream's host state (headers, bodies, properties the filter set).
    pub fn stream_state(&self, id: u32) -> Option<&Stream> {
        self.state().streams.get(&id)
    }

    /// A trap on a stream: Kong answers 500 for that request and recycles the instance; Envoy
    /// fails the VM and answers 503 (docs/hosts.md §12). After the response started: reset.
    pub(crate) fn stream_trapped(&mut self, id: u32, t: Trap) {
        let reply = match self.profile() {
            Profile::Kong => {
                self.recycle = true;
                kong_500()
            }
            Profile::Envoy => {
                self.failed = Some(t);
                envoy_local(503, "wasm_fail_stream", "")
            }
        };
        let d = self.drive(id);
        if d.headers_sent {
            d.reset = true;
        } else if d.local.is_none() {
            d.local = Some(reply);
        }
    }

    /// Runs a stream callback returning an Action; a trap or a local response ends the step.
    pub(crate) fn step(
        &mut self,
        id: u32,
        phase: Phase,
        name: &str,
        args: (u32, u32, u32),
    ) -> Result<Action, Flow> {
        self.drive(id)
            .trace
            .push(format!("{name}({}, eos={})", args.1, args.2 != 0));
        match self.call::<(u32, u32, u32), i32>(id, phase, name, args) {
            Ok(v) => {
                if let Some(f) = self.pending_local(id) {
                    return Err(f);
                }
                Ok(Action::from_i32(v.unwrap_or(0)))
            }
            Err(t) => {
                self.stream_trapped(id, t);
                Err(self.outcome(id))
            }
        }
    }

    pub(crate) fn outcome(&mut self, id: u32) -> Flow {
        let d = self.drive(id);
        if d.reset {
            Flow::Reset
        } else if let Some(l) = &d.local {
            Flow::Local(l.clone())
        } else {
            Flow::Paused
        }
    }

    fn pending_local(&mut self, id: u32) -> Option<Flow> {
        let first = self
            .state()
            .streams
            .get(&id)
            .and_then(|s| s.local_responses.first().cloned());
        let profile = self.profile();
        let d = self.drive(id);
        if d.local.is_some() || d.reset {
            return Some(if d.reset {
                Flow::Reset
            } else {
                Flow::Local(d.local.clone()?)
            });
        }
        let l = first?;
        if d.headers_sent {
            // Envoy: a local reply after the response started resets the stream; Kong traps
            // earlier (`send_local_response`).
            let _ = profile;
            d.reset = true;
            return Some(Flow::Reset);
        }
        d.local = Some(l.clone());
        Some(Flow::Local(l))
    }

    // ------------------------------------------------------------------ request side

    /// Client request headers. `end_of_stream` is true when the request has no body; Kong
    /// always passes false to the filter (docs/hosts.md §2), Envoy passes it through.
    pub fn request_headers(&mut self, id: u32, head: &RequestHead, end_of_stream: bool) -> Flow {
        let map = request_map(&self.state().opts, head);
        let n = map.len() as u32;
        if let Some(s) = self.store.data_mut().streams.get_mut(&id) {
            s.request_headers = map;
            s.original_path = head.path.clone();
            s.original_host = head.header("host").unwrap_or("").to_string();
        }
        let eos = end_of_stream && self.profile() == Profile::Envoy;
        self.drive(id).req_eos = end_of_stream;
        match self.step(
            id,
            Phase::RequestHeaders,
            "proxy_on_request_headers",
            (id, n, u32::from(eos)),
        ) {
            Err(f) => f,
            Ok(Action::Continue) => {
                self.drive(id).req = if end_of_stream {
                    Req::Complete
                } else {
                    Req::Body
                };
                self.flow_req(id)
            }
            Ok(Action::Pause) => {
                if let Some(s) = self.store.data_mut().streams.get_mut(&id) {
                    s.request_headers_held = true;
                }
                let profile = self.profile();
                let allow = self.state().opts.allow_on_headers_stop_iteration;
                let d = self.drive(id);
                // Envoy ≥1.35 with the flag: StopIteration, body callbacks go on (docs/hosts.md §5).
                // Envoy without it: StopAllIteration. Kong: waits for a resume (docs/hosts.md §5).
                d.req = match profile {
                    Profile::Envoy if allow => Req::Body,
                    _ => Req::HeadersPaused,
                };
                if end_of_stream && d.req == Req::Body {
                    d.req = Req::BodyPausedAtEos;
                }
                self.advance(id);
                self.flow_req(id)
            }
        }
    }

    fn flow_req(&mut self, id: u32) -> Flow {
        match self.drive(id).req {
            Req::Complete => Flow::Continue,
            _ => self.outcome(id),
        }
    }

    /// A chunk of client request body (`eos` on the last one).
    pub fn request_body(&mut self, id: u32, chunk: &[u8], eos: bool) -> Flow {
        {
            let d = self.drive(id);
            if d.local.is_some() || d.reset {
                return self.outcome(id);
            }
            d.req_pending.extend_from_slice(chunk);
            d.req_eos |= eos;
        }
        self.feed_request_body(id)
    }

    fn feed_request_body(&mut self, id: u32) -> Flow {
        let profile = self.profile();
        let (state, eos, pending_len) = {
            let d = self.drive(id);
            (d.req, d.req_eos, d.req_pending.len())
        };
        if state != Req::Body {
            return self.flow_req(id);
        }
        match profile {
            Profile::Kong => {
                // docs/hosts.md §2: nginx reads the whole body first, then one call with eos=true; no call
                // at all for an empty body.
                if !eos {
                    return Flow::Paused;
                }
                let body = std::mem::take(&mut self.drive(id).req_pending);
                if body.is_empty() {
                    self.release_request(id, Vec::new());
                    return Flow::Continue;
                }
                let limit = self.state().opts.client_body_buffer_size;
                let n = body.len() as u32;
                if let Some(s) = self.store.data_mut().streams.get_mut(&id) {
                    s.request_body_readable = body.len() <= limit;
                    s.request_body = body;
                }
                match self.step(id, Phase::RequestBody, "proxy_on_request_body", (id, n, 1)) {
                    Err(f) => f,
                    Ok(Action::Continue) => {
                        let b = self.take_req_body(id);
                        self.release_request(id, b);
                        Flow::Continue
                    }
                    Ok(Action::Pause) => {
                        self.drive(id).req = Req::BodyPausedAtEos;
                        self.advance(id);
                        self.flow_req(id)
                    }
                }
            }
            Profile::Envoy => {
                if pending_len == 0 && !eos {
                    return Flow::Paused;
                }
                // docs/hosts.md §2: after a Pause the buffer keeps growing and the callback sees it all.
                let chunk = std::mem::take(&mut self.drive(id).req_pending);
                let limit = self.state().opts.envoy_buffer_limit;
                let paused = self.drive(id).req_body_paused;
                let mut too_big = false;
                if let Some(s) = self.store.data_mut().streams.get_mut(&id) {
                    if !paused {
                        s.request_body.clear();
                    }
                    s.request_body.extend_from_slice(&chunk);
                    too_big = paused && s.request_body.len() > limit;
                }
                if too_big {
                    let l = envoy_local(413, "request_payload_too_large", "Payload Too Large");
                    self.drive(id).local = Some(l.clone());
                    return Flow::Local(l);
                }
                let n = self
                    .stream_state(id)
                    .map(|s| s.request_body.len())
                    .unwrap_or(0) as u32;
                match self.step(
                    id,
                    Phase::RequestBody,
                    "proxy_on_request_body",
                    (id, n, u32::from(eos)),
                ) {
                    Err(f) => f,
                    Ok(Action::Continue) => {
                        self.drive(id).req_body_paused = false;
                        let b = self.take_req_body(id);
                        if let Some(s) = self.store.data_mut().streams.get_mut(&id) {
                            s.request_headers_held = false;
                        }
                        if eos {
                            self.release_request(id, b);
                            Flow::Continue
                        } else {
                            self.drive(id).req_forwarded.extend_from_slice(&b);
                            Flow::Paused
                        }
                    }
                    Ok(Action::Pause) => {
                        self.drive(id).req_body_paused = true;
                        if eos {
                            self.drive(id).req = Req::BodyPausedAtEos;
                            self.advance(id);
                            return self.flow_req(id);
                        }
                        Flow::Paused
                    }
                }
            }
        }
    }

    fn take_req_body(&mut self, id: u32) -> Vec<u8> {
        self.store
            .data_mut()
            .streams
            .get_mut(&id)
            .map(|s| std::mem::take(&mut s.request_body))
            .unwrap_or_default()
    }

    fn release_request(&mut self, id: u32, last: Vec<u8>) {
        if let Some(s) = self.store.data_mut().streams.get_mut(&id) {
            s.request_headers_held = false;
        }
        let d = self.drive(id);
        d.req_forwarded.extend_from_slice(&last);
        d.req = Req::Complete;
    }

    /// Applies `proxy_continue_stream` calls made since the last step (after dispatch answers).
    pub(crate) fn advance(&mut self, id: u32) {
        let (req_resumed, resp_resumed) = match self.store.data_mut().streams.get_mut(&id) {
            Some(s) => (
                std::mem::take(&mut s.request_resumed),
                std::mem::take(&mut s.response_resumed),
            ),
            None => return,
        };
        if self.pending_local(id).is_some() {
            return;
        }
        let kong = self.profile() == Profile::Kong;
        if req_resumed || (kong && resp_resumed) {
            match self.drive(id).req {
                Req::HeadersPaused => {
                    let eos = self.drive(id).req_eos;
                    let d = self.drive(id);
                    d.req = Req::Body;
                    if eos && d.req_pending.is_empty() && self.profile() == Profile::Envoy {
                        self.release_request(id, Vec::new());
                    } else {
                        if self.profile() == Profile::Envoy {
                            if let Some(s) = self.store.data_mut().streams.get_mut(&id) {
                                s.request_headers_held = false;
                            }
                        }
                        self.feed_request_body(id);
                    }
                }
                Req::BodyPausedAtEos => {
                    let b = self.take_req_body(id);
                    self.release_request(id, b);
                }
                _ => {}
            }
        }
        if resp_resumed && !kong {
            match self.drive(id).resp {
                Resp::HeadersPaused => {
                    self.release_resp_headers(id);
                    self.drive(id).resp = Resp::Body;
                    self.feed_response_body(id);
                }
                Resp::BodyPausedAtEos => {
                    let b = self.take_resp_body(id);
                    self.release_resp_headers(id);
                    let d = self.drive(id);
                    d.resp_out.extend_from_slice(&b);
                    d.resp = Resp::Complete;
                }
                _ => {}
            }
        }
    }

    /// Whether the whole request (headers and body) was released upstream.
    pub fn request_complete(&self, id: u32) -> bool {
        self.drives.get(&id).is_some_and(|d| d.req == Req::Complete)
    }

    /// Why the stream is stuck, if it is (nothing pending that could move it on).
    pub fn stalled(&self, id: u32) -> Option<String> {
        let d = self.drives.get(&id)?;
        if self.has_calls() || d.local.is_some() || d.reset {
            return None;
        }
        match d.req {
            Req::HeadersPaused if d.req_eos => Some(format!(
                "request stalled: on_http_request_headers returned Pause and nothing resumed it ({} waits for proxy_continue_stream, docs/hosts.md §5)",
                self.profile().name()
            )),
            Req::BodyPausedAtEos => Some("request stalled: on_http_request_body returned Pause at end_of_stream and nothing resumed it".into()),
            _ => match d.resp {
                Resp::BodyPausedAtEos => Some("response stalled: on_http_response_body returned Pause at end_of_stream and nothing resumed it".into()),
                Resp::HeadersPaused if d.resp_eos => Some("response stalled: on_http_response_headers returned Pause and nothing resumed it".into()),
                _ => None,
            },
        }
    }

    /// The request as it goes upstream (call once `request_complete`).
    pub fn upstream_request(&self, id: u32) -> Option<UpstreamRequest> {
        let s = self.stream_state(id)?;
        let d = self.drives.get(&id)?;
        Some(crate::upstream::build(
            self.state(),
            s,
            d.req_forwarded.clone(),
        ))
    }
}

impl Vm {
    /// `Some(Local|Reset)` once the stream ended early (local response, trap, reset).
    pub fn ended(&mut self, id: u32) -> Option<Flow> {
        if let Some(f) = self.pending_local(id) {
            return Some(f);
        }
        let d = self.drives.get(&id)?;
        if d.reset {
            Some(Flow::Reset)
        } else {
            d.local.clone().map(Flow::Local)
        }
    }
}

impl Drive {
    /// The stream ended early (local response or reset).
    pub(crate) fn has_ended(&self) -> bool {
        self.local.is_some() || self.reset
    }
}
