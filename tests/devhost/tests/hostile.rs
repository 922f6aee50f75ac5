//! The bad-input catalogue (`tests/hostile/*.json`, docs/hostile-input.md): every case runs
//! through the real `ai_proxy.wasm` under both emulator profiles, one long-lived VM per
//! (profile, config) so a leak or a trap in one case shows in the next. Each case states the
//! exact status and, for the filter's own answers, the exact OpenAI-style error body. On top of
//! each case's own expectation, every case checks: no trap, no hang (the exchange completes),
//! no 5xx for a client fault, no configured key in the answer or the log, and a cut streamed
//! answer ends with an error event then `data: [DONE]`.

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::HashMap;
use std::path::PathBuf;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use devhost::envoy::{self, GatewaySpec, RealEnvoy, TestHost};
use devhost::harness::{self, Outcome, Request, UpstreamReply};
use devhost::headers::RequestHead;
use devhost::mock::faults::{Fault, FaultServer, Scripted};
use devhost::{testing, HostOptions, Profile, Vm};
use serde_json::Value;

fn dir() -> PathBuf {
    testing::workspace_root().join("tests/hostile")
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `prefix + unit × count + suffix`, or `prefix + open × depth + mid + close × depth + suffix`.
fn generate(g: &Value) -> Vec<u8> {
    let s = |k: &str| g[k].as_str().unwrap_or("").to_string();
    let mut out = s("prefix").into_bytes();
    if let Some(n) = g["count"].as_u64() {
        out.extend(s("unit").repeat(n as usize).into_bytes());
    }
    if let Some(d) = g["depth"].as_u64() {
        out.extend(s("open").repeat(d as usize).into_bytes());
        out.extend(s("mid").into_bytes());
        out.extend(s("close").repeat(d as usize).into_bytes());
    }
    out.extend(s("suffix").into_bytes());
    out
}

/// The body bytes a spec (request or upstream) describes.
fn body_of(spec: &Value) -> Option<Vec<u8>> {
    if let Some(b) = spec["body"].as_str() {
        return Some(b.as_bytes().to_vec());
    }
    if let Some(h) = spec["body_hex"].as_str() {
        return Some(hex(h));
    }
    if let Some(f) = spec["body_file"].as_str() {
        return Some(std::fs::read(dir().join("data").join(f)).unwrap());
    }
    if spec["body_gen"].is_object() {
        return Some(generate(&spec["body_gen"]));
    }
    None
}

fn chunks_of(spec: &Value) -> Vec<Vec<u8>> {
    let mut all: Vec<Vec<u8>> = if let Some(c) = spec["chunks"].as_array() {
        c.iter()
            .map(|c| c.as_str().unwrap().as_bytes().to_vec())
            .collect()
    } else if let Some(c) = spec["chunks_hex"].as_array() {
        c.iter().map(|c| hex(c.as_str().unwrap())).collect()
    } else if let Some(c) = spec["chunks_gen"].as_array() {
        c.iter().map(generate).collect()
    } else {
        body_of(spec).into_iter().collect()
    };
    if let Some(n) = spec["chunk"].as_u64() {
        all = all
            .concat()
            .chunks(n.max(1) as usize)
            .map(<[u8]>::to_vec)
            .collect();
    }
    all.retain(|c| !c.is_empty());
    all
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap().to_string(),
                        p[1].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn request(case: &Value) -> Request {
    let r = &case["request"];
    let body = body_of(r).unwrap_or_default();
    let mut headers = vec![
        ("host".to_string(), "gateway.local".to_string()),
        ("content-type".to_string(), "application/json".to_string()),
    ];
    for (k, v) in pairs(&r["headers"]) {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&k));
        headers.push((k, v));
    }
    for (k, v) in pairs(&r["headers_hex"]) {
        headers.push((k, String::from_utf8_lossy(&hex(&v)).into_owned()));
    }
    let declared = headers
        .iter()
        .any(|(k, _)| k == "content-length" || k == "transfer-encoding");
    if !body.is_empty() && !declared && r["no_content_length"] != true {
        headers.push(("content-length".into(), body.len().to_string()));
    }
    let mut req = Request {
        head: RequestHead {
            method: r["method"].as_str().unwrap_or("POST").to_string(),
            path: r["path"]
                .as_str()
                .unwrap_or("/v1/chat/completions")
                .to_string(),
            headers,
        },
        chunks: if body.is_empty() { vec![] } else { vec![body] },
    };
    if let Some(n) = r["chunk"].as_u64() {
        req = req.chunked(n as usize);
    }
    req
}

fn upstream_reply(spec: &Value) -> UpstreamReply {
    UpstreamReply {
        status: spec["status"].as_u64().unwrap() as u16,
        headers: pairs(&spec["headers"]),
        chunks: chunks_of(spec),
    }
}

/// The expectation for this host: `expect`, overridden by `expect_envoy` / `expect_kong` per
/// profile, then by `expect_real_envoy` (what Envoy's own codec, limits and timeouts do
/// before or around the filter) or `expect_emulator` (what the emulator's HTTP stack does
/// there), each recorded with its `why`.
fn expectation(case: &Value, host: TestHost) -> Value {
    let mut e = case["expect"].clone();
    let mut keys = vec![match host.profile() {
        Profile::Envoy => "expect_envoy",
        Profile::Kong => "expect_kong",
    }];
    keys.push(if host == TestHost::RealEnvoy {
        "expect_real_envoy"
    } else {
        "expect_emulator"
    });
    for key in keys {
        if let Some(o) = case[key].as_object() {
            for (k, v) in o {
                e[k] = v.clone();
            }
        }
    }
    e
}

/// In-process runs say their profile; the emulator's hosts stand for them.
fn emulated(profile: Profile) -> TestHost {
    match profile {
        Profile::Envoy => TestHost::EmuEnvoy,
        Profile::Kong => TestHost::EmuKong,
    }
}

/// The SSE `data:` payloads of a streamed answer.
fn data_events(body: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    text.split("\n\n")
        .filter_map(|ev| {
            let data: Vec<&str> = ev
                .lines()
                .filter_map(|l| l.strip_prefix("data:").map(str::trim_start))
                .collect();
            (!data.is_empty()).then(|| data.join("\n"))
        })
        .collect()
}

struct Run {
    failures: Vec<String>,
    cases: usize,
}

fn check(
    case: &Value,
    host: TestHost,
    o: &Outcome,
    new_logs: &str,
    keys: &[String],
) -> Vec<String> {
    let name = format!("{} / {}", host.name(), case["name"].as_str().unwrap());
    let e = expectation(case, host);
    let mut f = Vec::new();
    if new_logs.contains("trap in ") {
        f.push(format!("{name}: trapped:\n{new_logs}"));
    }
    let problems = envoy::problem_lines(new_logs);
    if !problems.is_empty() {
        f.push(format!(
            "{name}: wasm failure in Envoy's log:\n{}",
            problems.join("\n")
        ));
    }
    if let Some(s) = &o.stalled {
        f.push(format!("{name}: hung: {s}"));
    }
    if o.reset && e["reset"] != true {
        f.push(format!("{name}: stream reset"));
    }
    if e["reset"] == true && !o.reset {
        f.push(format!("{name}: the client stream was not reset"));
    }
    if let Some(prefix) = e["body_prefix"].as_str() {
        // What reached the client before a reset: nothing the upstream sent is lost.
        if !o.text().starts_with(prefix) {
            f.push(format!(
                "{name}: body {:.300} (want it to start with {prefix:.300})",
                o.text()
            ));
        }
    }
    let want = e["status"].as_u64().unwrap() as u16;
    if o.status != want {
        f.push(format!(
            "{name}: status {} (want {want}); body {}",
            o.status,
            String::from_utf8_lossy(&o.body[..o.body.len().min(300)])
        ));
    }
    if case["kind"] == "client" && o.status >= 500 {
        f.push(format!("{name}: 5xx for a client fault"));
    }
    if let Some(text) = e["body_text"].as_str() {
        // The host's own answer (recorded per host, with its reason in `why`).
        if o.text().trim_end() != text {
            f.push(format!("{name}: body {:.300} (want {text})", o.text()));
        }
    } else if let Some(body) = e.get("body") {
        let got: Result<Value, _> = serde_json::from_slice(&o.body);
        if got.as_ref().ok() != Some(body) {
            f.push(format!("{name}: body {:.300} (want {body})", o.text()));
        }
    } else if o.status >= 400 && case["upstream"]["status"].as_u64() != Some(u64::from(o.status)) {
        // The filter's own error: always an OpenAI-style JSON error with a message.
        let got: Value = serde_json::from_slice(&o.body).unwrap_or(Value::Null);
        if !got["error"]["message"].is_string() {
            f.push(format!("{name}: not an OpenAI-style error: {}", o.text()));
        }
    }
    match e["stream"].as_str() {
        Some("done") | Some("error_then_done") => {
            let events = data_events(&o.body);
            let n = events.len();
            if n == 0 || events[n - 1] != "[DONE]" {
                let last: Vec<String> = events
                    .iter()
                    .rev()
                    .take(2)
                    .map(|e| e.chars().take(200).collect())
                    .collect();
                f.push(format!(
                    "{name}: stream does not end with [DONE]: …{last:?}"
                ));
            } else if e["stream"] == "error_then_done" {
                let before = n.checked_sub(2).map(|i| events[i].as_str()).unwrap_or("");
                let err: Value = serde_json::from_str(before).unwrap_or(Value::Null);
                if !err["error"].is_object() {
                    f.push(format!(
                        "{name}: no error event before [DONE]: {before:.300}"
                    ));
                }
            }
            if events.iter().filter(|e| *e == "[DONE]").count() > 1 {
                f.push(format!("{name}: [DONE] twice"));
            }
        }
        _ => {}
    }
    let headers = format!("{:?}", o.headers);
    for k in keys {
        for (what, text) in [
            ("body", o.text()),
            ("headers", headers.clone()),
            ("log", new_logs.to_string()),
        ] {
            if text.contains(k.as_str()) {
                f.push(format!("{name}: key {k} in the {what}"));
            }
        }
    }
    f
}

/// What both catalogue runners start from: the configs, the keys that must never show, the
/// cases of `file`, the one case `HOSTILE_CASE` picks (if any) and an empty run.
fn catalogue(file: &str) -> (Value, Vec<String>, Value, Option<String>, Run) {
    let configs = load("configs.json");
    let keys: Vec<String> = configs["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    let run = Run {
        failures: Vec::new(),
        cases: 0,
    };
    (
        configs,
        keys,
        load(file),
        std::env::var("HOSTILE_CASE").ok(),
        run,
    )
}

fn run_catalogue(file: &str, profiles: &[Profile]) -> Run {
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");
    let (configs, keys, cases, only, mut run) = catalogue(file);
    for &profile in profiles {
        let mut vms: HashMap<String, Vm> = HashMap::new();
        for case in cases.as_array().unwrap() {
            if only
                .as_deref()
                .is_some_and(|o| !case["name"].as_str().unwrap().contains(o))
            {
                continue;
            }
            let cfg_name = case["config"].as_str().unwrap().to_string();
            let cfg = &configs["configs"][&cfg_name];
            let vm = vms.entry(cfg_name.clone()).or_insert_with(|| {
                let opts = HostOptions::with_config(profile, cfg["config"].to_string());
                Vm::start(&module, opts).unwrap_or_else(|e| panic!("{cfg_name}: {e}"))
            });
            let _ = vm.drain_logs();
            let req = request(case);
            let reply = if case["upstream"].is_object() {
                upstream_reply(&case["upstream"])
            } else {
                upstream_reply(&cfg["ok"])
            };
            let o = harness::run(vm, &req, &mut |_| reply.clone(), &mut |_| None);
            let new_logs: String = vm.drain_logs().iter().map(|l| format!("{l}\n")).collect();
            if std::env::var_os("HOSTILE_SHOW").is_some() {
                eprintln!(
                    "{profile:?} / {}: {} {}",
                    case["name"],
                    o.status,
                    String::from_utf8_lossy(&o.body[..o.body.len().min(400)])
                );
            }
            run.failures
                .extend(check(case, emulated(profile), &o, &new_logs, &keys));
            if vm.failed.is_some() {
                run.failures
                    .push(format!("{profile:?}: VM failed after {}", case["name"]));
                vms.remove(&cfg_name);
            }
            run.cases += 1;
        }
    }
    run
}

fn assert_run(run: Run, min_cases: usize) {
    assert!(
        run.failures.is_empty(),
        "{} of {} case runs failed:\n{}",
        run.failures.len(),
        run.cases,
        run.failures.join("\n")
    );
    if std::env::var_os("HOSTILE_CASE").is_none() {
        assert!(run.cases >= min_cases, "{} case runs", run.cases);
    }
}

/// Client-side faults: bad JSON, bad UTF-8, deep nesting, wrong types, sizes, framing, headers.
#[test]
fn client_faults_get_4xx_under_both_profiles() {
    assert_run(
        run_catalogue("client.json", &[Profile::Envoy, Profile::Kong]),
        160,
    );
}

/// Upstream faults: broken, truncated, huge or lying answers and streams.
#[test]
fn upstream_faults_are_contained_under_both_profiles() {
    assert_run(
        run_catalogue("upstream.json", &[Profile::Envoy, Profile::Kong]),
        60,
    );
}

/// The route timeout of the gateways the network runs use, unless a case sets
/// `route_timeout_ms` (the stalled-upstream cases do).
const ROUTE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a client waits for a whole answer before calling it a hang.
const CLIENT_LIMIT: Duration = Duration::from_secs(30);

/// The bytes a client sends for `case`: raw HTTP/1.1, so CR/LF inside a header value, a
/// lying `content-length` or bad chunking reach the host exactly as written (`wire_body` or
/// `wire_body_hex` replace the framed body).
fn wire_request(case: &Value) -> Vec<u8> {
    let r = &case["request"];
    let body = body_of(r).unwrap_or_default();
    let mut headers: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (b"host".to_vec(), b"gateway.local".to_vec()),
        (b"content-type".to_vec(), b"application/json".to_vec()),
        (b"connection".to_vec(), b"close".to_vec()),
    ];
    for (k, v) in pairs(&r["headers"]) {
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(k.as_bytes()));
        headers.push((k.into_bytes(), v.into_bytes()));
    }
    for (k, v) in pairs(&r["headers_hex"]) {
        headers.push((k.into_bytes(), hex(&v)));
    }
    let has = |n: &str| {
        headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(n.as_bytes()))
    };
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case(b"transfer-encoding") && v == b"chunked");
    if !body.is_empty() && !has("content-length") && !chunked && r["no_content_length"] != true {
        headers.push((
            b"content-length".to_vec(),
            body.len().to_string().into_bytes(),
        ));
    }
    let method = r["method"].as_str().unwrap_or("POST");
    let path = r["path"].as_str().unwrap_or("/v1/chat/completions");
    let mut out = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
    for (k, v) in headers {
        out.extend(k);
        out.extend(b": ");
        out.extend(v);
        out.extend(b"\r\n");
    }
    out.extend(b"\r\n");
    if let Some(w) = r["wire_body"].as_str() {
        out.extend(w.as_bytes());
    } else if let Some(w) = r["wire_body_hex"].as_str() {
        out.extend(hex(w));
    } else if chunked {
        let n = r["chunk"].as_u64().unwrap_or(body.len().max(1) as u64) as usize;
        for c in body.chunks(n.max(1)) {
            out.extend(format!("{:x}\r\n", c.len()).into_bytes());
            out.extend(c);
            out.extend(b"\r\n");
        }
        out.extend(b"0\r\n\r\n");
    } else {
        out.extend(body);
    }
    out
}

/// An HTTP/1.1 response as read off the wire: `reset` when the connection ended (or was
/// reset) before the response was complete, `stalled` when nothing ended it in time.
fn exchange_raw(addr: SocketAddr, wire: &[u8], half_close: bool, limit: Duration) -> Outcome {
    let mut o = Outcome::default();
    let mut s = match TcpStream::connect(addr) {
        Ok(s) => s,
        Err(e) => {
            o.stalled = Some(format!("connect {addr}: {e}"));
            return o;
        }
    };
    let _ = s.set_write_timeout(Some(Duration::from_secs(10)));
    let _ = s.set_read_timeout(Some(Duration::from_millis(100)));
    // The host may answer (and close) before it read everything: write errors are its answer.
    // The request is written while the answer is read, so an early answer is not lost to the
    // reset a close with unread request bytes causes.
    let writer = s.try_clone().ok().map(|mut w| {
        let wire = wire.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&wire);
            if half_close {
                let _ = w.shutdown(Shutdown::Write);
            }
        })
    });
    let start = Instant::now();
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut cut = false;
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                raw.extend_from_slice(&buf[..n]);
                // A whole framed answer ends the exchange (the host may keep the connection
                // open a while after it).
                let mut probe = Outcome::default();
                if parse_wire(&raw, &mut probe)
                    && (probe.header("content-length").is_some()
                        || probe.header("transfer-encoding").is_some())
                {
                    break;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if start.elapsed() > limit {
                    o.stalled = Some(format!("no end of the answer after {limit:?}"));
                    break;
                }
            }
            Err(_) => {
                cut = true;
                break;
            }
        }
    }
    if let Some(w) = writer {
        let _ = s.shutdown(Shutdown::Both);
        let _ = w.join();
    }
    let complete = parse_wire(&raw, &mut o);
    // A reset after a whole framed answer (Envoy's 413 while the client still writes) loses
    // nothing; one that ends a close-delimited answer may have.
    let close_delimited =
        o.header("content-length").is_none() && o.header("transfer-encoding").is_none();
    o.reset = o.stalled.is_none() && (!complete || (cut && close_delimited));
    o
}

/// Fills status, headers and body from raw response bytes; `true` when the response was
/// complete (its length, its last chunk, or a close-delimited body).
fn parse_wire(raw: &[u8], o: &mut Outcome) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        o.body = raw.to_vec();
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    o.status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    o.headers = vec![(":status".into(), o.status.to_string().into_bytes())];
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            o.headers
                .push((k.trim().to_ascii_lowercase(), v.trim().as_bytes().to_vec()));
        }
    }
    let rest = &raw[end + 4..];
    let header = |n: &str| o.header(n).map(str::to_string);
    if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        let mut at = 0;
        let mut body = Vec::new();
        loop {
            let Some(le) = rest[at..].windows(2).position(|w| w == b"\r\n") else {
                o.body = body;
                return false;
            };
            let size_text = String::from_utf8_lossy(&rest[at..at + le]).into_owned();
            let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            else {
                o.body = body;
                return false;
            };
            at += le + 2;
            if size == 0 {
                o.body = body;
                return true;
            }
            let take = size.min(rest.len() - at);
            body.extend_from_slice(&rest[at..at + take]);
            if take < size {
                o.body = body;
                return false;
            }
            at += size + 2;
            if at > rest.len() {
                o.body = body;
                return false;
            }
        }
    }
    if let Some(n) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        o.body = rest[..n.min(rest.len())].to_vec();
        return rest.len() >= n;
    }
    o.body = rest.to_vec();
    true
}

/// The scripted upstream reply of a reply spec (`fault` names a [`Fault`]).
fn scripted(spec: &Value) -> Scripted {
    Scripted {
        status: spec["status"].as_u64().unwrap() as u16,
        headers: pairs(&spec["headers"]),
        pieces: chunks_of(spec),
        fault: spec["fault"]
            .as_str()
            .map(|f| Fault::parse(f).unwrap_or_else(|| panic!("unknown fault {f}")))
            .unwrap_or_default(),
    }
}

/// A gateway of some host in front of a scripted upstream, for one config.
struct NetGateway {
    upstream: FaultServer,
    gateway: envoy::Gateway,
}

/// Runs the cases of `file` over the network: a raw HTTP/1.1 client, a gateway of `host`
/// (real Envoy, or the emulator's `ai-gateway` in a profile), one scripted upstream per
/// config ([`FaultServer`]). Gateways use the buffer limits of the in-process runs (1 MiB
/// for Envoy, Kong's 8k body buffer). A case can name its `hosts` (by [`TestHost::name`]).
fn run_catalogue_on(file: &str, host: TestHost) -> Run {
    let (configs, keys, cases, only, mut run) = catalogue(file);
    let mut gws: HashMap<(String, u64), NetGateway> = HashMap::new();
    for case in cases.as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        if only.as_deref().is_some_and(|o| !name.contains(o)) {
            continue;
        }
        if let Some(h) = case["hosts"].as_array() {
            if !h.iter().any(|h| h == host.name()) {
                continue;
            }
        }
        let cfg_name = case["config"].as_str().unwrap().to_string();
        let cfg = &configs["configs"][&cfg_name];
        let timeout_ms = case["route_timeout_ms"]
            .as_u64()
            .unwrap_or(ROUTE_TIMEOUT.as_millis() as u64);
        let gw = gws
            .entry((cfg_name.clone(), timeout_ms))
            .or_insert_with(|| {
                let upstream = FaultServer::start().unwrap();
                let mut spec = GatewaySpec::new(&cfg["config"].to_string(), &upstream.url());
                spec.buffer_limit = 1 << 20;
                spec.client_body_buffer_size = 8 << 10;
                spec.route_timeout = Duration::from_millis(timeout_ms);
                let gateway = host
                    .try_gateway(&spec)
                    .unwrap_or_else(|e| panic!("{}: {cfg_name}: {e}", host.name()));
                NetGateway { upstream, gateway }
            });
        gw.upstream.set(if case["upstream"].is_object() {
            scripted(&case["upstream"])
        } else {
            scripted(&cfg["ok"])
        });
        let log_from = match host {
            TestHost::RealEnvoy => RealEnvoy::shared().map(|e| e.log_len()).unwrap_or(0),
            _ => 0,
        };
        let started = Instant::now();
        let o = exchange_raw(
            gw.gateway.addr,
            &wire_request(case),
            case["request"]["half_close"] == true,
            CLIENT_LIMIT,
        );
        let took = started.elapsed();
        let new_logs = match host {
            TestHost::RealEnvoy => RealEnvoy::shared()
                .map(|e| e.log_since(log_from))
                .unwrap_or_default(),
            _ => String::new(),
        };
        if std::env::var_os("HOSTILE_SHOW").is_some() {
            eprintln!(
                "{} / {name}: {} reset={} {:?} in {took:?}: {}",
                host.name(),
                o.status,
                o.reset,
                o.stalled,
                String::from_utf8_lossy(&o.body[..o.body.len().min(400)])
            );
        }
        let mut f = check(case, host, &o, &new_logs, &keys);
        if let Some(ms) = case["expect"]["within_ms"].as_u64() {
            if took > Duration::from_millis(ms) {
                f.push(format!(
                    "{} / {name}: took {took:?} (want at most {ms} ms)",
                    host.name()
                ));
            }
        }
        run.failures.extend(f);
        envoy::record(host.name(), &format!("hostile: {name}"));
        run.cases += 1;
    }
    run
}

/// The client-side catalogue under real Envoy: Envoy's codec and limits answer some cases
/// before the filter sees them (`expect_real_envoy`, docs/hostile-input.md).
#[test]
fn client_faults_under_real_envoy() {
    assert_run(run_catalogue_on("client.json", TestHost::RealEnvoy), 100);
}

/// The upstream-side catalogue under real Envoy, the upstream scripted byte by byte.
#[test]
fn upstream_faults_under_real_envoy() {
    assert_run(run_catalogue_on("upstream.json", TestHost::RealEnvoy), 40);
}

/// The same catalogue through Kong's engine (real nginx + ngx_wasm_module), when it is built:
/// streams that end in an error frame end there too (a replaced last chunk once lost the end
/// of the body, docs/hosts.md §9).
#[test]
fn upstream_faults_under_real_nginx() {
    if !devhost::nginx::available() {
        return;
    }
    assert_run(run_catalogue_on("upstream.json", TestHost::RealNginx), 40);
}

/// Faults only a real connection shows (resets, stalls, lying lengths), under every host a
/// case names.
#[test]
fn connection_faults_under_every_host() {
    let mut all = Run {
        failures: Vec::new(),
        cases: 0,
    };
    let pick = std::env::var("HOSTILE_HOST").ok();
    for host in TestHost::ALL {
        if pick.as_deref().is_some_and(|p| p != host.name()) {
            continue;
        }
        let r = run_catalogue_on("network.json", host);
        all.failures.extend(r.failures);
        all.cases += r.cases;
    }
    assert_run(all, 10);
}

/// Resident set size of this process, from `/proc/self/status` (0 where unavailable).
fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The soak mix: chat, streams, tool calls, errors and 1 MiB bodies, cycled.
fn soak_mix() -> Vec<(String, Request, UpstreamReply)> {
    let configs = load("configs.json");
    let mut mix = Vec::new();
    let ok = |c: &str| upstream_reply(&configs["configs"][c]["ok"]);
    let chat = |body: &str| -> Request { request(&serde_json::json!({"request": {"body": body}})) };
    let plain = r#"{"messages":[{"role":"user","content":"hi"}]}"#;
    let tools = r#"{"messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"tool_choice":"auto"}"#;
    let streamed = r#"{"messages":[{"role":"user","content":"hi"}],"stream":true}"#;
    for c in ["openai", "anthropic", "gemini", "bedrock", "ollama"] {
        mix.push((c.to_string(), chat(plain), ok(c)));
        mix.push((c.to_string(), chat(tools), ok(c)));
    }
    for file in ["upstream.json", "client.json"] {
        for case in load(file).as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            // The multi-MiB cases are run once by the catalogue; the soak keeps to 1 MiB.
            if name.contains("MiB") && !name.starts_with("1 MiB") {
                continue;
            }
            let cfg = case["config"].as_str().unwrap().to_string();
            let reply = if case["upstream"].is_object() {
                upstream_reply(&case["upstream"])
            } else {
                ok(&cfg)
            };
            mix.push((cfg, request(case), reply));
        }
    }
    let _ = streamed;
    mix
}

struct SoakFigures {
    requests: usize,
    seconds: f64,
    rss_warm: u64,
    rss_end: u64,
    linear_warm: usize,
    linear_end: usize,
}

/// `n` requests through one long-lived VM per config under `profile`: no trap, no VM failure,
/// no hang, and the linear memory of every VM and the process RSS flat after warm-up.
fn soak(profile: Profile, n: usize, check_rss: bool) -> SoakFigures {
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");
    let configs = load("configs.json");
    let mix = soak_mix();
    let mut vms: HashMap<String, Vm> = HashMap::new();
    let start = std::time::Instant::now();
    // Warm-up: one full turn of the mix (every case, big ones included, has run once).
    let warm_up = (n / 10).max(mix.len());
    let (mut rss_warm, mut linear_warm) = (0, 0);
    for i in 0..n {
        let (cfg_name, req, reply) = &mix[i % mix.len()];
        let vm = vms.entry(cfg_name.clone()).or_insert_with(|| {
            let opts = HostOptions::with_config(
                profile,
                configs["configs"][cfg_name]["config"].to_string(),
            );
            Vm::start(&module, opts).unwrap()
        });
        let o = harness::run(vm, req, &mut |_| reply.clone(), &mut |_| None);
        let logs: String = vm.drain_logs().iter().map(|l| format!("{l}\n")).collect();
        assert!(
            !logs.contains("trap in "),
            "{profile:?}: trap at request {i}:\n{logs}"
        );
        assert!(vm.failed.is_none(), "{profile:?}: VM failed at request {i}");
        assert!(
            o.stalled.is_none(),
            "{profile:?}: hang at request {i}: {:?}",
            o.stalled
        );
        if i + 1 == warm_up {
            rss_warm = rss_bytes();
            linear_warm = vms.values_mut().map(Vm::memory_bytes).sum();
        }
    }
    let linear_end: usize = vms.values_mut().map(Vm::memory_bytes).sum();
    let figures = SoakFigures {
        requests: n,
        seconds: start.elapsed().as_secs_f64(),
        rss_warm,
        rss_end: rss_bytes(),
        linear_warm,
        linear_end,
    };
    eprintln!(
        "soak {profile:?}: {} requests in {:.1} s; wasm linear memory (all VMs) {} → {} bytes; \
         process RSS {} → {} MiB",
        figures.requests,
        figures.seconds,
        figures.linear_warm,
        figures.linear_end,
        figures.rss_warm >> 20,
        figures.rss_end >> 20
    );
    // Flat: the linear memory does not grow after warm-up (every big case has run once by
    // then); RSS may move with the allocator, bounded to +64 MiB.
    // (A few pages of slack: the allocator may still grow once on a later turn of the mix;
    // a leak grows with every turn and passes it quickly.)
    assert!(
        figures.linear_end <= figures.linear_warm + (4 << 20),
        "{profile:?}: linear memory grew {} → {}",
        figures.linear_warm,
        figures.linear_end
    );
    // (RSS is the whole process's: only meaningful when the soak runs alone, as `make soak`.)
    assert!(
        !check_rss || figures.rss_end <= figures.rss_warm + (64 << 20),
        "{profile:?}: RSS grew {} → {}",
        figures.rss_warm,
        figures.rss_end
    );
    figures
}

/// Envoy's pid: the process whose command line names this Envoy's bootstrap.
fn envoy_pid(e: &RealEnvoy) -> Option<u32> {
    let boot = e.process.dir.join("bootstrap.json").display().to_string();
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|d| {
        let pid: u32 = d.file_name().to_str()?.parse().ok()?;
        let cmd = std::fs::read(d.path().join("cmdline")).ok()?;
        let cmd = String::from_utf8_lossy(&cmd);
        (cmd.contains(&boot) && !cmd.starts_with("sh")).then_some(pid)
    })
}

/// Memory figures of the real Envoy, in bytes.
#[derive(Debug, Clone, Copy, Default)]
struct EnvoyMemory {
    /// The process's resident set (`VmRSS`).
    rss: u64,
    /// Resident pages of V8's wasm memory reservations (runs of adjacent mappings of 4 GiB and
    /// more in `/proc/PID/smaps`: V8 reserves the whole 32-bit space plus guard pages per
    /// linear memory).
    wasm_resident: u64,
    /// Envoy's heap in use (`server.memory_allocated`).
    allocated: u64,
}

fn envoy_memory(pid: u32, e: &RealEnvoy) -> EnvoyMemory {
    let kb = |l: &str| -> u64 {
        l.split_whitespace()
            .nth(1)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let rss = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .map(kb)
        .unwrap_or(0);
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    // Runs of adjacent mappings: V8 maps a linear memory's committed pages and the rest of its
    // reservation (guard pages, PROT_NONE) as neighbours; a run of 4 GiB or more is one.
    let mut runs: Vec<(u64, u64, u64)> = Vec::new(); // (start, end, resident)
    for l in smaps.lines() {
        if let Some((range, _)) = l.split_once(' ') {
            if let Some((a, b)) = range.split_once('-') {
                if let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) {
                    match runs.last_mut() {
                        Some(r) if r.1 == a => r.1 = b,
                        _ => runs.push((a, b, 0)),
                    }
                    continue;
                }
            }
        }
        if l.starts_with("Rss:") {
            if let Some(r) = runs.last_mut() {
                r.2 += kb(l);
            }
        }
    }
    let wasm_resident = runs
        .iter()
        .filter(|r| r.1 - r.0 >= 4 << 30)
        .map(|r| r.2)
        .sum();
    EnvoyMemory {
        rss,
        wasm_resident,
        allocated: envoy_stat(e, "server.memory_allocated"),
    }
}

/// One stat of the real Envoy (0 when absent).
fn envoy_stat(e: &RealEnvoy, name: &str) -> u64 {
    e.process
        .admin_get(&format!("/stats?filter=^{}$", name.replace('.', "\\.")))
        .ok()
        .and_then(|r| {
            r.text().lines().find_map(|l| {
                let (k, v) = l.split_once(": ")?;
                (k == name).then(|| v.trim().parse().ok()).flatten()
            })
        })
        .unwrap_or(0)
}

/// Envoy's wasm stats (`wasm…` and `wasm_filter…` lines of admin `/stats`).
fn envoy_wasm_stats(e: &RealEnvoy) -> Vec<(String, u64)> {
    e.process
        .admin_get("/stats?filter=wasm")
        .map(|r| {
            r.text()
                .lines()
                .filter_map(|l| {
                    let (k, v) = l.split_once(": ")?;
                    Some((k.to_string(), v.trim().parse().ok()?))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The network soak mix: plain chat, tool calls and streams per provider, then every case of
/// the three catalogues that runs on real Envoy, except the stalls (they wait out a timeout)
/// and the answers over 1 MiB.
fn soak_mix_net() -> Vec<Value> {
    let mut mix = Vec::new();
    let plain = r#"{"messages":[{"role":"user","content":"hi"}]}"#;
    let tools = r#"{"messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],"tool_choice":"auto"}"#;
    for c in ["openai", "anthropic", "gemini", "bedrock", "ollama"] {
        for body in [plain, tools] {
            mix.push(
                serde_json::json!({"name": format!("{c} chat"), "kind": "client",
                "config": c, "request": {"body": body}, "expect": {"status": 200}}),
            );
        }
    }
    for file in ["upstream.json", "client.json", "network.json"] {
        for case in load(file).as_array().unwrap() {
            let name = case["name"].as_str().unwrap();
            if (name.contains("MiB") && !name.starts_with("1 MiB"))
                || case["route_timeout_ms"].is_u64()
                || case["hosts"]
                    .as_array()
                    .is_some_and(|h| !h.iter().any(|h| h == "envoy-real"))
            {
                continue;
            }
            mix.push(case.clone());
        }
    }
    mix
}

/// `n` requests (or until `budget` is spent) of [`soak_mix_net`] through real Envoy, one
/// listener per config, sequentially on 127.0.0.1. Fails on a hang, a 5xx for a client fault,
/// a wasm failure in Envoy's log, a VM reload or trap in the wasm stats, and when Envoy's RSS
/// or the wasm memory grows after warm-up (one full turn of the mix). Returns the requests run.
fn soak_real_envoy(n: usize, budget: Duration) -> usize {
    let configs = load("configs.json");
    let mix = soak_mix_net();
    let e = RealEnvoy::shared().unwrap();
    let mut gws: HashMap<String, NetGateway> = HashMap::new();
    // Every listener first, so the figures do not count listener setup.
    for case in &mix {
        let cfg_name = case["config"].as_str().unwrap().to_string();
        gws.entry(cfg_name.clone()).or_insert_with(|| {
            let upstream = FaultServer::start().unwrap();
            let cfg = &configs["configs"][&cfg_name];
            let mut spec = GatewaySpec::new(&cfg["config"].to_string(), &upstream.url());
            spec.buffer_limit = 1 << 20;
            spec.route_timeout = Duration::from_secs(20);
            let gateway = TestHost::RealEnvoy
                .try_gateway(&spec)
                .unwrap_or_else(|e| panic!("{cfg_name}: {e}"));
            NetGateway { upstream, gateway }
        });
    }
    let pid = envoy_pid(e).expect("Envoy's pid");
    let log_from = e.log_len();
    let start_mem = envoy_memory(pid, e);
    let warm_up = mix.len();
    let mut warm = EnvoyMemory::default();
    let start = Instant::now();
    let mut done = 0;
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for i in 0..n {
        if i >= warm_up * 2 && start.elapsed() > budget {
            break;
        }
        let case = &mix[i % mix.len()];
        let cfg_name = case["config"].as_str().unwrap();
        let gw = &gws[cfg_name];
        gw.upstream.set(if case["upstream"].is_object() {
            scripted(&case["upstream"])
        } else {
            scripted(&configs["configs"][cfg_name]["ok"])
        });
        let t0 = Instant::now();
        let o = exchange_raw(
            gw.gateway.addr,
            &wire_request(case),
            case["request"]["half_close"] == true,
            CLIENT_LIMIT,
        );
        if t0.elapsed() > Duration::from_secs(2) {
            eprintln!("soak: slow ({:?}): {}", t0.elapsed(), case["name"]);
        }
        assert!(
            o.stalled.is_none(),
            "soak: hang at request {i} ({}): {:?}",
            case["name"],
            o.stalled
        );
        assert!(
            !(case["kind"] == "client" && o.status >= 500),
            "soak: 5xx for a client fault at request {i} ({}): {}",
            case["name"],
            o.text()
        );
        *statuses.entry(o.status).or_default() += 1;
        done += 1;
        if done == warm_up {
            warm = envoy_memory(pid, e);
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let end = envoy_memory(pid, e);
    let problems = envoy::problem_lines(&e.log_since(log_from));
    let wasm = envoy_wasm_stats(e);
    let mut codes: Vec<_> = statuses.into_iter().collect();
    codes.sort();
    eprintln!(
        "soak real Envoy: {done} requests in {seconds:.1} s ({:.0}/s), statuses {codes:?}\n  \
         Envoy RSS {} → {} (warm) → {} MiB; wasm memory resident {} → {} (warm) → {} KiB; \
         server.memory_allocated {} → {} (warm) → {} MiB\n  wasm stats: {wasm:?}",
        done as f64 / seconds,
        start_mem.rss >> 20,
        warm.rss >> 20,
        end.rss >> 20,
        start_mem.wasm_resident >> 10,
        warm.wasm_resident >> 10,
        end.wasm_resident >> 10,
        start_mem.allocated >> 20,
        warm.allocated >> 20,
        end.allocated >> 20,
    );
    assert!(
        problems.is_empty(),
        "soak: wasm failures:\n{}",
        problems.join("\n")
    );
    // Checked once above: the gateways' own drop checks would each scan the whole log again.
    for (_, g) in gws.drain() {
        std::mem::forget(g.gateway);
    }
    for (k, v) in &wasm {
        let bad = ["reload", "fail", "crash", "trap"];
        assert!(
            !(bad.iter().any(|b| k.contains(b)) && *v > 0),
            "soak: {k} = {v}"
        );
    }
    // Flat after warm-up: the wasm memory may grow by a few pages once more (the allocator
    // settling); Envoy's own heap and RSS by what connection and buffer caches take.
    assert!(
        end.wasm_resident <= warm.wasm_resident + (8 << 20),
        "soak: wasm memory grew {} → {}",
        warm.wasm_resident,
        end.wasm_resident
    );
    assert!(
        end.rss <= warm.rss + (64 << 20),
        "soak: Envoy RSS grew {} → {}",
        warm.rss,
        end.rss
    );
    done
}

/// CI-sized soak (part of `make test`): the whole mix twice per profile.
#[test]
fn soak_small() {
    let n = soak_mix().len() * 3;
    soak(Profile::Envoy, n, false);
    soak(Profile::Kong, n, false);
}

/// CI-sized soak through real Envoy (part of `make test`): two turns of the mix at least,
/// then as many as fit in 15 s.
#[test]
fn soak_real_envoy_small() {
    let mix = soak_mix_net().len();
    let done = soak_real_envoy(mix * 20, Duration::from_secs(15));
    assert!(done >= mix * 2, "{done} requests");
}

/// `make soak` (SOAK_REQUESTS, default 20,000 per host): real Envoy, then both emulator
/// profiles (SOAK_HOSTS=envoy-real,emulator-envoy,emulator-kong picks some).
#[test]
#[ignore]
fn soak_full() {
    let n = std::env::var("SOAK_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let hosts = std::env::var("SOAK_HOSTS").unwrap_or_default();
    let on = |h: TestHost| hosts.is_empty() || hosts.split(',').any(|x| x == h.name());
    if on(TestHost::RealEnvoy) {
        let done = soak_real_envoy(n, Duration::from_secs(1800));
        assert_eq!(
            done, n,
            "real Envoy: {done} of {n} requests in the time bound"
        );
    }
    if on(TestHost::EmuEnvoy) {
        soak(Profile::Envoy, n, true);
    }
    if on(TestHost::EmuKong) {
        soak(Profile::Kong, n, true);
    }
}
