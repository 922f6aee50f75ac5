//! `ai-gateway`: a loopback HTTP/1.1 server that runs the filter (one long-lived VM, like a
//! host worker) in front of the upstream the filter chose. Each upstream response chunk goes
//! through `on_http_response_body` and out to the client at once.
//!
//! Upstream choice: Envoy profile: `:scheme`/`:authority`/`:path` after the filter (as a
//! dynamic-forward-proxy route would); Kong profile: the `kong.service.*` / `ngx.upstream_*`
//! properties the filter set, falling back to headers (`crate::upstream`). With an override,
//! every connection (requests and dispatched calls) goes to the override address, keeping the
//! Host header and path the filter set.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::client::{self, Target};
use crate::headers::{map_get, RequestHead};
use crate::profile::{HostOptions, Profile};
use crate::state::{CallResponse, HttpCall, LocalResponse};
use crate::stream::Flow;
use crate::vm::{StartError, Vm};
use crate::wasm::FilterModule;

/// Gateway settings.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// The compiled filter.
    pub module: FilterModule,
    /// Host options (profile, filter config bytes).
    pub opts: HostOptions,
    /// Send every connection here instead (keeps Host header and path).
    pub upstream_override: Option<Target>,
    /// Envoy cluster name → address for `dispatch_http_call` (others: the name is host[:port];
    /// under the Kong profile a name equal to the call's host also matches, whatever the port).
    pub clusters: Vec<(String, Target)>,
    /// One JSON object per request log line.
    pub log_json: bool,
    /// Do not print the filter's log lines.
    pub quiet: bool,
}

struct Gateway {
    vm: Mutex<Vm>,
    cfg: GatewayConfig,
    /// Dispatched calls on the wire (a paused request may be waiting on one of them).
    inflight: std::sync::atomic::AtomicUsize,
}

/// Starts the VM (runs `on_configure`): what `--check` does.
pub fn start_vm(cfg: &GatewayConfig) -> Result<Vm, StartError> {
    Vm::start(&cfg.module, cfg.opts.clone())
}

impl Gateway {
    fn with_vm<R>(&self, f: impl FnOnce(&mut Vm) -> R) -> R {
        let mut g = self.vm.lock().unwrap_or_else(|e| e.into_inner());
        let r = f(&mut g);
        let lines = g.drain_logs();
        drop(g);
        if !self.cfg.quiet {
            for l in lines {
                eprintln!("{l}");
            }
        }
        r
    }

    fn profile(&self) -> Profile {
        self.cfg.opts.profile
    }
}

/// A running gateway (tests): its address; dropped → stops.
pub struct RunningGateway {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    _server: crate::background::Background,
}

/// Starts a gateway on `127.0.0.1:0` in a background thread with its own runtime.
pub fn spawn(cfg: GatewayConfig) -> Result<RunningGateway, String> {
    let vm = start_vm(&cfg).map_err(|e| e.to_string())?;
    let server = crate::background::serve(move |l| serve(cfg, vm, l)).map_err(|e| e.to_string())?;
    Ok(RunningGateway {
        addr: server.addr,
        _server: server,
    })
}

/// Serves connections forever (runs ticks when the filter asked for them).
pub async fn serve(cfg: GatewayConfig, vm: Vm, listener: TcpListener) {
    let tick = vm.tick_period_ms();
    let gw = Arc::new(Gateway {
        vm: Mutex::new(vm),
        cfg,
        inflight: std::sync::atomic::AtomicUsize::new(0),
    });
    if let Some(ms) = tick {
        let g = gw.clone();
        tokio::spawn(async move {
            let mut iv = tokio::time::interval(Duration::from_millis(u64::from(ms.max(1))));
            iv.tick().await;
            loop {
                iv.tick().await;
                let root = g.with_vm(|vm| {
                    let _ = vm.tick();
                    vm.state().root_id
                });
                pump_calls(&g, root).await;
            }
        });
    }
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let g = gw.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| handle(g.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), svc)
                .await;
        });
    }
}

/// Response body fed from a channel (each upstream chunk after the filter).
pub struct ChannelBody {
    rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        self.rx.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data)))
    }
}

type Resp = Response<http_body_util::Either<Full<Bytes>, ChannelBody>>;

const HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "proxy-connection",
    "trailer",
];

fn local(l: &LocalResponse) -> Resp {
    let mut b = Response::builder().status(l.status as u16);
    for (k, v) in &l.headers {
        b = b.header(k.as_str(), v.as_slice());
    }
    b.body(http_body_util::Either::Left(Full::new(Bytes::from(
        l.body.clone(),
    ))))
    .unwrap_or_else(|_| Response::new(http_body_util::Either::Left(Full::new(Bytes::new()))))
}

fn text(status: u16, msg: &str) -> LocalResponse {
    LocalResponse {
        status: u32::from(status),
        details: String::new(),
        headers: vec![("content-type".into(), b"text/plain".to_vec())],
        body: format!("{msg}\n").into_bytes(),
    }
}

fn log_line(gw: &Gateway, method: &str, path: &str, status: u16, started: Instant, upstream: &str) {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    if gw.cfg.log_json {
        let v = serde_json::json!({"method": method, "path": path, "status": status, "latency_ms": (ms * 10.0).round() / 10.0, "upstream": upstream});
        println!("{v}");
    } else {
        println!(
            "{method} {path} {status} {ms:.1}ms{}",
            if upstream.is_empty() {
                String::new()
            } else {
                format!(" -> {upstream}")
            }
        );
    }
}

async fn handle(gw: Arc<Gateway>, req: Request<Incoming>) -> Result<Resp, Infallible> {
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    // Kong shows `transfer-encoding` to the filter (it tells a body is coming without a
    // length); Envoy hides it and says so with end_of_stream = false instead (measured on
    // Envoy 1.40, README.md "Real Envoy"). The upstream request gets its own framing.
    let kong = gw.profile() == Profile::Kong;
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        // `upgrade` too: the filter routes WebSocket upgrades (realtime). Envoy hides
        // `transfer-encoding` from filters; Kong shows it.
        .filter(|(k, _)| {
            (kong && *k == "transfer-encoding") || *k == "upgrade" || !HOP.contains(&k.as_str())
        })
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let head = RequestHead {
        method: method.clone(),
        path: path.clone(),
        headers,
    };
    let mut body = req.into_body();
    let mut chunks: Vec<Bytes> = Vec::new();
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => {
                if let Ok(d) = f.into_data() {
                    if !d.is_empty() {
                        chunks.push(d);
                    }
                }
            }
            Err(e) => {
                let l = text(400, &format!("cannot read request body: {e}"));
                log_line(&gw, &method, &path, 400, started, "");
                return Ok(local(&l));
            }
        }
    }
    let (resp, upstream, done) = proxy(&gw, &head, chunks, started).await;
    if done {
        log_line(
            &gw,
            &method,
            &path,
            resp.status().as_u16(),
            started,
            &upstream,
        );
    }
    Ok(resp)
}

fn ended(gw: &Gateway, id: u32) -> Option<Resp> {
    match gw.with_vm(|vm| vm.ended(id)) {
        Some(Flow::Local(l)) => {
            gw.with_vm(|vm| vm.finish(id));
            let mut r = local(&l);
            if gw.profile() == Profile::Envoy {
                // Envoy closes an HTTP/1.1 connection after a local reply sent during the
                // request (measured on Envoy 1.40, README.md "Real Envoy").
                r.headers_mut().insert(
                    hyper::header::CONNECTION,
                    hyper::header::HeaderValue::from_static("close"),
                );
            }
            Some(r)
        }
        Some(_) => {
            gw.with_vm(|vm| vm.finish(id));
            Some(local(&text(502, "dev host: stream reset")))
        }
        None => None,
    }
}

/// Runs the request through the filter and upstream. Returns the response, the upstream it
/// went to, and whether the request is finished (else the body pump logs it later).
async fn proxy(
    gw: &Arc<Gateway>,
    head: &RequestHead,
    chunks: Vec<Bytes>,
    started: Instant,
) -> (Resp, String, bool) {
    let id = match gw.with_vm(|vm| vm.new_stream()) {
        Ok(id) => id,
        Err(l) => return (local(&l), String::new(), true),
    };
    gw.with_vm(|vm| vm.request_headers(id, head, chunks.is_empty()));
    pump_calls(gw, id).await;
    if let Some(r) = ended(gw, id) {
        return (r, String::new(), true);
    }
    // Envoy delivers the data, then the end of stream on its own: `on_http_request_body(n,
    // false)` then `(n, true)`, even with Content-Length (measured on Envoy 1.40, README.md
    // "Real Envoy"). Kong: one call with the whole body (the driver).
    let envoy = gw.profile() == Profile::Envoy;
    let n = chunks.len();
    let mut feed: Vec<(&[u8], bool)> = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_ref(), i + 1 == n && !envoy))
        .collect();
    if envoy && n > 0 {
        feed.push((&[], true));
    }
    for (c, eos) in feed {
        gw.with_vm(|vm| vm.request_body(id, c, eos));
        pump_calls(gw, id).await;
        if let Some(r) = ended(gw, id) {
            return (r, String::new(), true);
        }
    }
    // A request may wait on a dispatch made by another request or the root context (a shared
    // token fetch): give it time to be resumed or answered.
    let waited = Instant::now();
    while !gw.with_vm(|vm| vm.request_complete(id)) && waited.elapsed() < Duration::from_secs(30) {
        if let Some(r) = ended(gw, id) {
            return (r, String::new(), true);
        }
        let others = gw.inflight.load(std::sync::atomic::Ordering::SeqCst) > 0;
        if !others
            && gw.with_vm(|vm| vm.stalled(id)).is_some()
            && waited.elapsed() > Duration::from_millis(100)
        {
            break;
        }
        pump_calls(gw, id).await;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let (complete, stalled) = gw.with_vm(|vm| (vm.request_complete(id), vm.stalled(id)));
    if !complete {
        gw.with_vm(|vm| vm.finish(id));
        let why = stalled.unwrap_or_else(|| "request not released by the filter".into());
        return (
            local(&text(500, &format!("dev host: {why}"))),
            String::new(),
            true,
        );
    }
    let Some(up) = gw.with_vm(|vm| vm.upstream_request(id)) else {
        return (
            local(&text(500, "dev host: stream lost")),
            String::new(),
            true,
        );
    };
    if !up.problems.is_empty() {
        gw.with_vm(|vm| vm.finish(id));
        return (
            local(&text(
                502,
                &format!(
                    "dev host: broken upstream request: {}",
                    up.problems.join("; ")
                ),
            )),
            String::new(),
            true,
        );
    }
    let target = match &gw.cfg.upstream_override {
        Some(t) => Ok(t.clone()),
        None => Target::new(&up.scheme, &up.authority),
    };
    let target = match target {
        Ok(t) => t,
        Err(e) => {
            gw.with_vm(|vm| vm.finish(id));
            return (
                local(&text(502, &format!("dev host: {e}"))),
                String::new(),
                true,
            );
        }
    };
    let upstream_desc = format!("{target}{}", up.path);
    if head.headers.iter().any(|(k, _)| k == "upgrade") {
        // This dev host proxies HTTP only: a WebSocket upgrade the filter accepted (and
        // routed) is refused here with a clear client error instead of a broken socket.
        gw.with_vm(|vm| vm.finish(id));
        let l = LocalResponse {
            status: 400,
            details: String::new(),
            headers: vec![("content-type".into(), b"application/json".to_vec())],
            body: serde_json::json!({"error": {"message": format!(
                "dev host: WebSocket upgrades are not proxied (the filter routed this one to {upstream_desc}); use Envoy for realtime"
            )}})
            .to_string()
            .into_bytes(),
        };
        return (local(&l), upstream_desc, true);
    }
    let mut b = Request::builder()
        .method(up.method.as_str())
        .uri(up.path.as_str());
    for (k, v) in &up.headers {
        if !HOP.contains(&k.as_str()) {
            b = b.header(k.as_str(), v.as_str());
        }
    }
    let req = match b.body(Full::new(Bytes::from(up.body.clone()))) {
        Ok(r) => r,
        Err(e) => {
            gw.with_vm(|vm| vm.finish(id));
            return (
                local(&text(
                    502,
                    &format!("dev host: cannot build upstream request: {e}"),
                )),
                upstream_desc,
                true,
            );
        }
    };
    // The upstream timeout runs from here to the end of the answer (Envoy's route timeout).
    let deadline = tokio::time::Instant::now() + gw.cfg.opts.upstream_timeout;
    let sent = tokio::time::timeout_at(deadline, client::send(&target, req)).await;
    let resp = match sent {
        Ok(Ok(r)) => r,
        Err(_) => return (timed_out(gw, id).await, upstream_desc, true),
        Ok(Err(e)) => {
            eprintln!("[gateway] upstream error: {e}");
            if gw.profile() == Profile::Envoy {
                // Envoy's own local replies go through the filter's response callbacks
                // (measured on Envoy 1.40, README.md "Real Envoy").
                let body = b"upstream connect error or disconnect/reset before headers. reset reason: connection failure";
                let r = envoy_reply_through_filter(gw, id, 503, body).await;
                return (r, upstream_desc, true);
            }
            gw.with_vm(|vm| vm.finish(id));
            let l = text(
                502,
                "An invalid response was received from the upstream server",
            );
            return (local(&l), upstream_desc, true);
        }
    };
    let status = resp.status().as_u16();
    let rh: Vec<(String, String)> = resp
        .headers()
        .iter()
        .filter(|(k, _)| !HOP.contains(&k.as_str()))
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = resp.into_body();
    let eos = body.is_end_stream();
    gw.with_vm(|vm| vm.response_headers(id, status, &rh, eos));
    pump_calls(gw, id).await;
    if let Some(r) = ended(gw, id) {
        return (r, upstream_desc, true);
    }
    // Envoy may hold the headers (Pause): feed body until they are released.
    let mut first = gw.with_vm(|vm| vm.take_released(id));
    let mut upstream_done = eos;
    while first.headers.is_none() && !first.complete {
        let chunk = if upstream_done {
            None
        } else {
            match tokio::time::timeout_at(deadline, next_data(&mut body)).await {
                Ok(Ok(c)) => c,
                // The headers are still held: the client gets the host's own answer.
                Ok(Err(_)) => return (host_reply(gw, id, 502), upstream_desc, true),
                Err(_) => return (host_reply(gw, id, 504), upstream_desc, true),
            }
        };
        match chunk {
            Some(d) => {
                gw.with_vm(|vm| vm.response_body(id, &d, false));
            }
            None => {
                upstream_done = true;
                gw.with_vm(|vm| vm.response_body(id, &[], true));
            }
        }
        pump_calls(gw, id).await;
        if let Some(r) = ended(gw, id) {
            return (r, upstream_desc, true);
        }
        let more = gw.with_vm(|vm| vm.take_released(id));
        if more.headers.is_some() {
            first.headers = more.headers;
        }
        first.body.extend_from_slice(&more.body);
        first.complete = more.complete;
        if upstream_done && first.headers.is_none() {
            let why = gw
                .with_vm(|vm| vm.stalled(id))
                .unwrap_or_else(|| "response headers never released".into());
            gw.with_vm(|vm| vm.finish(id));
            return (
                local(&text(500, &format!("dev host: {why}"))),
                upstream_desc,
                true,
            );
        }
    }
    let headers = first.headers.unwrap_or_default();
    let out_status = map_get(&headers, ":status")
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(status);
    let mut b = Response::builder().status(out_status);
    for (k, v) in &headers {
        if !k.starts_with(':') && !HOP.contains(&k.as_str()) {
            b = b.header(k.as_str(), v.as_slice());
        }
    }
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(64);
    let response = match b.body(http_body_util::Either::Right(ChannelBody { rx })) {
        Ok(r) => r,
        Err(e) => {
            gw.with_vm(|vm| vm.finish(id));
            return (
                local(&text(502, &format!("dev host: bad response headers: {e}"))),
                upstream_desc,
                true,
            );
        }
    };
    if !first.body.is_empty() {
        let _ = tx.send(Ok(Bytes::from(first.body))).await;
    }
    let g = gw.clone();
    let (method, path) = (head.method.clone(), head.path.clone());
    let desc = upstream_desc.clone();
    let mut complete = first.complete;
    tokio::spawn(async move {
        while !complete {
            let chunk = if upstream_done {
                None
            } else {
                match tokio::time::timeout_at(deadline, next_data(&mut body)).await {
                    Ok(Ok(c)) => c,
                    Ok(Err(e)) => {
                        // The headers are gone: both hosts reset the client stream.
                        let _ = tx.send(Err(std::io::Error::other(e))).await;
                        break;
                    }
                    Err(_) => {
                        // The headers are gone: both hosts reset the client stream.
                        eprintln!("[gateway] upstream timeout after the response headers");
                        let _ = tx
                            .send(Err(std::io::Error::other("upstream timeout")))
                            .await;
                        break;
                    }
                }
            };
            match chunk {
                Some(d) => g.with_vm(|vm| vm.response_body(id, &d, false)),
                None => {
                    upstream_done = true;
                    g.with_vm(|vm| vm.response_body(id, &[], true))
                }
            };
            pump_calls(&g, id).await;
            if let Some(f) = g.with_vm(|vm| vm.ended(id)) {
                let _ = f;
                let _ = tx
                    .send(Err(std::io::Error::other(
                        "stream reset by the filter host",
                    )))
                    .await;
                break;
            }
            let r = g.with_vm(|vm| vm.take_released(id));
            complete = r.complete;
            if !r.body.is_empty() && tx.send(Ok(Bytes::from(r.body))).await.is_err() {
                break;
            }
            if upstream_done && !complete {
                let why = g
                    .with_vm(|vm| vm.stalled(id))
                    .unwrap_or_else(|| "response not completed".into());
                eprintln!("[gateway] {why}");
                break;
            }
        }
        g.with_vm(|vm| vm.finish(id));
        log_line(&g, &method, &path, out_status, started, &desc);
    });
    (response, upstream_desc, false)
}

/// The answer to an upstream that sent no response headers in time: Envoy's
/// `504 upstream request timeout` (through the filter, like Envoy's other own answers), Kong's
/// `504 The upstream server is timed out` (measured on Envoy 1.40 by
/// tests/hostile/network.json).
async fn timed_out(gw: &Arc<Gateway>, id: u32) -> Resp {
    eprintln!("[gateway] upstream timeout");
    if gw.profile() == Profile::Envoy {
        return envoy_reply_through_filter(gw, id, 504, b"upstream request timeout").await;
    }
    host_reply(gw, id, 504)
}

/// The host's own answer, past the filter, when the upstream breaks (`502`) or times out
/// (`504`) while the filter still holds the response headers (Envoy, measured by
/// tests/hostile/network.json: the filter's body callbacks do not run for it), or before any
/// header (Kong: its error texts).
fn host_reply(gw: &Gateway, id: u32, status: u16) -> Resp {
    gw.with_vm(|vm| vm.finish(id));
    let (ct, body): (&[u8], &[u8]) = match (gw.profile(), status) {
        (Profile::Envoy, 504) => (b"text/plain", b"upstream request timeout"),
        (Profile::Envoy, _) => (
            b"text/plain",
            b"upstream connect error or disconnect/reset before headers. reset reason: protocol error",
        ),
        (Profile::Kong, 504) => (
            b"application/json; charset=utf-8",
            br#"{"message":"The upstream server is timed out"}"#,
        ),
        (Profile::Kong, _) => (
            b"application/json; charset=utf-8",
            br#"{"message":"An invalid response was received from the upstream server"}"#,
        ),
    };
    local(&LocalResponse {
        status: u32::from(status),
        details: String::new(),
        headers: vec![("content-type".into(), ct.to_vec())],
        body: body.to_vec(),
    })
}

/// An answer Envoy makes itself (503 no upstream, timeouts), run through the filter's response
/// callbacks like an upstream answer: headers, then the whole body with end of stream.
async fn envoy_reply_through_filter(gw: &Arc<Gateway>, id: u32, status: u16, body: &[u8]) -> Resp {
    let headers = vec![
        ("content-length".to_string(), body.len().to_string()),
        ("content-type".to_string(), "text/plain".to_string()),
    ];
    gw.with_vm(|vm| vm.response_headers(id, status, &headers, false));
    pump_calls(gw, id).await;
    if let Some(r) = ended(gw, id) {
        return r;
    }
    gw.with_vm(|vm| vm.response_body(id, body, true));
    pump_calls(gw, id).await;
    if let Some(r) = ended(gw, id) {
        return r;
    }
    let rel = gw.with_vm(|vm| vm.take_released(id));
    gw.with_vm(|vm| vm.finish(id));
    let out = rel.headers.unwrap_or_default();
    let out_status = map_get(&out, ":status")
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(status);
    let mut b = Response::builder().status(out_status);
    for (k, v) in &out {
        // The filter may have replaced the body: the length is the body's own.
        if !k.starts_with(':') && !HOP.contains(&k.as_str()) && k != "content-length" {
            b = b.header(k.as_str(), v.as_slice());
        }
    }
    b.body(http_body_util::Either::Left(Full::new(Bytes::from(
        rel.body,
    ))))
    .unwrap_or_else(|_| local(&text(status, "dev host: bad local reply headers")))
}

/// The next data of an upstream body: `Ok(None)` at its end, `Err` when the connection broke
/// first (a reset, a close before the promised `content-length` or last chunk).
async fn next_data(body: &mut Incoming) -> Result<Option<Bytes>, String> {
    loop {
        match body.frame().await {
            Some(Ok(f)) => {
                if let Ok(d) = f.into_data() {
                    if !d.is_empty() {
                        return Ok(Some(d));
                    }
                }
            }
            Some(Err(e)) => {
                eprintln!("[gateway] upstream body error: {e}");
                return Err(e.to_string());
            }
            None => return Ok(None),
        }
    }
}

/// Performs the dispatched calls of context `ctx` and delivers the answers, until none is left.
async fn pump_calls(gw: &Arc<Gateway>, ctx: u32) {
    let mut delivered = false;
    loop {
        let calls = gw.with_vm(|vm| vm.take_calls_for(ctx));
        if calls.is_empty() {
            if delivered {
                gw.with_vm(|vm| vm.dispatches_done(ctx));
            }
            return;
        }
        delivered = true;
        for c in calls {
            gw.inflight
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let ans = do_call(gw, &c).await;
            gw.inflight
                .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            gw.with_vm(|vm| {
                let _ = vm.deliver_call(&c, ans);
            });
        }
    }
}

async fn do_call(gw: &Gateway, c: &HttpCall) -> Option<CallResponse> {
    let scheme = c.header(":scheme").unwrap_or("http").to_string();
    // An explicit `--cluster` mapping wins over the blanket `--upstream-override`. Kong
    // dispatches to `host:port` and resolves the host: there a mapping named after the host
    // stands for that name's address, whatever the port.
    let kong = gw.profile() == Profile::Kong;
    let named = |n: &str| {
        n == c.upstream || (kong && c.upstream.rsplit_once(':').is_some_and(|(h, _)| h == n))
    };
    let target = if let Some((_, t)) = gw.cfg.clusters.iter().find(|(n, _)| named(n)) {
        Ok(t.clone())
    } else if let Some(t) = &gw.cfg.upstream_override {
        Ok(t.clone())
    } else {
        Target::new(&scheme, &c.upstream)
    };
    let target = match target {
        Ok(t) => t,
        Err(e) => {
            eprintln!("[gateway] dispatch to {}: {e}", c.upstream);
            return None;
        }
    };
    let authority = c
        .header(":authority")
        .or_else(|| c.header("host"))
        .unwrap_or(&c.upstream)
        .to_string();
    let mut b = Request::builder()
        .method(c.header(":method").unwrap_or("GET"))
        .uri(c.header(":path").unwrap_or("/"))
        .header("host", authority);
    for (k, v) in &c.headers {
        if !k.starts_with(':') && !k.eq_ignore_ascii_case("host") {
            b = b.header(k.as_str(), v.as_slice());
        }
    }
    let req = b.body(Full::new(Bytes::from(c.body.clone()))).ok()?;
    let timeout = Duration::from_millis(if c.timeout_ms == 0 {
        30_000
    } else {
        u64::from(c.timeout_ms)
    });
    let fut = async {
        let resp = client::send(&target, req).await.ok()?;
        let mut headers = vec![(
            ":status".to_string(),
            resp.status().as_u16().to_string().into_bytes(),
        )];
        headers.extend(
            resp.headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec())),
        );
        let body = resp.into_body().collect().await.ok()?.to_bytes().to_vec();
        Some(CallResponse {
            headers,
            body,
            trailers: Vec::new(),
        })
    };
    match tokio::time::timeout(timeout, fut).await {
        Ok(r) => r,
        Err(_) => {
            eprintln!("[gateway] dispatch to {} timed out", c.upstream);
            None
        }
    }
}
