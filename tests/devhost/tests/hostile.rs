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

use devhost::harness::{self, Outcome, Request, UpstreamReply};
use devhost::headers::RequestHead;
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

/// The expectation for this profile: `expect`, overridden by `expect_envoy` / `expect_kong`.
fn expectation(case: &Value, profile: Profile) -> Value {
    let mut e = case["expect"].clone();
    let key = match profile {
        Profile::Envoy => "expect_envoy",
        Profile::Kong => "expect_kong",
    };
    if let Some(o) = case[key].as_object() {
        for (k, v) in o {
            e[k] = v.clone();
        }
    }
    e
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
    profile: Profile,
    o: &Outcome,
    new_logs: &str,
    keys: &[String],
) -> Vec<String> {
    let name = format!("{profile:?} / {}", case["name"].as_str().unwrap());
    let e = expectation(case, profile);
    let mut f = Vec::new();
    if new_logs.contains("trap in ") {
        f.push(format!("{name}: trapped:\n{new_logs}"));
    }
    if let Some(s) = &o.stalled {
        f.push(format!("{name}: hung: {s}"));
    }
    if o.reset {
        f.push(format!("{name}: stream reset"));
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
        if o.text() != text {
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

fn run_catalogue(file: &str, profiles: &[Profile]) -> Run {
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");
    let configs = load("configs.json");
    let keys: Vec<String> = configs["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    let cases = load(file);
    let only = std::env::var("HOSTILE_CASE").ok();
    let mut run = Run {
        failures: Vec::new(),
        cases: 0,
    };
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
                .extend(check(case, profile, &o, &new_logs, &keys));
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

/// CI-sized soak (part of `make test`): the whole mix twice per profile.
#[test]
fn soak_small() {
    let n = soak_mix().len() * 3;
    soak(Profile::Envoy, n, false);
    soak(Profile::Kong, n, false);
}

/// `make soak` (SOAK_REQUESTS, default 20,000 per profile).
#[test]
#[ignore]
fn soak_full() {
    let n = std::env::var("SOAK_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    soak(Profile::Envoy, n, true);
    soak(Profile::Kong, n, true);
}
