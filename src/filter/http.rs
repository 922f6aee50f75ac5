//! One HTTP context per request: host events in, exchange steps out, applied by the adapter.

use std::cell::RefCell;
use std::rc::Rc;

use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, BufferType, MapType};

use super::host::Host;
use super::identity::{self, Shared};
use super::metrics::Registry;
use super::{raw, HostEnv};
use crate::analytics::{genai, metrics};
use crate::auth::identity::cache::Lookup;
use crate::config::Config;
use crate::exchange::pending::failure_reply;
use crate::exchange::{
    BodyStep, CallAnswer, Exchange, HeadStep, HostCall, LocalReply, PendingRequest, RequestEdits,
    RequestHead,
};

pub(super) struct Http {
    exchange: Exchange,
    host: Host,
    /// A local reply was sent: later steps do nothing.
    replied: bool,
    /// The host buffers the response body for us (Envoy, buffered translation).
    host_buffers: bool,
    /// The request went upstream at its head: its body streams through untouched.
    forwarded: bool,
    env: Rc<HostEnv>,
    metrics: Rc<RefCell<Registry>>,
    /// This context's id (cloud identity: waiters are resumed by id).
    id: u32,
    /// Cloud identity state shared with the root context.
    identity: Option<Rc<Shared>>,
    /// The fetch this request waits on.
    waiting: Option<u64>,
    /// The request headers as read at the head (names of the headers a removal can find).
    request_headers: Vec<(String, String)>,
    /// The client's body is still coming: a reply now waits for it (see [`Http::reply`]).
    body_pending: bool,
    /// A reply decided before the body was read, sent when it is.
    deferred: Option<LocalReply>,
    /// The call the exchange asked for ([`HeadStep::Call`]) is out: its token and target.
    call: Option<(u32, String)>,
    /// That call waits for the identity credential (this request's own fetch).
    call_waiting: Option<(HostCall, PendingRequest)>,
    /// The analytics of this request went out (its metrics too).
    observed: bool,
}

impl Drop for Http {
    fn drop(&mut self) {
        if let Some(shared) = &self.identity {
            if let Ok(mut cache) = shared.cache.try_borrow_mut() {
                cache.forget(self.id);
            }
            shared.forget(self.id);
        }
    }
}

impl Http {
    pub(super) fn new(
        cfg: Rc<Config>,
        env: Rc<HostEnv>,
        metrics: Rc<RefCell<Registry>>,
        id: u32,
        identity: Option<Rc<Shared>>,
    ) -> Http {
        let mut exchange = Exchange::new(cfg, env.clone());
        if identity.is_some() {
            exchange.require_identity();
        }
        Http {
            exchange,
            host: Host::Envoy,
            replied: false,
            host_buffers: false,
            forwarded: false,
            env,
            metrics,
            id,
            identity,
            waiting: None,
            request_headers: Vec::new(),
            body_pending: false,
            deferred: None,
            call: None,
            call_waiting: None,
            observed: false,
        }
    }

    /// Whether another context answered this request (a failed token fetch).
    fn replied_elsewhere(&mut self) -> bool {
        if let Some(shared) = &self.identity {
            if shared.take_replied(self.id) {
                self.replied = true;
            }
        }
        self.replied
    }

    /// Takes the credential from the cache, or joins/starts a fetch. `false`: a reply was sent.
    /// `own_fetch`: the request is answered from a call of its own, and only its own dispatches
    /// resume it, so it never joins another request's fetch.
    fn lookup_identity(&mut self, own_fetch: bool) -> bool {
        let Some(shared) = self.identity.clone() else {
            return true;
        };
        shared.host.set(self.host);
        let coalesce = shared.coalesce() && !own_fetch;
        let lookup = shared
            .cache
            .borrow_mut()
            .get(identity::now_ms(), self.id, coalesce);
        match lookup {
            Lookup::Ready(c) => self.exchange.set_identity(c),
            Lookup::Joined(f) => self.waiting = Some(f),
            Lookup::Start(f, call) => {
                self.waiting = Some(f);
                identity::dispatch(self, &shared, self.id, f, &call);
            }
            Lookup::Failed(e) => {
                log::warn!("ai-proxy: cloud identity: {e}");
                let reply = failure_reply(&e, shared.format_of());
                self.reply(&reply);
                return false;
            }
        }
        if let Some(r) = shared.take_deferred(self.id) {
            // The fetch failed at once (a refused dispatch), before the body was read.
            self.reply(&r);
            return false;
        }
        !self.replied_elsewhere()
    }

    /// Marks whether the client's body is still coming (here and for the identity waiters).
    fn set_body_pending(&mut self, pending: bool) {
        self.body_pending = pending;
        if let Some(shared) = &self.identity {
            shared.body_pending(self.id, pending);
        }
    }

    /// Still waiting: takes the credential if it arrived meanwhile.
    fn recheck_identity(&mut self) {
        let (Some(shared), Some(_)) = (self.identity.clone(), self.waiting) else {
            return;
        };
        let cred = shared.cache.borrow().usable(identity::now_ms()).cloned();
        if let Some(c) = cred {
            shared.cache.borrow_mut().forget(self.id);
            self.waiting = None;
            self.exchange.set_identity(c);
        }
    }

    /// The edits lack the credential: park them with the fetch and pause. `None` when the
    /// edits are complete.
    fn park(&mut self, edits: &RequestEdits, body_step: bool) -> Option<Action> {
        let (Some(shared), Some(fetch)) = (self.identity.clone(), self.waiting) else {
            return None;
        };
        let job = self.exchange.take_pending(edits)?;
        if body_step {
            if let Err(e) = self.host.apply_request_body(edits) {
                log::error!("ai-proxy: {e}");
            }
        }
        let parked = shared.cache.borrow_mut().set_job(fetch, self.id, job);
        match parked {
            Ok(()) => Some(Action::Pause),
            Err(job) => {
                // The fetch ended in between: finish with the cache, or fail.
                let cred = shared.cache.borrow().usable(identity::now_ms()).cloned();
                let result = match cred {
                    Some(c) => job.finish(&c, identity::now_ms() / 1000),
                    None => Err(
                        job.failed(&crate::auth::identity::IdentityError::unreachable(
                            "the token fetch ended without a credential",
                        )),
                    ),
                };
                Some(match result {
                    Ok(e) => match self.host.apply_request_head(&e, body_step) {
                        Ok(()) => Action::Continue,
                        Err(msg) => {
                            log::error!("ai-proxy: {msg}");
                            Action::Continue
                        }
                    },
                    Err(r) => self.reply(&r),
                })
            }
        }
    }

    /// Sends `r`, or keeps it until the client's body is read: a local reply ends with a
    /// connection close, and closing with the client's body unread resets the connection —
    /// the client then loses the answer (Envoy and nginx alike). The body is dropped.
    fn reply(&mut self, r: &LocalReply) -> Action {
        if self.body_pending {
            self.deferred = Some(r.clone());
            return Action::Pause;
        }
        self.send_reply(r)
    }

    fn send_reply(&mut self, r: &LocalReply) -> Action {
        self.replied = true;
        if self.exchange.observes() && !self.observed {
            if let Ok(mut m) = self.metrics.try_borrow_mut() {
                metrics::local_reply_samples(r.status, &mut m.samples);
                let (provider, route) = self.exchange.labels();
                let model = self.exchange.model().unwrap_or("");
                m.flush(provider, metrics::route_label(route), model);
            }
        }
        if let Err(e) = raw::send_local_response(r.status, &r.headers, &r.body) {
            log::error!("ai-proxy: host refused the local response (status {})", e.0);
        }
        Action::Pause
    }

    /// What the headers step returns once a reply is sent or kept: a kept reply needs the
    /// body callback, which Kong gives only after `Continue`.
    fn head_paused(&self) -> Action {
        if self.deferred.is_some() && !self.host.pause_headers_for_body() {
            Action::Continue
        } else {
            Action::Pause
        }
    }

    fn forward(&mut self, mut edits: RequestEdits, body_step: bool) -> Action {
        // Removing a header the request does not have is a host call for nothing (most
        // removals are credential headers a client may send, docs/performance.md).
        // A header the edits also set is overwritten, not removed first (on Kong a removal
        // followed by a set would send both, docs/hosts.md §17).
        let present = &self.request_headers;
        let set = &edits.set_headers;
        edits.remove_headers.retain(|h| {
            present.iter().any(|(k, _)| k.eq_ignore_ascii_case(h))
                && !set.iter().any(|(k, _)| k.eq_ignore_ascii_case(h))
        });
        let edits = &edits;
        if let Some(action) = self.park(edits, body_step) {
            return action;
        }
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

    /// Makes the exchange's own call, or waits for the credential it needs (this request's
    /// own fetch, see [`Http::lookup_identity`]).
    fn start_call(&mut self, call: HostCall) -> Action {
        if let Some(job) = self.exchange.take_pending(&call.edits) {
            if self.waiting.is_some() {
                self.call_waiting = Some((call, job));
                return self.resume_call().unwrap_or(Action::Pause);
            }
        }
        let edits = call.edits.clone();
        self.dispatch_call(&call, &edits)
    }

    /// The waiting call, once the credential is in the cache: finished and dispatched.
    fn resume_call(&mut self) -> Option<Action> {
        let shared = self.identity.clone()?;
        self.call_waiting.as_ref()?;
        let cred = shared.cache.borrow().usable(identity::now_ms()).cloned()?;
        let (call, job) = self.call_waiting.take()?;
        shared.cache.borrow_mut().forget(self.id);
        self.waiting = None;
        Some(match job.finish(&cred, identity::now_ms() / 1000) {
            Ok(edits) => self.dispatch_call(&call, &edits),
            Err(r) => self.reply(&r),
        })
    }

    /// Dispatches `call` with `edits` (its own, or with the credential added).
    fn dispatch_call(&mut self, call: &HostCall, edits: &RequestEdits) -> Action {
        let target = match self.host {
            Host::Envoy => call.cluster.clone(),
            Host::Kong => call.upstream.clone(),
        };
        let headers = call.dispatch_headers(edits);
        let pairs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let timeout = std::time::Duration::from_millis(u64::from(call.timeout_ms));
        let sent =
            self.dispatch_http_call(&target, pairs, edits.body.as_deref(), Vec::new(), timeout);
        match sent {
            Ok(token) => {
                self.call = Some((token, target));
                Action::Pause
            }
            Err(status) => {
                let answer = call.refused(&target, &format!("{status:?}"));
                let reply = self.exchange.on_call_answer(&answer);
                self.finish_call(&reply)
            }
        }
    }

    /// The answer to the exchange's own call arrived: the reply it makes goes to the client.
    fn call_answered(&mut self, target: String, body_size: usize) {
        let mut headers = lossy(self.get_http_call_response_headers_bytes());
        let find = |headers: &[(String, String)], name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let status = find(&headers, ":status").and_then(|s| s.trim().parse::<u16>().ok());
        let failure = find(&headers, ":dispatch_status");
        headers.retain(|(k, _)| !k.starts_with(':'));
        let body = if body_size > 0 {
            self.get_http_call_response_body(0, body_size)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let answer = CallAnswer {
            status,
            failure,
            target,
            headers,
            body,
        };
        let reply = self.exchange.on_call_answer(&answer);
        self.finish_call(&reply);
    }

    /// Sends the reply made from the exchange's own call, with the request's analytics.
    fn finish_call(&mut self, reply: &LocalReply) -> Action {
        self.observe();
        self.observed = true;
        self.reply(reply)
    }

    /// Writes a body step's edits; `chunk_len` is the length of the chunk it replaces.
    fn apply_body_step(&mut self, step: &BodyStep, chunk_len: usize) {
        // Replacing an empty chunk with nothing changes nothing, except on Kong's engine: there
        // it drops the end of the body, so a stream whose last (empty) chunk is replaced by
        // nothing never sends its chunked terminator (docs/hosts.md §9).
        let replace = step
            .replace
            .as_ref()
            .filter(|b| !(b.is_empty() && chunk_len == 0));
        if let Some(bytes) = replace {
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
            self.observe();
        }
    }

    /// The response is complete: the record and GenAI attributes to the host, the samples to
    /// the metrics (docs/observability.md).
    fn observe(&mut self) {
        let Some(summary) = self.exchange.summary() else {
            return;
        };
        let record = self.exchange.analytics_text(&summary);
        let attributes = genai::attributes_text(&summary);
        self.host.publish_analytics(&record, &attributes);
        if let Ok(mut m) = self.metrics.try_borrow_mut() {
            metrics::samples(&summary, self.exchange.error_class(), &mut m.samples);
            m.flush(
                summary.provider,
                metrics::route_label(summary.route),
                summary.request_model,
            );
        }
    }
}

fn lossy(headers: Vec<(String, Vec<u8>)>) -> Vec<(String, String)> {
    headers
        .into_iter()
        .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
        .collect()
}

impl Context for Http {
    fn on_http_call_response(
        &mut self,
        token_id: u32,
        _num_headers: usize,
        body_size: usize,
        _num_trailers: usize,
    ) {
        if let Some((_, target)) = self.call.take_if(|(t, _)| *t == token_id) {
            if !self.replied_elsewhere() {
                self.call_answered(target, body_size);
            }
            return;
        }
        let Some(shared) = self.identity.clone() else {
            return;
        };
        let known = identity::on_answer(self, &shared, self.id, token_id, body_size);
        if self.replied_elsewhere() || self.waiting.is_none() {
            return;
        }
        if self.resume_call().is_some() {
            return;
        }
        if !known {
            // Our fetch was given up (deadline) before this late answer: nobody will resume us.
            let usable = shared.cache.borrow().usable(identity::now_ms()).is_some();
            if !usable {
                let e = crate::auth::identity::IdentityError::unreachable(
                    "cloud identity: the token endpoint did not answer in time",
                );
                let reply = failure_reply(&e, shared.format_of());
                self.reply(&reply);
            }
        }
    }
}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        self.host = self
            .env
            .host(|| Host::detect(self.get_property(vec!["kong", "version"])));
        if self.exchange.observes() {
            let id = self.env.plugin_id(|| {
                self.get_property(vec!["plugin_name"])
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
            });
            self.exchange.set_plugin_id(id);
        }
        let headers = lossy(self.get_http_request_headers_bytes());
        let signal = self.host.body_signal(end_of_stream);
        self.set_body_pending(crate::exchange::body_follows(signal, &headers));
        let find = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let method = find(":method");
        let path = find(":path");
        if !self.lookup_identity(self.exchange.makes_own_call(&method)) {
            return self.head_paused();
        }
        let step = self.exchange.on_request_head_signalled(
            RequestHead {
                method: &method,
                path: &path,
                headers: &headers,
            },
            signal,
        );
        match step {
            HeadStep::Reply(r) => {
                self.reply(&r);
                self.head_paused()
            }
            HeadStep::Forward(edits) => {
                self.forwarded = true;
                self.request_headers = headers;
                self.forward(edits, false)
            }
            HeadStep::Call(call) => {
                self.request_headers = headers;
                self.start_call(call);
                self.head_paused()
            }
            HeadStep::WaitBody { early } => {
                self.request_headers = headers;
                if let Some(t) = &early {
                    self.host.set_early_target(t);
                }
                // Kong pauses too while its token call is out: after `Continue` with a dispatch
                // pending, ngx_wasm_module never reads a body that comes after the answer, and
                // forwards the request unedited (docs/hosts.md §17). After `Pause` the answer
                // resumes the request and the body step runs.
                if self.host.pause_headers_for_body() || self.waiting.is_some() {
                    Action::Pause
                } else {
                    Action::Continue
                }
            }
        }
    }

    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if self.replied_elsewhere() {
            return Action::Pause;
        }
        let waited = self
            .identity
            .as_ref()
            .and_then(|s| s.take_deferred(self.id));
        if let Some(r) = waited {
            self.deferred = Some(r);
        }
        if end_of_stream {
            self.set_body_pending(false);
        }
        if let Some(r) = self.deferred.take() {
            let over = self
                .exchange
                .body_limit()
                .is_some_and(|limit| body_size as u64 > limit);
            if end_of_stream || over {
                self.set_body_pending(false);
                return self.send_reply(&r);
            }
            // Envoy buffers the body it drops; past the limit the reply goes at once.
            self.deferred = Some(r);
            return Action::Pause;
        }
        if self.call.is_some() || self.call_waiting.is_some() {
            // Answered from the filter's own call: the body (of a GET) is not read.
            return Action::Pause;
        }
        if self.forwarded {
            // Forwarded at the head (uploads, GET/DELETE, bodies without a model): the
            // host streams the body; the filter neither holds nor reads it.
            return Action::Continue;
        }
        if !end_of_stream {
            if let Some(r) = self.exchange.deferred_reply_now(body_size) {
                self.set_body_pending(false);
                return self.send_reply(&r);
            }
            // Envoy buffers and calls again with the whole body (docs/hosts.md §2).
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
        self.recheck_identity();
        match self.exchange.on_request_body(&body) {
            Ok(edits) => self.forward(edits, true),
            Err(r) => self.reply(&r),
        }
    }

    fn on_http_response_headers(&mut self, _num_headers: usize, end_of_stream: bool) -> Action {
        if self.replied_elsewhere() {
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
        if self.host_buffers && end_of_stream {
            // No body follows (an empty answer): pausing would wait forever. Finish now; a
            // body to send (the translation error) goes as a local reply with its status.
            let step = self.exchange.on_response_body(&[], true);
            self.observe();
            if let Some(body) = step.replace.filter(|b| !b.is_empty()) {
                let keep = ["content-type", "content-encoding"];
                let headers: Vec<(String, String)> = edits
                    .set_headers
                    .iter()
                    .filter(|(k, _)| keep.contains(&k.as_str()))
                    .cloned()
                    .collect();
                return self.reply(&crate::exchange::LocalReply {
                    status: step.status.unwrap_or(status),
                    headers,
                    body,
                });
            }
            return Action::Continue;
        }
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
        self.apply_body_step(&step, chunk.len());
        Action::Continue
    }
}
