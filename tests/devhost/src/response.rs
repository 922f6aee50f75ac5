//! Response side of the per-request driver (`docs/hosts.md` §9 "Response body", §10,
//! docs/hosts.md §2), and the end of a stream (`on_log`, `on_done`, `on_delete`).

use crate::abi::{Action, HeaderPairs};
use crate::profile::Profile;
use crate::state::Phase;
use crate::stream::{envoy_local, Flow, Resp};
use crate::vm::Vm;

/// What the host released towards the client since the last call.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Released {
    /// Response headers (with `:status`), once, when they go out.
    pub headers: Option<HeaderPairs>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// The response is complete.
    pub complete: bool,
}

impl Vm {
    /// Upstream response headers. Kong passes `end_of_stream=false` always (docs/hosts.md §2).
    pub fn response_headers(
        &mut self,
        id: u32,
        status: u16,
        headers: &[(String, String)],
        end_of_stream: bool,
    ) -> Flow {
        if self.drive(id).has_ended() {
            return self.outcome(id);
        }
        let mut map: HeaderPairs = vec![(":status".into(), status.to_string().into_bytes())];
        map.extend(
            headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone().into_bytes())),
        );
        let n = map.len() as u32;
        if let Some(s) = self.store.data_mut().streams.get_mut(&id) {
            s.response_headers = map;
        }
        let profile = self.profile();
        let eos = end_of_stream && profile == Profile::Envoy;
        self.drive(id).resp_eos = end_of_stream;
        match self.step(
            id,
            Phase::ResponseHeaders,
            "proxy_on_response_headers",
            (id, n, u32::from(eos)),
        ) {
            Err(f) => f,
            Ok(Action::Continue) => {
                self.release_resp_headers(id);
                let d = self.drive(id);
                d.resp = if end_of_stream {
                    Resp::Complete
                } else {
                    Resp::Body
                };
                Flow::Continue
            }
            Ok(Action::Pause) if profile == Profile::Kong => {
                // docs/hosts.md §5: Pause is not honoured in on_response_headers on Kong.
                self.store
                    .data_mut()
                    .host_log("[kong] Pause in on_http_response_headers is ignored (NYI)");
                self.release_resp_headers(id);
                let d = self.drive(id);
                d.resp = if end_of_stream {
                    Resp::Complete
                } else {
                    Resp::Body
                };
                Flow::Continue
            }
            Ok(Action::Pause) => {
                if let Some(s) = self.store.data_mut().streams.get_mut(&id) {
                    s.response_headers_held = true;
                }
                let allow = self.state().opts.allow_on_headers_stop_iteration;
                let d = self.drive(id);
                d.resp = if allow && !end_of_stream {
                    Resp::Body
                } else {
                    Resp::HeadersPaused
                };
                self.advance(id);
                self.outcome(id)
            }
        }
    }

    /// A chunk of upstream response body; `eos` on the last one (an empty final chunk is
    /// normal, docs/hosts.md §9).
    pub fn response_body(&mut self, id: u32, chunk: &[u8], eos: bool) -> Flow {
        if self.drive(id).has_ended() {
            return self.outcome(id);
        }
        let d = self.drive(id);
        d.resp_pending.extend_from_slice(chunk);
        d.resp_eos |= eos;
        self.feed_response_body(id)
    }

    pub(crate) fn feed_response_body(&mut self, id: u32) -> Flow {
        let profile = self.profile();
        let (state, eos) = {
            let d = self.drive(id);
            (d.resp, d.resp_eos)
        };
        if state != Resp::Body {
            return self.outcome(id);
        }
        let chunk = std::mem::take(&mut self.drive(id).resp_pending);
        if chunk.is_empty() && !eos {
            return Flow::Paused;
        }
        let paused = self.drive(id).resp_body_paused;
        let (kong_cap, envoy_cap) = (
            self.state().opts.response_body_buffers,
            self.state().opts.envoy_buffer_limit,
        );
        let mut len = 0usize;
        if let Some(s) = self.store.data_mut().streams.get_mut(&id) {
            if !paused {
                s.response_body.clear();
            }
            s.response_body.extend_from_slice(&chunk);
            s.response_last_chunk = eos;
            len = s.response_body.len();
        }
        if paused && profile == Profile::Kong && !eos && len < kong_cap {
            // docs/hosts.md §9: Kong buffers after a Pause and calls again at eof or when the buffers
            // (`wasm_response_body_buffers`) are full.
            return Flow::Paused;
        }
        if paused && profile == Profile::Envoy && len > envoy_cap {
            // docs/hosts.md §9: response buffer over the limit: 500 if nothing was sent yet, else reset.
            let d = self.drive(id);
            if d.headers_sent {
                d.reset = true;
                return Flow::Reset;
            }
            let l = envoy_local(500, "response_payload_too_large", "Internal Server Error");
            d.local = Some(l.clone());
            return Flow::Local(l);
        }
        let n = len as u32;
        match self.step(
            id,
            Phase::ResponseBody,
            "proxy_on_response_body",
            (id, n, u32::from(eos)),
        ) {
            Err(f) => f,
            Ok(Action::Pause) if profile == Profile::Kong && paused => {
                // docs/hosts.md §9: a second Pause is ignored with an error log.
                self.store
                    .data_mut()
                    .host_log("[kong] [error] second Pause in on_http_response_body ignored");
                self.release_resp_chunk(id, eos)
            }
            Ok(Action::Pause) if profile == Profile::Kong && eos => {
                self.store
                    .data_mut()
                    .host_log("[kong] Pause at end of response body ignored");
                self.release_resp_chunk(id, eos)
            }
            Ok(Action::Pause) => {
                self.drive(id).resp_body_paused = true;
                if eos {
                    self.drive(id).resp = Resp::BodyPausedAtEos;
                    self.advance(id);
                }
                self.outcome(id)
            }
            Ok(Action::Continue) => self.release_resp_chunk(id, eos),
        }
    }

    fn release_resp_chunk(&mut self, id: u32, eos: bool) -> Flow {
        let b = self.take_resp_body(id);
        self.release_resp_headers(id);
        let lost = self.end_lost(id);
        let d = self.drive(id);
        d.resp_body_paused = false;
        d.resp_out.extend_from_slice(&b);
        if eos && lost {
            // docs/hosts.md §9: no chunked terminator follows; nginx closes the connection.
            d.reset = true;
            return Flow::Reset;
        }
        if eos {
            d.resp = Resp::Complete;
        }
        Flow::Continue
    }

    /// Kong's engine lost the end of this response (docs/hosts.md §9).
    pub(crate) fn end_lost(&self, id: u32) -> bool {
        self.stream_state(id).is_some_and(|s| s.response_end_lost)
    }

    pub(crate) fn take_resp_body(&mut self, id: u32) -> Vec<u8> {
        self.store
            .data_mut()
            .streams
            .get_mut(&id)
            .map(|s| std::mem::take(&mut s.response_body))
            .unwrap_or_default()
    }

    /// Sends the (possibly filter-edited) response headers towards the client, once.
    pub(crate) fn release_resp_headers(&mut self, id: u32) {
        let headers = match self.store.data_mut().streams.get_mut(&id) {
            Some(s) => {
                s.response_headers_held = false;
                if s.response_headers_sent {
                    return;
                }
                s.response_headers_sent = true;
                s.response_headers.clone()
            }
            None => return,
        };
        let d = self.drive(id);
        d.headers_sent = true;
        d.resp_headers_out = Some(headers);
    }

    /// Takes what was released towards the client since the last call.
    pub fn take_released(&mut self, id: u32) -> Released {
        let d = self.drive(id);
        Released {
            headers: d.resp_headers_out.take(),
            body: std::mem::take(&mut d.resp_out),
            complete: d.resp == Resp::Complete,
        }
    }

    /// Ends the stream: `on_log`, `on_done`, `on_delete` (traps here are logged only).
    pub fn finish(&mut self, id: u32) {
        for (name, phase) in [
            ("proxy_on_log", Phase::Log),
            ("proxy_on_done", Phase::Log),
            ("proxy_on_delete", Phase::Log),
        ] {
            let r = if name == "proxy_on_done" {
                self.call::<u32, u32>(id, phase, name, id).map(|_| ())
            } else {
                self.call::<u32, ()>(id, phase, name, id).map(|_| ())
            };
            if let Err(t) = r {
                self.stream_trapped(id, t);
                break;
            }
        }
        self.store.data_mut().streams.remove(&id);
        self.store.data_mut().calls.retain(|c| c.context_id != id);
        self.drives.remove(&id);
    }
}
