//! Hostcall semantics checked directly on `HostState`, without wasm (each rule cites
//! `docs/hosts.md`).

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::abi::{BufferType, MapType, Status};
use devhost::state::{envoy_set_buffer, kong_set_buffer, Fail, HostState, Phase, Stream};
use devhost::{HostOptions, Profile};

fn state(p: Profile, phase: Phase) -> HostState {
    let mut st = HostState::new(HostOptions::new(p));
    st.streams.insert(
        2,
        Stream {
            request_body_readable: true,
            ..Default::default()
        },
    );
    st.current = 2;
    st.phase = phase;
    st
}

/// (old body, start, size, value, expected result)
type EnvoyCase = (
    &'static str,
    usize,
    usize,
    &'static str,
    Result<&'static str, Status>,
);

/// docs/hosts.md §3: Envoy `copyFrom` semantics.
#[test]
fn envoy_set_buffer_table() {
    let cases: &[EnvoyCase] = &[
        ("body", 0, 0, "<", Ok("<body")),
        ("body", 0, 4, "new", Ok("new")),
        ("body", 0, usize::MAX, "new", Ok("new")),
        ("body", 4, 0, ">", Ok("body>")),
        ("body", 0, 2, "x", Err(Status::BadArgument)),
        ("body", 1, 3, "x", Err(Status::BadArgument)),
    ];
    for (old, start, size, val, want) in cases {
        let mut b = old.as_bytes().to_vec();
        let r = envoy_set_buffer(&mut b, *start, *size, val.as_bytes());
        match want {
            Ok(w) => assert_eq!(
                (r, String::from_utf8(b).unwrap()),
                (Ok(()), w.to_string()),
                "{old} {start} {size} {val}"
            ),
            Err(s) => assert_eq!(r, Err(Fail::Status(*s))),
        }
    }
}

/// docs/hosts.md §3: ngx_wasm_module semantics (`size` caps the value, tail dropped).
#[test]
fn kong_set_buffer_table() {
    let cases: &[(&str, usize, usize, &str, &str)] = &[
        ("body", 0, 0, "<", "<body"),
        ("hello world", 0, 3, "abcdef", "abc"),
        ("hello world", 6, 100, "there", "hello there"),
        ("hello world", 0, usize::MAX, "x", "x"),
        ("ab", 9, 1, "z", "abz"),
    ];
    for (old, start, size, val, want) in cases {
        let mut b = old.as_bytes().to_vec();
        kong_set_buffer(&mut b, *start, *size, val.as_bytes());
        assert_eq!(
            String::from_utf8(b).unwrap(),
            *want,
            "{old} {start} {size} {val}"
        );
    }
}

/// docs/hosts.md §9: on Kong's engine, replacing the last, empty response chunk with nothing
/// loses the end of the body; any other replacement (a value, a chunk that is not the last) and
/// Envoy keep it.
#[test]
fn kong_loses_the_end_when_the_last_empty_chunk_is_replaced_by_nothing() {
    let lost = |p: Profile, last: bool, value: &[u8]| {
        let mut st = state(p, Phase::ResponseBody);
        st.streams.get_mut(&2).unwrap().response_last_chunk = last;
        st.set_buffer(BufferType::HttpResponseBody, 0, usize::MAX, value)
            .unwrap();
        st.streams[&2].response_end_lost
    };
    assert!(lost(Profile::Kong, true, b""));
    assert!(!lost(Profile::Kong, true, b"data: [DONE]\n\n"));
    assert!(!lost(Profile::Kong, false, b""));
    assert!(!lost(Profile::Envoy, true, b""));
}

/// docs/hosts.md §5: Envoy request headers after Continue: single reads BAD_ARGUMENT, pairs empty.
#[test]
fn envoy_dropped_header_map() {
    let mut st = state(Profile::Envoy, Phase::RequestBody);
    st.streams.get_mut(&2).unwrap().request_headers = vec![("a".into(), b"1".to_vec())];
    assert_eq!(
        st.get_map_value(MapType::HttpRequestHeaders, "a"),
        Err(Fail::Status(Status::BadArgument))
    );
    assert_eq!(st.get_map_pairs(MapType::HttpRequestHeaders), Ok(vec![]));
    st.streams.get_mut(&2).unwrap().request_headers_held = true;
    assert_eq!(
        st.get_map_value(MapType::HttpRequestHeaders, "a"),
        Ok(b"1".to_vec())
    );
}

/// docs/hosts.md §2: Kong traps on body access from the wrong step; Envoy says NOT_FOUND.
#[test]
fn body_access_outside_its_steps() {
    let mut k = state(Profile::Kong, Phase::ResponseHeaders);
    assert!(matches!(
        k.get_buffer(BufferType::HttpRequestBody, 0, 10),
        Err(Fail::Trap(_))
    ));
    let mut e = state(Profile::Envoy, Phase::ResponseHeaders);
    assert_eq!(
        e.get_buffer(BufferType::HttpRequestBody, 0, 10),
        Err(Fail::Status(Status::NotFound))
    );
}

/// docs/hosts.md §7: unknown set_property.
#[test]
fn unknown_set_property() {
    let path = vec!["my".to_string(), "prop".to_string()];
    assert_eq!(
        state(Profile::Kong, Phase::RequestHeaders).set_property(&path, b"1"),
        Err(Fail::Status(Status::NotFound))
    );
    assert_eq!(
        state(Profile::Envoy, Phase::RequestHeaders).set_property(&path, b"1"),
        Ok(())
    );
}

/// docs/hosts.md §7: dotted properties outside a request are errors on Kong.
#[test]
fn kong_scoped_property_in_root_context() {
    let mut st = HostState::new(HostOptions::new(Profile::Kong));
    let path = vec!["kong".to_string(), "version".to_string()];
    assert_eq!(
        st.get_property(&path),
        Err(Fail::Status(Status::InternalFailure))
    );
}

/// Metrics ABI: names as each host files them, and which operation each metric type takes
/// (Envoy `context.cc` define/increment/record/getMetric; ngx_wasm_module `ngx_wa_metrics.c`).
#[test]
fn metrics_follow_each_host() {
    use devhost::calls::MetricKind;
    for p in [Profile::Envoy, Profile::Kong] {
        let mut st = state(p, Phase::RequestHeaders);
        assert_eq!(
            st.define_metric(7, "x"),
            Err(Fail::Status(Status::BadArgument))
        );
        let c = st.define_metric(0, "ai_proxy.requests_total").unwrap();
        let h = st.define_metric(2, "ai_proxy.latency_ms").unwrap();
        assert_eq!(st.define_metric(0, "ai_proxy.requests_total"), Ok(c));
        st.increment_metric(c, 2).unwrap();
        st.increment_metric(c, 3).unwrap();
        assert_eq!(st.get_metric(c), Ok(5));
        st.record_metric(h, 40).unwrap();
        st.record_metric(h, 7).unwrap();
        assert_eq!(st.get_metric(h), Err(Fail::Status(Status::BadArgument)));
        assert_eq!(
            st.increment_metric(h, 1),
            Err(Fail::Status(Status::BadArgument))
        );
        assert_eq!(st.get_metric(99), Err(Fail::Status(Status::NotFound)));
        let prefix = match p {
            Profile::Envoy => "wasmcustom.",
            Profile::Kong => "pw.ai_proxy.",
        };
        let m = st.metric(&format!("{prefix}ai_proxy.latency_ms")).unwrap();
        assert_eq!(
            (m.kind, m.observations.clone()),
            (MetricKind::Histogram, vec![40, 7])
        );
        match p {
            Profile::Envoy => {
                // Counters only go up; record raises a counter to the value.
                assert_eq!(
                    st.increment_metric(c, -1),
                    Err(Fail::Status(Status::BadArgument))
                );
                st.record_metric(c, 9).unwrap();
                assert_eq!(st.get_metric(c), Ok(9));
            }
            Profile::Kong => {
                assert_eq!(
                    st.record_metric(c, 9),
                    Err(Fail::Status(Status::BadArgument))
                );
                let long = "m".repeat(300);
                assert_eq!(
                    st.define_metric(0, &long),
                    Err(Fail::Status(Status::BadArgument))
                );
            }
        }
    }
}
