//! A synchronous request runner for tests: one request through a [`Vm`] with a scripted
//! upstream answer and dispatch responder, returning everything observable.

use std::collections::HashMap;

use crate::abi::HeaderPairs;
use crate::headers::RequestHead;
use crate::state::{CallResponse, HttpCall, LocalResponse};
use crate::stream::{Flow, UpstreamRequest};
use crate::vm::Vm;

/// A client request: head and body chunks (as they arrive).
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Method, path, headers.
    pub head: RequestHead,
    /// Body chunks; empty = no body.
    pub chunks: Vec<Vec<u8>>,
}

impl Request {
    /// A request with a body delivered in one chunk (none if empty). A body without a
    /// `content-length` or `transfer-encoding` header gets a `content-length`, as real
    /// HTTP/1.1 clients send.
    pub fn new(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let chunks = if body.is_empty() {
            Vec::new()
        } else {
            vec![body.to_vec()]
        };
        let mut head = RequestHead::new(method, path, headers);
        if !body.is_empty()
            && head.header("content-length").is_none()
            && head.header("transfer-encoding").is_none()
        {
            head.headers
                .push(("content-length".into(), body.len().to_string()));
        }
        Self { head, chunks }
    }

    /// Same, body split into pieces of `n` bytes.
    pub fn chunked(mut self, n: usize) -> Self {
        let all: Vec<u8> = self.chunks.concat();
        self.chunks = all.chunks(n.max(1)).map(|c| c.to_vec()).collect();
        self
    }
}

/// What the upstream answers.
#[derive(Debug, Clone, Default)]
pub struct UpstreamReply {
    /// Status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body chunks as they arrive.
    pub chunks: Vec<Vec<u8>>,
}

impl UpstreamReply {
    /// A reply with one body chunk.
    pub fn new(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let chunks = if body.is_empty() {
            Vec::new()
        } else {
            vec![body.to_vec()]
        };
        Self {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            chunks,
        }
    }
}

/// Everything a test can look at after one request.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The request the upstream received (None when answered locally).
    pub upstream: Option<UpstreamRequest>,
    /// Status the client got.
    pub status: u16,
    /// Response headers the client got (with `:status`).
    pub headers: HeaderPairs,
    /// Response body the client got.
    pub body: Vec<u8>,
    /// Body as released, chunk by chunk (streaming checks).
    pub body_chunks: Vec<Vec<u8>>,
    /// The local response, when there was one.
    pub local: Option<LocalResponse>,
    /// The stream was reset.
    pub reset: bool,
    /// Why it stalled, if it did.
    pub stalled: Option<String>,
    /// Dispatched calls.
    pub calls: Vec<HttpCall>,
    /// Callbacks made.
    pub trace: Vec<String>,
    /// Properties set on the stream.
    pub properties: HashMap<String, Vec<u8>>,
    /// Captured log.
    pub logs: String,
}

impl Outcome {
    /// Body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A response header.
    pub fn header(&self, name: &str) -> Option<&str> {
        crate::headers::map_get(&self.headers, name)
    }
}

fn drain(
    vm: &mut Vm,
    calls: &mut dyn FnMut(&HttpCall) -> Option<CallResponse>,
    seen: &mut Vec<HttpCall>,
) {
    while vm.has_calls() {
        let batch = vm.take_calls();
        for c in &batch {
            let ans = calls(c);
            seen.push(c.clone());
            let _ = vm.deliver_call(c, ans);
        }
        for c in &batch {
            vm.dispatches_done(c.context_id);
        }
    }
}

fn local_outcome(mut o: Outcome, l: LocalResponse) -> Outcome {
    o.status = l.status as u16;
    o.headers = vec![(":status".into(), l.status.to_string().into_bytes())];
    o.headers.extend(l.headers.iter().cloned());
    o.body = l.body.clone();
    o.local = Some(l);
    o
}

/// Runs one request: client → filter → `upstream` → filter → client.
pub fn run(
    vm: &mut Vm,
    req: &Request,
    upstream: &mut dyn FnMut(&UpstreamRequest) -> UpstreamReply,
    calls: &mut dyn FnMut(&HttpCall) -> Option<CallResponse>,
) -> Outcome {
    let mut o = Outcome::default();
    let id = match vm.new_stream() {
        Ok(id) => id,
        Err(l) => {
            o.logs = vm.log_text();
            return local_outcome(o, l);
        }
    };
    let o = run_stream(vm, id, req, upstream, calls, o);
    vm.finish(id);
    o
}

fn run_stream(
    vm: &mut Vm,
    id: u32,
    req: &Request,
    upstream: &mut dyn FnMut(&UpstreamRequest) -> UpstreamReply,
    calls: &mut dyn FnMut(&HttpCall) -> Option<CallResponse>,
    mut o: Outcome,
) -> Outcome {
    let snapshot = |vm: &mut Vm, mut o: Outcome| -> Outcome {
        o.trace = vm.trace(id).to_vec();
        o.properties = vm
            .stream_state(id)
            .map(|s| s.properties.clone())
            .unwrap_or_default();
        o.logs = vm.log_text();
        o
    };
    let ended = |vm: &mut Vm, o: &mut Outcome| -> Option<Outcome> {
        match vm.ended(id) {
            Some(Flow::Local(l)) => Some(local_outcome(std::mem::take(o), l)),
            Some(Flow::Reset) => {
                o.reset = true;
                Some(std::mem::take(o))
            }
            _ => None,
        }
    };
    vm.request_headers(id, &req.head, req.chunks.is_empty());
    drain(vm, calls, &mut o.calls);
    if let Some(done) = ended(vm, &mut o) {
        return snapshot(vm, done);
    }
    let n = req.chunks.len();
    for (i, c) in req.chunks.iter().enumerate() {
        vm.request_body(id, c, i + 1 == n);
        drain(vm, calls, &mut o.calls);
        if let Some(done) = ended(vm, &mut o) {
            return snapshot(vm, done);
        }
    }
    if !vm.request_complete(id) {
        o.stalled = Some(
            vm.stalled(id)
                .unwrap_or_else(|| "request not released".into()),
        );
        return snapshot(vm, o);
    }
    let up = vm.upstream_request(id).unwrap_or_else(|| UpstreamRequest {
        method: String::new(),
        scheme: String::new(),
        authority: String::new(),
        path: String::new(),
        headers: Vec::new(),
        body: Vec::new(),
        problems: vec!["no stream".into()],
    });
    let reply = upstream(&up);
    o.upstream = Some(up);
    let collect = |vm: &mut Vm, o: &mut Outcome| {
        let r = vm.take_released(id);
        if let Some(h) = r.headers {
            o.status = crate::headers::map_get(&h, ":status")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            o.headers = h;
        }
        if !r.body.is_empty() {
            o.body.extend_from_slice(&r.body);
            o.body_chunks.push(r.body);
        }
    };
    vm.response_headers(id, reply.status, &reply.headers, reply.chunks.is_empty());
    drain(vm, calls, &mut o.calls);
    collect(vm, &mut o);
    if let Some(done) = ended(vm, &mut o) {
        return snapshot(vm, done);
    }
    for c in &reply.chunks {
        vm.response_body(id, c, false);
        drain(vm, calls, &mut o.calls);
        collect(vm, &mut o);
        if let Some(done) = ended(vm, &mut o) {
            return snapshot(vm, done);
        }
    }
    if !reply.chunks.is_empty() {
        vm.response_body(id, &[], true);
        drain(vm, calls, &mut o.calls);
        collect(vm, &mut o);
        if let Some(done) = ended(vm, &mut o) {
            return snapshot(vm, done);
        }
    }
    if !vm.take_released(id).complete && o.stalled.is_none() {
        o.stalled = vm.stalled(id);
    }
    snapshot(vm, o)
}
