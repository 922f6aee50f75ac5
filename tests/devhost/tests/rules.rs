//! Host rule tests: each test drives the config-driven test filter (`tests/devhost/test-filter`)
//! through the dev host and checks one rule of `docs/hosts.md` (section cited per test).

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::harness::{self, Outcome, Request, UpstreamReply};
use devhost::{
    testing, CallResponse, HostOptions, HttpCall, Profile, StartError, UpstreamRequest, Vm,
};
use serde_json::{json, Value};

use Profile::{Envoy, Kong};

fn vm_with(opts: HostOptions) -> Vm {
    Vm::start(&testing::test_filter(), opts).unwrap_or_else(|e| panic!("{e}"))
}

fn vm(profile: Profile, config: Value) -> Vm {
    vm_with(HostOptions::with_config(profile, config.to_string()))
}

fn ok_upstream(_: &UpstreamRequest) -> UpstreamReply {
    UpstreamReply::new(200, &[("content-type", "text/plain")], b"upstream-ok")
}

fn no_calls(_: &HttpCall) -> Option<CallResponse> {
    None
}

fn run(vm: &mut Vm, req: &Request) -> Outcome {
    harness::run(vm, req, &mut ok_upstream, &mut no_calls)
}

fn post(body: &str) -> Request {
    Request::new(
        "POST",
        "/v1/chat",
        &[
            ("host", "client.example"),
            ("content-type", "text/plain"),
            ("content-length", &body.len().to_string()),
        ],
        body.as_bytes(),
    )
}

fn get() -> Request {
    Request::new("GET", "/v1/models", &[("host", "client.example")], b"")
}

fn has(o: &Outcome, needle: &str) -> bool {
    o.logs.contains(needle)
}

#[track_caller]
fn assert_log(o: &Outcome, needle: &str) {
    assert!(
        has(o, needle),
        "log has no {needle:?}; trace {:?}\n{}",
        o.trace,
        o.logs
    );
}

fn body_step(ops: Value) -> Value {
    json!({"request_body": {"action": "pause_until_eos", "ops": ops}})
}

// ---------------------------------------------------------------- body delivery

/// docs/hosts.md §2: Envoy calls on_http_request_body per chunk; after Pause the buffer grows
/// and the callback sees everything buffered so far.
#[test]
fn envoy_request_body_arrives_in_chunks_and_pause_buffers() {
    let mut vm = vm(Envoy, body_step(json!([{"op": "get_body"}])));
    let o = run(&mut vm, &post("hello world!").chunked(5));
    let bodies: Vec<&String> = o
        .trace
        .iter()
        .filter(|t| t.starts_with("proxy_on_request_body"))
        .collect();
    assert_eq!(
        bodies,
        [
            "proxy_on_request_body(5, eos=false)",
            "proxy_on_request_body(10, eos=false)",
            "proxy_on_request_body(12, eos=true)"
        ]
    );
    assert_log(&o, "tf: body hello world!");
    assert_eq!(o.upstream.unwrap().body, b"hello world!");
}

/// docs/hosts.md §2: Kong reads the whole body first and calls on_http_request_body once with
/// end_of_stream=true and the full size.
#[test]
fn kong_request_body_arrives_once_with_eos() {
    let mut vm = vm(Kong, body_step(json!([{"op": "get_body"}])));
    let o = run(&mut vm, &post("hello world!").chunked(5));
    let bodies: Vec<&String> = o
        .trace
        .iter()
        .filter(|t| t.starts_with("proxy_on_request_body"))
        .collect();
    assert_eq!(bodies, ["proxy_on_request_body(12, eos=true)"]);
    assert_log(&o, "tf: body hello world!");
}

/// docs/hosts.md §2: with an empty body Kong does not call on_http_request_body at all.
#[test]
fn kong_empty_body_gets_no_body_callback() {
    let mut vm = vm(Kong, json!({}));
    let o = run(&mut vm, &get());
    assert!(
        !o.trace
            .iter()
            .any(|t| t.starts_with("proxy_on_request_body")),
        "{:?}",
        o.trace
    );
    assert_eq!(o.status, 200);
}

/// docs/hosts.md §2: Kong passes end_of_stream=false to the headers steps, even for a GET.
#[test]
fn kong_headers_end_of_stream_is_always_false() {
    let mut vm = vm(Kong, json!({}));
    let o = run(&mut vm, &get());
    assert_log(&o, "tf: request_headers n=");
    assert!(
        o.trace
            .iter()
            .any(|t| t.starts_with("proxy_on_request_headers") && t.ends_with("eos=false)")),
        "{:?}",
        o.trace
    );
}

/// docs/hosts.md §2: Envoy passes end_of_stream=true to on_http_request_headers for a bodyless request.
#[test]
fn envoy_headers_end_of_stream_true_without_body() {
    let mut vm = vm(Envoy, json!({}));
    let o = run(&mut vm, &get());
    assert!(
        o.trace
            .iter()
            .any(|t| t.starts_with("proxy_on_request_headers") && t.ends_with("eos=true)")),
        "{:?}",
        o.trace
    );
}

/// docs/hosts.md §2: a body larger than `client_body_buffer_size` is spooled to a file and the
/// filter reads nothing.
#[test]
fn kong_body_above_client_body_buffer_size_is_unreadable() {
    let mut opts =
        HostOptions::with_config(Kong, body_step(json!([{"op": "get_body"}])).to_string());
    opts.client_body_buffer_size = 8;
    let mut vm = vm_with(opts);
    let o = run(&mut vm, &post("more than eight bytes"));
    assert_log(&o, "tf: body <none>");
    assert_log(&o, "cannot read request body buffered to file");
}

/// docs/hosts.md §2: Envoy answers 413 when the buffered request body exceeds the buffer limit.
#[test]
fn envoy_buffered_body_over_limit_is_413() {
    let mut opts = HostOptions::with_config(Envoy, body_step(json!([])).to_string());
    opts.envoy_buffer_limit = 8;
    let mut vm = vm_with(opts);
    let o = run(&mut vm, &post("more than eight bytes").chunked(4));
    assert_eq!(o.status, 413, "{}", o.logs);
}

// ---------------------------------------------------------------- set_buffer_bytes

/// docs/hosts.md §3: Envoy rejects a partial replace (`start=0, 0<size<len`) with
/// BAD_ARGUMENT, which makes the SDK panic: the VM traps and Envoy answers 503.
#[test]
fn envoy_partial_set_buffer_is_bad_argument_and_traps() {
    let mut vm = vm(
        Envoy,
        body_step(json!([{"op": "set_body", "start": 0, "size": 3, "value": "XY"}])),
    );
    let o = run(&mut vm, &post("hello world!"));
    assert_eq!(o.status, 503, "{}", o.logs);
    assert_log(&o, "unexpected status: 2");
}

/// docs/hosts.md §3: on Kong `size` caps the new value and everything after `start` is dropped.
#[test]
fn kong_set_buffer_size_caps_value_and_drops_tail() {
    let mut vm = vm(
        Kong,
        body_step(json!([{"op": "set_body", "start": 6, "size": 3, "value": "there!!"}])),
    );
    let o = run(&mut vm, &post("hello world!"));
    assert_eq!(o.upstream.unwrap().body, b"hello the");
}

/// docs/hosts.md §3: `set_http_request_body(0, usize::MAX, new)` replaces the whole body on both.
#[test]
fn replace_whole_body_with_usize_max_works_on_both() {
    for p in Profile::ALL {
        let cfg = json!({
            "request_headers": {"ops": [{"op": "remove_header", "name": "content-length"}]},
            "request_body": {"action": "pause_until_eos", "ops": [{"op": "set_body", "start": 0, "size": "max", "value": "{\"new\":1}"}]}
        });
        let mut vm = vm(p, cfg);
        let o = run(&mut vm, &post("hello world!"));
        let up = o.upstream.unwrap_or_else(|| panic!("{p:?}: {}", o.logs));
        assert_eq!(up.body, b"{\"new\":1}", "{p:?}");
    }
}

/// docs/hosts.md §3: Envoy `start=0,size=0` prepends and `start>=len` appends.
#[test]
fn envoy_set_buffer_prepend_and_append() {
    let mut vm = vm(
        Envoy,
        body_step(
            json!([{"op": "set_body", "start": 0, "size": 0, "value": "<"}, {"op": "set_body", "start": 99, "size": 0, "value": ">"}]),
        ),
    );
    let mut req = post("mid");
    req.head.headers.retain(|(k, _)| k != "content-length");
    let o = run(&mut vm, &req);
    assert_eq!(o.upstream.unwrap().body, b"<mid>");
}

// ---------------------------------------------------------------- headers per callback

/// docs/hosts.md §5: after on_http_request_headers returns Continue, Envoy drops the header map;
/// reading a request header in the body step is BAD_ARGUMENT and the SDK panics (503).
#[test]
fn envoy_request_header_read_in_body_after_continue_traps() {
    let mut vm = vm(
        Envoy,
        body_step(json!([{"op": "get_header", "name": "content-type"}])),
    );
    let o = run(&mut vm, &post("x"));
    assert_eq!(o.status, 503, "{}", o.logs);
}

/// docs/hosts.md §5 (Envoy ≥1.35 `allow_on_headers_stop_iteration`): headers held by Pause stay
/// readable and editable in the body step and go upstream with the edit.
#[test]
fn envoy_held_request_headers_are_editable_in_body_step() {
    let cfg = json!({
        "request_headers": {"action": "pause"},
        "request_body": {"action": "pause_until_eos", "ops": [
            {"op": "get_header", "name": "content-type"},
            {"op": "set_header", "name": "x-added", "value": "1"}]}
    });
    let mut vm = vm(Envoy, cfg);
    let o = run(&mut vm, &post("x"));
    assert_log(&o, "tf: header content-type=text/plain");
    assert_eq!(o.upstream.unwrap().header("x-added"), Some("1"));
}

/// docs/hosts.md §5: without `allow_on_headers_stop_iteration`, Pause in the headers step is
/// StopAllIteration: no body callback until something resumes the request.
#[test]
fn envoy_pause_in_headers_without_flag_stops_body_callbacks() {
    let mut opts = HostOptions::with_config(
        Envoy,
        json!({"request_headers": {"action": "pause"}}).to_string(),
    );
    opts.allow_on_headers_stop_iteration = false;
    let mut vm = vm_with(opts);
    let o = run(&mut vm, &post("x"));
    assert!(
        !o.trace
            .iter()
            .any(|t| t.starts_with("proxy_on_request_body")),
        "{:?}",
        o.trace
    );
    assert!(o.stalled.is_some());
}

/// docs/hosts.md §5 ("Pause in headers step: Kong waits until resume"): on Kong a Pause in the
/// headers step with nothing to resume it stalls the request.
#[test]
fn kong_pause_in_headers_waits_for_resume() {
    let mut vm = vm(Kong, json!({"request_headers": {"action": "pause"}}));
    let o = run(&mut vm, &post("x"));
    assert!(
        o.stalled.as_deref().is_some_and(|s| s.contains("kong")),
        "{:?}",
        o.stalled
    );
}

/// docs/hosts.md §5: Kong lets the body step read and change request headers.
#[test]
fn kong_request_headers_editable_in_body_step() {
    let cfg = body_step(
        json!([{"op": "get_header", "name": "content-type"}, {"op": "set_header", "name": "x-added", "value": "1"}]),
    );
    let mut vm = vm(Kong, cfg);
    let o = run(&mut vm, &post("x"));
    assert_log(&o, "tf: header content-type=text/plain");
    assert_eq!(o.upstream.unwrap().header("x-added"), Some("1"));
}

/// docs/hosts.md §5: changing request headers from a response step traps on Kong (500).
#[test]
fn kong_setting_request_header_in_response_step_traps() {
    let cfg = json!({"response_headers": {"ops": [{"op": "set_header", "name": "x-late", "value": "1"}]}});
    let mut vm = vm(Kong, cfg);
    let o = run(&mut vm, &get());
    assert_eq!(o.status, 500, "{}", o.logs);
    assert_log(
        &o,
        "can only set request headers before response is produced",
    );
}

// ---------------------------------------------------------------- content-length

/// docs/hosts.md §4: Kong (nginx) sends the rewritten body with a correct Content-Length even if
/// the filter left the old header.
#[test]
fn kong_fixes_content_length_after_body_rewrite() {
    let mut vm = vm(
        Kong,
        body_step(
            json!([{"op": "set_body", "start": 0, "size": "max", "value": "longer body than before"}]),
        ),
    );
    let o = run(&mut vm, &post("short"));
    let up = o.upstream.unwrap();
    assert_eq!(up.header("content-length"), Some("23"));
    assert!(up.problems.is_empty());
}

/// docs/hosts.md §4: Envoy does not fix Content-Length; a stale value is a broken request.
#[test]
fn envoy_keeps_stale_content_length() {
    let mut vm = vm(
        Envoy,
        body_step(
            json!([{"op": "set_body", "start": 0, "size": "max", "value": "longer body than before"}]),
        ),
    );
    let o = run(&mut vm, &post("short"));
    let up = o.upstream.unwrap();
    assert_eq!(up.header("content-length"), Some("5"));
    assert!(
        up.problems.iter().any(|p| p.contains("content-length")),
        "{:?}",
        up.problems
    );
}

// ---------------------------------------------------------------- pseudo-headers

/// docs/hosts.md §5/§6: in Envoy the Host header is `:authority` (no `host` entry), and
/// writing `:authority`/`:path`/`:scheme` changes where the request goes.
#[test]
fn envoy_authority_is_host_and_writable() {
    let cfg = json!({"request_headers": {"ops": [
        {"op": "get_header", "name": "host"}, {"op": "get_header", "name": ":authority"},
        {"op": "set_header", "name": ":authority", "value": "api.example.com"},
        {"op": "set_header", "name": ":path", "value": "/v2/x"},
        {"op": "set_header", "name": ":scheme", "value": "https"}]}});
    let mut vm = vm(Envoy, cfg);
    let o = run(&mut vm, &get());
    assert_log(&o, "tf: header host=<none>");
    assert_log(&o, "tf: header :authority=client.example");
    let up = o.upstream.unwrap();
    assert_eq!(
        (up.scheme.as_str(), up.authority.as_str(), up.path.as_str()),
        ("https", "api.example.com", "/v2/x")
    );
    assert_eq!(up.header("host"), Some("api.example.com"));
}

/// docs/hosts.md §6: in Kong `:authority` is server_name:port and read-only; `host` is a normal header.
#[test]
fn kong_authority_is_server_name_and_read_only() {
    let cfg = json!({"request_headers": {"ops": [
        {"op": "get_header", "name": "host"}, {"op": "get_header", "name": ":authority"},
        {"op": "set_header", "name": ":authority", "value": "api.example.com"},
        {"op": "get_header", "name": ":authority"}]}});
    let mut vm = vm(Kong, cfg);
    let o = run(&mut vm, &get());
    assert_log(&o, "tf: header host=client.example");
    assert_log(&o, "tf: header :authority=localhost:8000");
    assert_log(&o, "cannot set read-only ':authority' header");
    assert!(!has(&o, "tf: header :authority=api.example.com"));
}

/// docs/hosts.md §6: `:status` is readable and writable in on_http_response_headers on both.
#[test]
fn status_pseudo_header_readable_and_writable() {
    for p in Profile::ALL {
        let cfg = json!({"response_headers": {"ops": [
            {"op": "get_header", "map": "response", "name": ":status"},
            {"op": "set_header", "map": "response", "name": ":status", "value": "201"}]}});
        let mut vm = vm(p, cfg);
        let o = run(&mut vm, &get());
        assert_log(&o, "tf: header :status=200");
        assert_eq!(o.status, 201, "{p:?}");
    }
}

// ---------------------------------------------------------------- properties

/// docs/hosts.md §7: Kong property values are strings (`response.code` is "200").
#[test]
fn kong_property_values_are_strings() {
    let cfg = json!({"response_headers": {"ops": [{"op": "get_property", "path": ["response", "code"]}]}});
    let o = run(&mut vm(Kong, cfg), &get());
    assert_log(&o, "tf: property response.code=str:200");
}

/// docs/hosts.md §7: Envoy integer properties are 8-byte little-endian.
#[test]
fn envoy_integer_properties_are_binary() {
    let cfg = json!({"response_headers": {"ops": [{"op": "get_property", "path": ["response", "code"]}]}});
    let o = run(&mut vm(Envoy, cfg), &get());
    assert_log(&o, "tf: property response.code=hex:c800000000000000");
}

/// docs/hosts.md §1 (host detection): `kong.version` is a version string on Kong, NOT_FOUND on Envoy.
#[test]
fn kong_version_property_detects_the_host() {
    let cfg =
        json!({"request_headers": {"ops": [{"op": "get_property", "path": ["kong", "version"]}]}});
    assert_log(
        &run(&mut vm(Kong, cfg.clone()), &get()),
        "tf: property kong.version=str:3.9.1",
    );
    assert_log(
        &run(&mut vm(Envoy, cfg), &get()),
        "tf: property kong.version=<none>",
    );
}

/// docs/hosts.md §7: Kong's `request.host` is nginx `$hostname`, not the Host header.
#[test]
fn kong_request_host_property_is_machine_hostname() {
    let cfg =
        json!({"request_headers": {"ops": [{"op": "get_property", "path": ["request", "host"]}]}});
    assert_log(
        &run(&mut vm(Kong, cfg.clone()), &get()),
        "tf: property request.host=str:devhost",
    );
    assert_log(
        &run(&mut vm(Envoy, cfg), &get()),
        "tf: property request.host=str:client.example",
    );
}

/// docs/hosts.md §7: setting an unknown property on Kong is NOT_FOUND: the SDK panics (500).
#[test]
fn kong_unknown_set_property_is_not_found_and_traps() {
    let cfg = json!({"request_headers": {"ops": [{"op": "set_property", "path": ["my", "prop"], "value": "1"}]}});
    let o = run(&mut vm(Kong, cfg), &get());
    assert_eq!(o.status, 500, "{}", o.logs);
    assert_log(&o, "unknown property 'my.prop'");
}

/// docs/hosts.md §7: Envoy stores any property and answers OK.
#[test]
fn envoy_unknown_set_property_is_ok() {
    let cfg = json!({"request_headers": {"ops": [{"op": "set_property", "path": ["my", "prop"], "value": "1"}, {"op": "get_property", "path": ["my", "prop"]}]}});
    let o = run(&mut vm(Envoy, cfg), &get());
    assert_eq!(o.status, 200, "{}", o.logs);
    assert_log(&o, "tf: property my.prop=str:1");
}

/// docs/hosts.md §8 (Kong upstream levers, effect on a real Kong unverified): the dev host sends
/// the request to `kong.service.target` with `kong.service.request.scheme` and `ngx.upstream_uri`.
#[test]
fn kong_service_target_scheme_and_upstream_uri_route_the_request() {
    let cfg = json!({"request_headers": {"ops": [
        {"op": "set_property", "path": ["kong", "service", "target"], "value": "api.example.com:443"},
        {"op": "set_property", "path": ["kong", "service", "request", "scheme"], "value": "https"},
        {"op": "set_property", "path": ["ngx", "upstream_uri"], "value": "/v1/messages"},
        {"op": "set_property", "path": ["ngx", "upstream_host"], "value": "api.example.com"}]}});
    let o = run(&mut vm(Kong, cfg), &get());
    let up = o.upstream.unwrap_or_else(|| panic!("{}", o.logs));
    assert_eq!(
        (up.scheme.as_str(), up.authority.as_str(), up.path.as_str()),
        ("https", "api.example.com:443", "/v1/messages")
    );
    assert_eq!(up.header("host"), Some("api.example.com"));
}

/// docs/hosts.md §7: free `kong.*` names are per-request scratch properties on Kong.
#[test]
fn kong_scratch_properties_round_trip() {
    let cfg = json!({"request_headers": {"ops": [{"op": "set_property", "path": ["kong", "my_note"], "value": "v"}, {"op": "get_property", "path": ["kong", "my_note"]}]}});
    assert_log(
        &run(&mut vm(Kong, cfg), &get()),
        "tf: property kong.my_note=str:v",
    );
}

// ---------------------------------------------------------------- local responses

/// docs/hosts.md §10: a local response reaches the client and nothing goes upstream; Kong's
/// module ends its body with a line feed.
#[test]
fn local_response_reaches_client_on_both() {
    for (p, body) in [(Envoy, "teapot"), (Kong, "teapot\n")] {
        let cfg = json!({"request_headers": {"action": "pause", "ops": [{"op": "send_response", "status": 418, "body": "teapot", "headers": [["x-why", "test"]]}]}});
        let o = run(&mut vm(p, cfg), &get());
        assert_eq!(
            (o.status, o.text().as_str(), o.header("x-why")),
            (418, body, Some("test")),
            "{p:?}"
        );
        assert!(o.upstream.is_none());
    }
}

/// docs/hosts.md §10: a second send_http_response traps on Kong ("local response already stashed").
#[test]
fn kong_second_local_response_traps() {
    let cfg = json!({"request_headers": {"action": "pause", "ops": [{"op": "send_response", "status": 400}, {"op": "send_response", "status": 401}]}});
    let o = run(&mut vm(Kong, cfg), &get());
    assert_log(&o, "local response already stashed");
    assert_eq!(o.status, 500);
}

/// docs/hosts.md §10: Envoy accepts a second call (each queues a local reply); the first wins here.
#[test]
fn envoy_second_local_response_is_accepted() {
    let cfg = json!({"request_headers": {"action": "pause", "ops": [{"op": "send_response", "status": 400}, {"op": "send_response", "status": 401}]}});
    let o = run(&mut vm(Envoy, cfg), &get());
    assert_eq!(o.status, 400, "{}", o.logs);
    assert_log(&o, "second local response");
}

/// docs/hosts.md §10: on Kong send_http_response after the response headers went out traps.
#[test]
fn kong_local_response_after_headers_sent_traps() {
    let cfg = json!({"response_body": {"ops": [{"op": "send_response", "status": 400}]}});
    let o = run(&mut vm(Kong, cfg), &get());
    assert_log(&o, "response already sent");
}

// ---------------------------------------------------------------- dispatch

fn dispatch_cfg(upstream: &str) -> Value {
    json!({
        "request_headers": {"action": "pause", "ops": [{"op": "dispatch", "upstream": upstream,
            "headers": [[":method", "GET"], [":path", "/token"], [":authority", "auth.example"]]}]},
        "http_call_response": {"ops": [
            {"op": "get_header", "map": "call", "name": ":status"},
            {"op": "get_body", "buffer": "call"},
            {"op": "set_header", "name": "authorization", "value": "Bearer from-call"},
            {"op": "resume_request"}]}
    })
}

fn token_answer(c: &HttpCall) -> Option<CallResponse> {
    assert_eq!(c.header(":path"), Some("/token"));
    Some(CallResponse {
        headers: vec![(":status".into(), b"200".to_vec())],
        body: b"tok".to_vec(),
        trailers: vec![],
    })
}

/// docs/hosts.md §11 (Kong: a host:port target; Envoy: a cluster name): dispatch, answer,
/// on_http_call_response reads it, resumes, and the request goes on with the new header.
#[test]
fn dispatch_answer_resume_on_both() {
    for (p, target) in [(Kong, "auth.example:80"), (Envoy, "auth_cluster")] {
        let mut vm = vm(p, dispatch_cfg(target));
        let o = harness::run(&mut vm, &get(), &mut ok_upstream, &mut token_answer);
        assert_eq!(o.calls.len(), 1, "{p:?}");
        assert_eq!(o.calls[0].upstream, target);
        assert_log(&o, "tf: header :status=200");
        assert_log(&o, "tf: body tok");
        let up = o
            .upstream
            .unwrap_or_else(|| panic!("{p:?}: {:?}\n{}", o.stalled, o.logs));
        assert_eq!(
            up.header("authorization"),
            Some("Bearer from-call"),
            "{p:?}"
        );
    }
}

/// docs/hosts.md §17: ngx_wasm_module resumes a request whose headers step paused on a dispatch
/// once the dispatch is answered, without `proxy_continue_stream` (the chain goes on as after
/// `Continue`); Envoy keeps it paused until the filter resumes it.
#[test]
fn kong_resumes_a_request_once_its_dispatches_are_answered() {
    for (p, target) in [(Kong, "auth.example:80"), (Envoy, "auth_cluster")] {
        let mut cfg = dispatch_cfg(target);
        cfg["http_call_response"] = json!({"ops": [
            {"op": "set_header", "name": "authorization", "value": "Bearer from-call"}]});
        let mut vm = vm(p, cfg);
        let o = harness::run(&mut vm, &get(), &mut ok_upstream, &mut token_answer);
        assert_eq!(o.calls.len(), 1, "{p:?}");
        match p {
            Kong => {
                let up = o
                    .upstream
                    .unwrap_or_else(|| panic!("Kong: {:?}\n{}", o.stalled, o.logs));
                assert_eq!(up.header("authorization"), Some("Bearer from-call"));
            }
            Envoy => assert!(o.upstream.is_none() && o.stalled.is_some(), "Envoy: {o:?}"),
        }
    }
}

/// docs/hosts.md §11: Envoy rejects a dispatch to an unknown cluster with BAD_ARGUMENT (SDK: Err).
#[test]
fn envoy_dispatch_to_unknown_cluster_is_bad_argument() {
    let mut opts = HostOptions::with_config(Envoy, dispatch_cfg("nowhere").to_string());
    opts.clusters = Some(vec!["auth_cluster".into()]);
    let o = run(&mut vm_with(opts), &get());
    assert_log(&o, "tf: dispatch Err(BadArgument)");
}

/// docs/hosts.md §11: Kong wants a host[:port], not an Envoy cluster name.
#[test]
fn kong_dispatch_rejects_cluster_style_target() {
    let o = run(
        &mut vm(Kong, dispatch_cfg("outbound|443||auth.example")),
        &get(),
    );
    assert_log(&o, "tf: dispatch Err(BadArgument)");
}

/// docs/hosts.md §11: a failed dispatch still calls on_http_call_response, with a
/// `:dispatch_status` pseudo-header on Kong and no headers on Envoy.
#[test]
fn failed_dispatch_still_calls_back() {
    let cfg = json!({
        "request_headers": {"action": "pause", "ops": [{"op": "dispatch", "upstream": "auth.example",
            "headers": [[":method", "GET"], [":path", "/t"], [":authority", "auth.example"]]}]},
        "http_call_response": {"ops": [{"op": "get_header", "map": "call", "name": ":dispatch_status"}, {"op": "resume_request"}]}
    });
    let o = run(&mut vm(Kong, cfg.clone()), &get());
    assert_log(&o, "tf: header :dispatch_status=broken connection");
    let o = run(&mut vm(Envoy, cfg), &get());
    assert_log(&o, "headers=0");
}

// ---------------------------------------------------------------- tick

/// docs/hosts.md §13: set_tick_period from on_configure, then on_tick runs on the root
/// context and may dispatch (later issues refresh credentials this way).
#[test]
fn tick_period_and_on_tick_on_both() {
    for p in Profile::ALL {
        let cfg = json!({"tick_ms": 250, "tick": {"ops": [{"op": "dispatch", "upstream": "auth.example",
            "headers": [[":method", "GET"], [":path", "/refresh"], [":authority", "auth.example"]]}]},
            "http_call_response": {"ops": [{"op": "get_body", "buffer": "call"}]}});
        let mut vm = vm(p, cfg);
        assert_eq!(vm.tick_period_ms(), Some(250), "{p:?}");
        vm.tick().unwrap();
        let calls = vm.take_calls();
        assert_eq!(calls.len(), 1, "{p:?}\n{}", vm.log_text());
        let answer = CallResponse {
            headers: vec![(":status".into(), b"200".to_vec())],
            body: b"fresh".to_vec(),
            trailers: vec![],
        };
        vm.deliver_call(&calls[0], Some(answer)).unwrap();
        assert!(
            vm.log_text().contains("tf: root call response"),
            "{}",
            vm.log_text()
        );
        assert!(
            vm.log_text().contains("tf: body fresh"),
            "{}",
            vm.log_text()
        );
    }
}

// ---------------------------------------------------------------- traps

fn panic_cfg() -> Value {
    json!({"request_headers": {"ops": [{"op": "panic", "message": "boom on purpose", "if_header": "x-panic"}]}})
}

/// docs/hosts.md §12: on Kong a trap is a 500 for that request only; the next request works.
#[test]
fn kong_trap_is_500_for_that_request_only() {
    let mut vm = vm(Kong, panic_cfg());
    let bad = Request::new("GET", "/", &[("host", "h"), ("x-panic", "1")], b"");
    let o = run(&mut vm, &bad);
    assert_eq!(o.status, 500);
    assert_eq!(run(&mut vm, &get()).status, 200);
}

/// docs/hosts.md §12: on Envoy a trap fails the VM: that request and every later one get 503.
#[test]
fn envoy_trap_fails_the_vm_later_requests_503() {
    let mut vm = vm(Envoy, panic_cfg());
    let bad = Request::new("GET", "/", &[("host", "h"), ("x-panic", "1")], b"");
    assert_eq!(run(&mut vm, &bad).status, 503);
    let later = run(&mut vm, &get());
    assert_eq!(later.status, 503);
    assert!(later.trace.is_empty(), "no callback runs on a failed VM");
}

/// The filter's panic message (written to stderr before the trap) is captured.
#[test]
fn panic_message_is_captured() {
    let mut vm = vm(Kong, panic_cfg());
    let o = run(
        &mut vm,
        &Request::new("GET", "/", &[("host", "h"), ("x-panic", "1")], b""),
    );
    assert_log(&o, "boom on purpose");
    assert_log(&o, "trap in proxy_on_request_headers");
}

/// docs/hosts.md §1: a false on_configure is a refusal the embedder reports with the log.
#[test]
fn configure_refusal_and_panic_are_reported() {
    let m = testing::test_filter();
    match Vm::start(
        &m,
        HostOptions::with_config(Kong, json!({"configure": "refuse"}).to_string()),
    ) {
        Err(StartError::Refused { logs }) => assert!(logs.contains("refusing config"), "{logs}"),
        other => panic!("expected refusal, got {other:?}"),
    }
    match Vm::start(
        &m,
        HostOptions::with_config(Envoy, json!({"configure": "panic"}).to_string()),
    ) {
        Err(StartError::Trap(t)) => {
            assert!(t.logs.contains("configure panicked on purpose"), "{t}")
        }
        other => panic!("expected trap, got {other:?}"),
    }
}

/// docs/hosts.md §13: shared data without an shm_kv zone traps on Kong; Envoy has it.
#[test]
fn shared_data_needs_a_zone_on_kong() {
    let cfg = json!({"request_headers": {"ops": [{"op": "shared_set", "key": "k", "value": "v"}, {"op": "shared_get", "key": "k"}]}});
    assert_eq!(run(&mut vm(Kong, cfg.clone()), &get()).status, 500);
    assert_log(
        &run(&mut vm(Envoy, cfg), &get()),
        "tf: shared Ok(Some(\"v\"))",
    );
}

// ---------------------------------------------------------------- response body

fn stream_reply(_: &UpstreamRequest) -> UpstreamReply {
    UpstreamReply {
        status: 200,
        headers: vec![("content-type".into(), "text/event-stream".into())],
        chunks: vec![
            b"data: 1\n\n".to_vec(),
            b"data: 2\n\n".to_vec(),
            b"data: 3\n\n".to_vec(),
        ],
    }
}

/// docs/hosts.md §9: with Continue, each response chunk goes to the client as it comes,
/// and the last call is an empty chunk with eos=true.
#[test]
fn response_chunks_stream_through_on_both() {
    for p in Profile::ALL {
        let mut vm = vm(p, json!({}));
        let o = harness::run(&mut vm, &get(), &mut stream_reply, &mut no_calls);
        assert_eq!(o.body_chunks.len(), 3, "{p:?}");
        assert_eq!(o.text(), "data: 1\n\ndata: 2\n\ndata: 3\n\n");
        assert!(
            o.trace
                .last()
                .is_some_and(|t| t == "proxy_on_response_body(0, eos=true)"),
            "{:?}",
            o.trace
        );
    }
}

/// docs/hosts.md §9: Envoy buffers the response while on_http_response_body returns Pause and
/// calls again with everything buffered.
#[test]
fn envoy_response_pause_buffers_until_eos() {
    let cfg = json!({"response_body": {"action": "pause_until_eos", "ops": [{"op": "get_body", "buffer": "response"}]}});
    let o = harness::run(
        &mut vm(Envoy, cfg),
        &get(),
        &mut stream_reply,
        &mut no_calls,
    );
    assert_log(&o, "tf: body data: 1\n\ndata: 2\n\ndata: 3\n\n");
    assert_eq!(o.body_chunks.len(), 1);
}

/// docs/hosts.md §9 (Response Body Buffering): on Kong, after a Pause the host buffers and calls
/// again only at eof (or when `wasm_response_body_buffers` are full).
#[test]
fn kong_response_pause_buffers_until_eof_or_full() {
    let cfg = json!({"response_body": {"action": "pause_until_eos", "ops": [{"op": "get_body", "buffer": "response"}]}});
    let o = harness::run(
        &mut vm(Kong, cfg.clone()),
        &get(),
        &mut stream_reply,
        &mut no_calls,
    );
    let calls: Vec<&String> = o
        .trace
        .iter()
        .filter(|t| t.starts_with("proxy_on_response_body"))
        .collect();
    assert_eq!(
        calls,
        [
            "proxy_on_response_body(9, eos=false)",
            "proxy_on_response_body(27, eos=true)"
        ]
    );
    assert_log(&o, "tf: body data: 1\n\ndata: 2\n\ndata: 3\n\n");
    // Buffers full: the step is called with eof=false and a partial body.
    let mut opts = HostOptions::with_config(Kong, cfg.to_string());
    opts.response_body_buffers = 16;
    let o = harness::run(&mut vm_with(opts), &get(), &mut stream_reply, &mut no_calls);
    assert!(
        o.trace
            .iter()
            .any(|t| t == "proxy_on_response_body(18, eos=false)"),
        "{:?}",
        o.trace
    );
}

/// docs/hosts.md §5: response headers are unreachable from the body step on Envoy after Continue
/// (BAD_ARGUMENT → panic → the stream is reset since headers went out).
#[test]
fn envoy_response_header_edit_in_body_after_continue_resets() {
    let cfg = json!({"response_body": {"ops": [{"op": "set_header", "map": "response", "name": "x-late", "value": "1"}]}});
    let o = harness::run(
        &mut vm(Envoy, cfg),
        &get(),
        &mut stream_reply,
        &mut no_calls,
    );
    assert!(o.reset, "{}", o.logs);
}

/// Unknown imports are linked as stubs that trap naming the import (docs/hosts.md §13).
#[test]
fn unknown_import_traps_naming_it() {
    // (module (import "env" "proxy_foo" (func)) (func (export "_initialize") call 0))
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend_from_slice(&[0x01, 0x04, 0x01, 0x60, 0x00, 0x00]);
    wasm.extend_from_slice(&[0x02, 0x11, 0x01, 0x03]);
    wasm.extend_from_slice(b"env");
    wasm.push(0x09);
    wasm.extend_from_slice(b"proxy_foo");
    wasm.extend_from_slice(&[0x00, 0x00]);
    wasm.extend_from_slice(&[0x03, 0x02, 0x01, 0x00]);
    wasm.extend_from_slice(&[0x07, 0x0f, 0x01, 0x0b]);
    wasm.extend_from_slice(b"_initialize");
    wasm.extend_from_slice(&[0x00, 0x01]);
    wasm.extend_from_slice(&[0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0b]);
    let m = devhost::FilterModule::from_bytes(&wasm).unwrap();
    match Vm::start(&m, HostOptions::new(Envoy)) {
        Err(StartError::Trap(t)) => assert!(t.message.contains("env.proxy_foo"), "{t}"),
        other => panic!("expected a trap, got {other:?}"),
    }
}
