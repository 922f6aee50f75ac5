//! Cloud identity plumbing: dispatches token calls, feeds their answers to the core's token
//! cache (`auth::identity::cache`), and resumes or answers the requests waiting on them. The
//! decisions are the cache's; this module only talks to the host.
//!
//! - Envoy: the first request without a usable credential dispatches the fetch; others join
//!   it and pause. When the answer comes (in whichever context dispatched it), each waiter's
//!   headers are written and the waiter resumed through `set_effective_context`.
//! - Kong: ngx_wasm_module ignores `set_effective_context` and resumes a request only when its
//!   own dispatches are done, so each request without a credential dispatches its own fetch
//!   (the first answer fills the cache for everyone after).
//! - The root context refreshes the credential before it expires (`on_tick`) and fails the
//!   waiters of a fetch that went past its deadline.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use proxy_wasm::traits::Context;
use proxy_wasm::types::{BufferType, MapType};

use super::host::Host;
use super::raw;
use crate::auth::identity::cache::{Outcome, TokenCache, Waiter};
use crate::auth::identity::flow::{Answer, TokenCall};
use crate::auth::identity::{IdentityError, IdentitySpec};
use crate::config::LlmFormat;
use crate::exchange::pending::failure_reply;
use crate::exchange::{LocalReply, PendingRequest};

/// How often the root context looks at the cache (refresh, deadlines).
pub const TICK_MS: u32 = 500;

/// State shared by the root context and every HTTP context of one filter config.
pub struct Shared {
    /// The cache.
    pub cache: RefCell<TokenCache<PendingRequest>>,
    /// Host call token → fetch id, and where the call went (named when it gets no answer).
    calls: RefCell<Vec<(u32, u64, String)>>,
    /// The host, once an HTTP context has seen it.
    pub host: Cell<Host>,
    /// Contexts answered from another context (their own callbacks must do nothing more).
    replied: RefCell<Vec<u32>>,
    /// Contexts whose request body is still coming: an answer for them waits for it.
    bodies: RefCell<Vec<u32>>,
    /// Answers waiting for their context's body (sent by that context).
    deferred: RefCell<Vec<(u32, LocalReply)>>,
    /// The clients' format (for error replies of waiters that have no pending work yet).
    format: LlmFormat,
}

impl Shared {
    /// Shared state for `spec`.
    pub fn new(spec: Rc<IdentitySpec>, format: LlmFormat) -> Shared {
        Shared {
            cache: RefCell::new(TokenCache::new(spec)),
            calls: RefCell::new(Vec::new()),
            host: Cell::new(Host::Envoy),
            replied: RefCell::new(Vec::new()),
            bodies: RefCell::new(Vec::new()),
            deferred: RefCell::new(Vec::new()),
            format,
        }
    }

    /// Whether context `id` was answered from another context (clears the mark).
    pub fn take_replied(&self, id: u32) -> bool {
        let mut r = self.replied.borrow_mut();
        match r.iter().position(|c| *c == id) {
            Some(i) => {
                r.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Context `id`'s request body is still coming (`true`) or has been read (`false`).
    pub fn body_pending(&self, id: u32, pending: bool) {
        let mut b = self.bodies.borrow_mut();
        b.retain(|c| *c != id);
        if pending {
            b.push(id);
        }
    }

    /// The answer kept for context `id` until its body was read, if any.
    pub fn take_deferred(&self, id: u32) -> Option<LocalReply> {
        let mut d = self.deferred.borrow_mut();
        let i = d.iter().position(|(c, _)| *c == id)?;
        Some(d.swap_remove(i).1)
    }

    /// Forgets context `id` (it is gone).
    pub fn forget(&self, id: u32) {
        self.body_pending(id, false);
        let _ = self.take_deferred(id);
        let _ = self.take_replied(id);
    }

    /// The clients' format.
    pub fn format_of(&self) -> LlmFormat {
        self.format
    }

    /// Whether requests wait on a fetch dispatched by another request (Envoy).
    pub fn coalesce(&self) -> bool {
        self.host.get() == Host::Envoy
    }
}

/// Milliseconds since the epoch (the host's clock).
pub fn now_ms() -> u64 {
    proxy_wasm::hostcalls::get_current_time()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Dispatches `call` for fetch `fetch` from context `ctx` (whose id is `current`). A refused
/// dispatch fails the fetch at once.
pub fn dispatch(ctx: &dyn Context, shared: &Shared, current: u32, fetch: u64, call: &TokenCall) {
    let upstream = match shared.host.get() {
        Host::Envoy => call.cluster.as_str(),
        Host::Kong => call.upstream.as_str(),
    };
    let headers = call.dispatch_headers();
    let pairs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = if call.body.is_empty() {
        None
    } else {
        Some(call.body.as_slice())
    };
    let timeout = Duration::from_millis(u64::from(call.timeout_ms));
    match ctx.dispatch_http_call(upstream, pairs, body, Vec::new(), timeout) {
        Ok(token) => shared
            .calls
            .borrow_mut()
            .push((token, fetch, upstream.to_string())),
        Err(status) => {
            let what = match shared.host.get() {
                Host::Envoy => format!(
                    "the host refused the call ({status:?}): is there an Envoy cluster named '{upstream}'?"
                ),
                Host::Kong => format!("the host refused the call to '{upstream}' ({status:?})"),
            };
            let answer = Answer {
                status: None,
                failure: Some(what),
                body: Vec::new(),
            };
            let outcome = shared.cache.borrow_mut().answer(fetch, now_ms(), &answer);
            settle(ctx, shared, current, outcome, fetch);
        }
    }
}

/// The answer to host call `token` arrived in context `current`. Returns whether it was one
/// of ours and its fetch still existed.
pub fn on_answer(
    ctx: &dyn Context,
    shared: &Shared,
    current: u32,
    token: u32,
    body_size: usize,
) -> bool {
    let (fetch, target) = {
        let mut calls = shared.calls.borrow_mut();
        match calls.iter().position(|(t, _, _)| *t == token) {
            Some(i) => {
                let (_, fetch, target) = calls.swap_remove(i);
                (fetch, target)
            }
            None => return false,
        }
    };
    let headers =
        proxy_wasm::hostcalls::get_map_bytes(MapType::HttpCallResponseHeaders).unwrap_or_default();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    };
    let status = find(":status").and_then(|s| s.trim().parse::<u16>().ok());
    let body = if body_size > 0 {
        proxy_wasm::hostcalls::get_buffer(BufferType::HttpCallResponseBody, 0, body_size)
            .ok()
            .flatten()
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let answer = Answer {
        status,
        // No answer: the host's reason and the dispatch target, which a URL does not show when a
        // cluster field chose it (on Kong a name that does not resolve fails only now).
        failure: match status {
            Some(_) => None,
            None => Some(format!(
                "{}; sent to '{target}'",
                find(":dispatch_status")
                    .unwrap_or_else(|| "reset, timeout or unknown cluster".to_string())
            )),
        },
        body,
    };
    let outcome = shared.cache.borrow_mut().answer(fetch, now_ms(), &answer);
    if matches!(outcome, Outcome::Unknown) {
        return false;
    }
    settle(ctx, shared, current, outcome, fetch);
    true
}

/// Acts on an outcome: next call, resume the waiters, or answer them with the error.
pub fn settle(
    ctx: &dyn Context,
    shared: &Shared,
    current: u32,
    outcome: Outcome<PendingRequest>,
    fetch: u64,
) {
    match outcome {
        Outcome::Next(call) => dispatch(ctx, shared, current, fetch, &call),
        Outcome::Ready(cred, waiters) => {
            let now_s = now_ms() / 1000;
            for w in waiters {
                let Some(job) = w.job else {
                    continue; // it will find the credential in the cache
                };
                match job.finish(&cred, now_s) {
                    Ok(edits) => resume(shared, current, w.context_id, |host| {
                        host.apply_request_head(&edits, true)
                    }),
                    Err(reply) => answer_waiter(shared, current, w.context_id, &reply),
                }
            }
        }
        Outcome::Failed(e, waiters) => fail_waiters(shared, current, &e, waiters),
        Outcome::Unknown => {}
    }
}

/// Answers every waiter with the error (logged once, without secrets).
pub fn fail_waiters(
    shared: &Shared,
    current: u32,
    e: &IdentityError,
    waiters: Vec<Waiter<PendingRequest>>,
) {
    log::warn!("ai-proxy: cloud identity: {e}");
    for w in waiters {
        let reply = match &w.job {
            Some(job) => job.failed(e),
            None => failure_reply(e, shared.format),
        };
        answer_waiter(shared, current, w.context_id, &reply);
    }
}

/// Runs `apply` on context `target` and resumes it.
fn resume(
    shared: &Shared,
    current: u32,
    target: u32,
    apply: impl FnOnce(Host) -> Result<(), String>,
) {
    let host = shared.host.get();
    with_context(current, target, || {
        if let Err(e) = apply(host) {
            log::error!("ai-proxy: {e}");
        }
        // Kong resumes a request once its own dispatches are answered; resuming it here as
        // well is the SDK examples' pattern and harmless.
        if let Err(e) = raw::continue_request() {
            log::error!(
                "ai-proxy: host refused to resume the request (status {})",
                e.0
            );
        }
    });
}

/// Sends `reply` on context `target`.
fn answer_waiter(shared: &Shared, current: u32, target: u32, reply: &LocalReply) {
    if shared.bodies.borrow().contains(&target) {
        // A reply before the client's body is read can reset the connection under it and
        // lose the answer: the context sends it once its body is in.
        shared.deferred.borrow_mut().push((target, reply.clone()));
        return;
    }
    shared.replied.borrow_mut().push(target);
    with_context(current, target, || {
        if let Err(e) = raw::send_local_response(reply.status, &reply.headers, &reply.body) {
            log::error!("ai-proxy: host refused the local response (status {})", e.0);
        }
    });
}

fn with_context(current: u32, target: u32, f: impl FnOnce()) {
    if target != current {
        if let Err(e) = raw::set_effective_context(target) {
            log::warn!(
                "ai-proxy: request {target} is gone (status {}); not resumed",
                e.0
            );
            return;
        }
    }
    f();
    if target != current {
        let _ = raw::set_effective_context(current);
    }
}
