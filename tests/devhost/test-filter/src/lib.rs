//! Test filter for the dev host's rule tests. Its plugin configuration says, per callback,
//! which operations to perform and what to return, so each host rule can be exercised with
//! real wasm. Results of reads are written to the log as `tf: <what> <value>`.
//!
//! Config: `{"configure": "ok"|"refuse"|"panic", "tick_ms": N,
//!   "request_headers"|"request_body"|"response_headers"|"response_body"|"http_call_response"|"tick":
//!     {"ops": [..], "action": "continue"|"pause"|"pause_until_eos", "at_eos_only": bool}}`.
//! Ops: `{"op":"get_header","map":"request"|"response"|"call","name":..}`, `set_header`,
//! `add_header`, `remove_header`, `get_headers`, `get_body` (`"buffer":"request"|"response"|"call"`),
//! `set_body` (`start`, `size` (number or "max"), `value`), `get_property` (`path`),
//! `set_property` (`path`, `value`), `send_response` (`status`, `body`, `headers`),
//! `dispatch` (`upstream`, `headers`, `body`, `timeout_ms`), `resume_request`,
//! `resume_response`, `set_tick` (`ms`), `panic` (`message`), `log` (`message`),
//! `shared_get` (`key`), `shared_set` (`key`, `value`). Any op with `"if_header": name` runs
//! only when that request header is present.

use std::time::Duration;

use proxy_wasm::hostcalls;
use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{Action, BufferType, ContextType, LogLevel, MapType};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, Default, Clone)]
struct Step {
    #[serde(default)]
    ops: Vec<Value>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    at_eos_only: bool,
}

#[derive(Deserialize, Default, Clone)]
struct Config {
    #[serde(default)]
    configure: Option<String>,
    #[serde(default)]
    tick_ms: Option<u64>,
    #[serde(default)]
    request_headers: Option<Step>,
    #[serde(default)]
    request_body: Option<Step>,
    #[serde(default)]
    response_headers: Option<Step>,
    #[serde(default)]
    response_body: Option<Step>,
    #[serde(default)]
    http_call_response: Option<Step>,
    #[serde(default)]
    tick: Option<Step>,
}

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Trace);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root { config: Config::default() }) });
}}

fn log(msg: String) {
    let _ = hostcalls::log(LogLevel::Info, &format!("tf: {msg}"));
}

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

fn map_of(v: &Value) -> MapType {
    match v.get("map").and_then(Value::as_str).unwrap_or("request") {
        "response" => MapType::HttpResponseHeaders,
        "call" => MapType::HttpCallResponseHeaders,
        _ => MapType::HttpRequestHeaders,
    }
}

fn buf_of(v: &Value) -> BufferType {
    match v.get("buffer").and_then(Value::as_str).unwrap_or("request") {
        "response" => BufferType::HttpResponseBody,
        "call" => BufferType::HttpCallResponseBody,
        _ => BufferType::HttpRequestBody,
    }
}

fn path_of(v: &Value) -> Vec<String> {
    v.get("path")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|p| p.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn pairs_of(v: &Value, k: &str) -> Vec<(String, String)> {
    v.get(k)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|p| Some((p.get(0)?.as_str()?.to_string(), p.get(1)?.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn show(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(t) if b.len() != 8 || t.chars().all(|c| !c.is_control()) => format!("str:{t}"),
        _ => format!("hex:{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
    }
}

/// Runs the ops of a step; `size` is the body size the callback got.
fn run_ops(ops: &[Value], size: usize) {
    for op in ops {
        if let Some(h) = op.get("if_header").and_then(Value::as_str) {
            if hostcalls::get_map_value(MapType::HttpRequestHeaders, h).unwrap_or(None).is_none() {
                continue;
            }
        }
        match s(op, "op").as_str() {
            "log" => log(s(op, "message")),
            "panic" => panic!("{}", s(op, "message")),
            "get_header" => {
                let name = s(op, "name");
                let v = hostcalls::get_map_value(map_of(op), &name).unwrap_or(None);
                log(format!("header {name}={}", v.unwrap_or_else(|| "<none>".into())));
            }
            "get_headers" => {
                let m = hostcalls::get_map(map_of(op)).unwrap_or_default();
                let all: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
                log(format!("headers {}", all.join(";")));
            }
            "set_header" => {
                let _ = hostcalls::set_map_value(map_of(op), &s(op, "name"), Some(&s(op, "value")));
            }
            "add_header" => {
                let _ = hostcalls::add_map_value(map_of(op), &s(op, "name"), &s(op, "value"));
            }
            "remove_header" => {
                let _ = hostcalls::set_map_value(map_of(op), &s(op, "name"), None);
            }
            "get_body" => {
                let b = hostcalls::get_buffer(buf_of(op), 0, size.max(op.get("max").and_then(Value::as_u64).unwrap_or(0) as usize)).unwrap_or(None);
                log(format!("body {}", b.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_else(|| "<none>".into())));
            }
            "set_body" => {
                let start = op.get("start").and_then(Value::as_u64).unwrap_or(0) as usize;
                let size = match op.get("size") {
                    Some(Value::String(m)) if m == "max" => usize::MAX,
                    Some(Value::String(m)) if m == "body" => size,
                    Some(v) => v.as_u64().unwrap_or(0) as usize,
                    None => usize::MAX,
                };
                let _ = hostcalls::set_buffer(buf_of(op), start, size, s(op, "value").as_bytes());
            }
            "get_property" => {
                let path = path_of(op);
                let v = hostcalls::get_property(path.iter().map(String::as_str).collect());
                let shown = match v {
                    Ok(Some(b)) => show(&b),
                    Ok(None) => "<none>".into(),
                    Err(e) => format!("<err {e:?}>"),
                };
                log(format!("property {}={shown}", path.join(".")));
            }
            "set_property" => {
                let path = path_of(op);
                let _ = hostcalls::set_property(path.iter().map(String::as_str).collect(), Some(s(op, "value").as_bytes()));
                log(format!("set_property {} ok", path.join(".")));
            }
            "send_response" => {
                let status = op.get("status").and_then(Value::as_u64).unwrap_or(200) as u32;
                let hs = pairs_of(op, "headers");
                let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let _ = hostcalls::send_http_response(status, hs, Some(s(op, "body").as_bytes()));
                log(format!("sent {status}"));
            }
            "dispatch" => {
                let hs = pairs_of(op, "headers");
                let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let body = s(op, "body");
                let t = op.get("timeout_ms").and_then(Value::as_u64).unwrap_or(1000);
                let r = hostcalls::dispatch_http_call(&s(op, "upstream"), hs, if body.is_empty() { None } else { Some(body.as_bytes()) }, vec![], Duration::from_millis(t));
                log(format!("dispatch {r:?}"));
            }
            "resume_request" => {
                let _ = hostcalls::resume_http_request();
            }
            "resume_response" => {
                let _ = hostcalls::resume_http_response();
            }
            "set_tick" => {
                let ms = op.get("ms").and_then(Value::as_u64).unwrap_or(0);
                let _ = hostcalls::set_tick_period(Duration::from_millis(ms));
                log(format!("tick set {ms}"));
            }
            "shared_get" => {
                let r = hostcalls::get_shared_data(&s(op, "key"));
                log(format!("shared {:?}", r.map(|(v, _)| v.map(|b| String::from_utf8_lossy(&b).into_owned()))));
            }
            "shared_set" => {
                let r = hostcalls::set_shared_data(&s(op, "key"), Some(s(op, "value").as_bytes()), None);
                log(format!("shared_set {r:?}"));
            }
            other => log(format!("unknown op {other}")),
        }
    }
}

fn run_step(step: &Option<Step>, size: usize, eos: bool) -> Action {
    let Some(step) = step else { return Action::Continue };
    let action = step.action.clone().unwrap_or_else(|| "continue".into());
    if action == "pause_until_eos" && !eos {
        return Action::Pause;
    }
    if !step.at_eos_only || eos {
        run_ops(&step.ops, size);
    }
    match action.as_str() {
        "pause" => Action::Pause,
        _ => Action::Continue,
    }
}

struct Root {
    config: Config,
}

impl Context for Root {
    fn on_http_call_response(&mut self, token: u32, nh: usize, body: usize, _nt: usize) {
        log(format!("root call response token={token} headers={nh} body={body}"));
        run_step(&self.config.http_call_response, body, true);
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = self.get_plugin_configuration().unwrap_or_default();
        let Ok(cfg) = serde_json::from_slice::<Config>(&bytes) else {
            log("bad config".into());
            return false;
        };
        match cfg.configure.as_deref() {
            Some("refuse") => {
                log("refusing config".into());
                return false;
            }
            Some("panic") => panic!("configure panicked on purpose"),
            _ => {}
        }
        if let Some(ms) = cfg.tick_ms {
            self.set_tick_period(Duration::from_millis(ms));
        }
        self.config = cfg;
        log("configured".into());
        true
    }

    fn on_tick(&mut self) {
        log("tick".into());
        run_step(&self.config.tick, 0, true);
    }

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Http { id: context_id, config: self.config.clone() }))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

struct Http {
    id: u32,
    config: Config,
}

impl Context for Http {
    fn on_http_call_response(&mut self, token: u32, nh: usize, body: usize, _nt: usize) {
        log(format!("call response ctx={} token={token} headers={nh} body={body}", self.id));
        run_step(&self.config.http_call_response, body, true);
    }
}

impl HttpContext for Http {
    fn on_http_request_headers(&mut self, n: usize, eos: bool) -> Action {
        log(format!("request_headers n={n} eos={eos}"));
        run_step(&self.config.request_headers, 0, eos)
    }

    fn on_http_request_body(&mut self, size: usize, eos: bool) -> Action {
        log(format!("request_body size={size} eos={eos}"));
        run_step(&self.config.request_body, size, eos)
    }

    fn on_http_response_headers(&mut self, n: usize, eos: bool) -> Action {
        log(format!("response_headers n={n} eos={eos}"));
        run_step(&self.config.response_headers, 0, eos)
    }

    fn on_http_response_body(&mut self, size: usize, eos: bool) -> Action {
        log(format!("response_body size={size} eos={eos}"));
        run_step(&self.config.response_body, size, eos)
    }
}
