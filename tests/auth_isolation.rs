//! Auth isolation (docs/hostile-input.md "Auth isolation"): with `allow_override: false` no
//! client header, query or body variation replaces the configured key; the client's own
//! `Authorization` never reaches a provider whose key is another header; and the configured
//! keys appear in no output other than the upstream request: not in error bodies, analytics,
//! response headers (debug headers included) or log lines.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::rc::Rc;
use std::sync::Mutex;

use ai_proxy::auth::identity::{AwsKeys, Credential, IdentitySpec, Source};
use ai_proxy::config::Config;
use ai_proxy::env::FixedEnv;
use ai_proxy::exchange::{Exchange, HeadStep, RequestEdits, RequestHead};
use serde_json::{json, Value};

/// The configured secrets: each must appear only where the configuration puts it.
const KEYS: &[&str] = &[
    "TESTKEY-openai-7f3a",
    "TESTKEY-anthropic-91bc",
    "TESTKEY-azure-55de",
    "TESTKEY-gemini-0a1b",
    "TESTKEY-body-c0de",
    "TESTKEY-aws-secret-e1f2",
    "AKIDTESTKEY0000",
];
/// What the client tries to use instead.
const CLIENT: &str = "CLIENTKEY-x";

/// Log lines of the whole test binary (the core logs through `log`).
static LOGS: Mutex<Vec<String>> = Mutex::new(Vec::new());
struct Capture;
impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, r: &log::Record<'_>) {
        LOGS.lock().unwrap().push(format!("{}", r.args()));
    }
    fn flush(&self) {}
}
static LOGGER: Capture = Capture;

struct Provider {
    cfg: Value,
    /// Where the configured key travels: (header name, expected value) or query name.
    header: Option<(&'static str, String)>,
    query: Option<(&'static str, &'static str)>,
    body: Option<(&'static str, &'static str)>,
}

fn providers() -> Vec<Provider> {
    let chat = |provider: &str, options: Value, auth: Value| {
        json!({"route_type": "llm/v1/chat", "model": {"provider": provider, "name": "m",
            "options": options}, "auth": auth, "logging": {"log_statistics": true,
            "log_payloads": true}, "model_name_header": true})
    };
    vec![
        Provider {
            cfg: chat(
                "openai",
                json!({}),
                json!({"header_name": "Authorization", "header_value": "Bearer TESTKEY-openai-7f3a"}),
            ),
            header: Some(("authorization", "Bearer TESTKEY-openai-7f3a".into())),
            query: None,
            body: None,
        },
        Provider {
            cfg: chat(
                "anthropic",
                json!({"anthropic_version": "2023-06-01"}),
                json!({"header_name": "X-Api-Key", "header_value": "TESTKEY-anthropic-91bc"}),
            ),
            header: Some(("x-api-key", "TESTKEY-anthropic-91bc".into())),
            query: None,
            body: None,
        },
        Provider {
            cfg: chat(
                "azure",
                json!({"azure_instance": "i", "azure_deployment_id": "d"}),
                json!({"header_name": "api-key", "header_value": "TESTKEY-azure-55de"}),
            ),
            header: Some(("api-key", "TESTKEY-azure-55de".into())),
            query: None,
            body: None,
        },
        Provider {
            cfg: chat(
                "gemini",
                json!({}),
                json!({"param_name": "key", "param_value": "TESTKEY-gemini-0a1b",
                       "param_location": "query"}),
            ),
            header: None,
            query: Some(("key", "TESTKEY-gemini-0a1b")),
            body: None,
        },
        Provider {
            cfg: chat(
                "mistral",
                json!({"mistral_format": "openai"}),
                json!({"param_name": "api_key", "param_value": "TESTKEY-body-c0de",
                       "param_location": "body"}),
            ),
            header: None,
            query: None,
            body: Some(("api_key", "TESTKEY-body-c0de")),
        },
        Provider {
            cfg: chat(
                "bedrock",
                json!({"bedrock": {"aws_region": "us-east-1"}}),
                json!({"aws_access_key_id": "AKIDTESTKEY0000",
                       "aws_secret_access_key": "TESTKEY-aws-secret-e1f2"}),
            ),
            header: None,
            query: None,
            body: None,
        },
    ]
}

/// A client's attempt: extra headers, query string, body fields.
struct Attempt {
    name: &'static str,
    headers: Vec<(&'static str, String)>,
    query: String,
    body_extra: Value,
}

fn attempts() -> Vec<Attempt> {
    let c = || CLIENT.to_string();
    let bearer = || format!("Bearer {CLIENT}");
    let h = |name, headers: Vec<(&'static str, String)>| Attempt {
        name,
        headers,
        query: String::new(),
        body_extra: json!({}),
    };
    vec![
        h("authorization", vec![("authorization", bearer())]),
        h(
            "Authorization mixed case",
            vec![("AuThOrIzAtIoN", bearer())],
        ),
        h(
            "authorization twice",
            vec![("authorization", bearer()), ("Authorization", bearer())],
        ),
        h("x-api-key", vec![("x-api-key", c())]),
        h(
            "X-API-KEY twice",
            vec![("X-API-KEY", c()), ("x-api-key", c())],
        ),
        h("api-key", vec![("Api-Key", c())]),
        h("x-goog-api-key", vec![("x-goog-api-key", c())]),
        h(
            "proxy-authorization",
            vec![("proxy-authorization", bearer())],
        ),
        h(
            "every key header at once",
            vec![
                ("authorization", bearer()),
                ("x-api-key", c()),
                ("api-key", c()),
                ("x-goog-api-key", c()),
            ],
        ),
        Attempt {
            name: "query key",
            headers: vec![],
            query: format!("key={CLIENT}"),
            body_extra: json!({}),
        },
        Attempt {
            name: "query key repeated and encoded",
            headers: vec![],
            query: format!("key={CLIENT}&k%65y={CLIENT}&key={CLIENT}"),
            body_extra: json!({}),
        },
        Attempt {
            name: "query api_key and header both",
            headers: vec![("authorization", bearer()), ("x-api-key", c())],
            query: format!("api_key={CLIENT}&key={CLIENT}"),
            body_extra: json!({}),
        },
        Attempt {
            name: "body api_key",
            headers: vec![],
            query: String::new(),
            body_extra: json!({"api_key": CLIENT}),
        },
    ]
}

struct Outcome {
    /// The upstream request headers after the edits (client headers minus removals plus sets).
    upstream_headers: Vec<(String, String)>,
    edits: RequestEdits,
    /// Everything that leaves the filter other than the upstream request.
    outputs: Vec<String>,
}

fn run(p: &Provider, a: &Attempt) -> Outcome {
    run_with(p, a, None)
}

/// How a cloud identity credential reaches the request: already in the token cache (the shell
/// sets it before the body step), or after the request waited for it (the pending work is
/// finished with it, as the shell does from the fetch's callback).
#[derive(Debug, Clone, Copy)]
enum Arrival {
    Ready,
    AfterWaiting,
}

fn run_with(p: &Provider, a: &Attempt, identity: Option<(&Credential, Arrival)>) -> Outcome {
    let cfg = Rc::new(Config::parse(p.cfg.to_string().as_bytes()).unwrap());
    let mut ex = Exchange::new(cfg, Rc::new(FixedEnv::default()));
    if let Some((cred, arrival)) = identity {
        ex.require_identity();
        if let Arrival::Ready = arrival {
            ex.set_identity(cred.clone());
        }
    }
    let mut body = json!({"messages": [{"role": "user", "content": "hi"}]});
    for (k, v) in a.body_extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let bytes = body.to_string().into_bytes();
    let mut headers: Vec<(String, String)> = a
        .headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    headers.push(("content-length".into(), bytes.len().to_string()));
    headers.push(("kong-debug".into(), "1".into()));
    let path = if a.query.is_empty() {
        "/v1/chat/completions".to_string()
    } else {
        format!("/v1/chat/completions?{}", a.query)
    };
    let HeadStep::WaitBody { .. } = ex.on_request_head(RequestHead {
        method: "POST",
        path: &path,
        headers: &headers,
    }) else {
        panic!("{}: head", a.name)
    };
    let mut edits = ex.on_request_body(&bytes).unwrap();
    match identity {
        Some((cred, Arrival::AfterWaiting)) => {
            let pending = ex
                .take_pending(&edits)
                .unwrap_or_else(|| panic!("{}: the request waits for its credential", a.name));
            edits = pending.finish(cred, 1_700_000_000).unwrap();
        }
        Some((_, Arrival::Ready)) => {
            assert!(
                ex.take_pending(&edits).is_none(),
                "{}: nothing left",
                a.name
            );
        }
        None => {}
    }
    // The host's view: names are case-insensitive, `set` replaces every value.
    let mut upstream: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .filter(|(k, _)| !edits.remove_headers.contains(k))
        .collect();
    for (k, v) in &edits.set_headers {
        upstream.retain(|(n, _)| n != k);
        upstream.push((k.clone(), v.clone()));
    }
    // An upstream error and its path through the filter: nothing of ours may be echoed.
    let mut outputs = Vec::new();
    let head = ex.on_response_head(401, &[("content-type".into(), "application/json".into())]);
    outputs.push(format!("{head:?}"));
    let step = ex.on_response_body(br#"{"error":{"message":"bad key"}}"#, true);
    outputs.push(format!("{step:?}"));
    outputs.push(format!("{:?}", ex.analytics_json()));
    Outcome {
        upstream_headers: upstream,
        edits,
        outputs,
    }
}

#[test]
fn the_configured_key_wins_and_client_keys_do_not_pass() {
    let _ = log::set_logger(&LOGGER).map(|()| log::set_max_level(log::LevelFilter::Trace));
    for p in providers() {
        for a in attempts() {
            let out = run(&p, &a);
            let ctx = format!("{} / {}", p.cfg["model"]["provider"], a.name);
            // No client key anywhere in the upstream headers.
            for (k, v) in &out.upstream_headers {
                assert!(
                    !v.contains(CLIENT),
                    "{ctx}: client key in upstream {k}: {v}"
                );
            }
            if let Some((name, want)) = &p.header {
                let values: Vec<_> = out
                    .upstream_headers
                    .iter()
                    .filter(|(k, _)| k == name)
                    .collect();
                assert_eq!(values.len(), 1, "{ctx}: {values:?}");
                assert_eq!(&values[0].1, want, "{ctx}");
            }
            let query = &out.edits.target.query;
            if let Some((name, want)) = p.query {
                let keys: Vec<_> = query.iter().filter(|(k, _)| k == name).collect();
                assert_eq!(keys, vec![&(name.to_string(), want.to_string())], "{ctx}");
                assert!(
                    !query.iter().any(|(k, _)| k.eq_ignore_ascii_case("k%65y")),
                    "{ctx}: encoded name passed: {query:?}"
                );
            }
            if let Some((name, want)) = p.body {
                let sent: Value = serde_json::from_slice(out.edits.body.as_ref().unwrap()).unwrap();
                assert_eq!(sent[name], json!(want), "{ctx}");
            }
            if p.cfg["model"]["provider"] == "bedrock" {
                let auth = out
                    .upstream_headers
                    .iter()
                    .find(|(k, _)| k == "authorization")
                    .map(|(_, v)| v.clone())
                    .unwrap();
                assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTESTKEY0000/"));
            }
            for o in &out.outputs {
                for key in KEYS {
                    assert!(!o.contains(key), "{ctx}: {key} in output {o}");
                }
            }
        }
    }
    let logs = LOGS.lock().unwrap();
    for line in logs.iter() {
        for key in KEYS {
            assert!(!line.contains(key), "{key} in a log line: {line}");
        }
    }
}

/// With `allow_override: true` the client's value for the configured name wins (Kong), and
/// still no other key header passes.
#[test]
fn allow_override_lets_only_the_configured_name_through() {
    let cfg = json!({"route_type": "llm/v1/chat", "model": {"provider": "anthropic", "name": "m",
        "options": {"anthropic_version": "2023-06-01"}},
        "auth": {"header_name": "x-api-key", "header_value": "TESTKEY-anthropic-91bc",
                 "allow_override": true}});
    let p = Provider {
        cfg,
        header: None,
        query: None,
        body: None,
    };
    let a = Attempt {
        name: "override",
        headers: vec![
            ("X-Api-Key", CLIENT.to_string()),
            ("authorization", format!("Bearer {CLIENT}")),
        ],
        query: String::new(),
        body_extra: json!({}),
    };
    let out = run(&p, &a);
    let h = &out.upstream_headers;
    assert!(h.contains(&("x-api-key".to_string(), CLIENT.to_string())));
    assert!(!h.iter().any(|(k, _)| k == "authorization"), "{h:?}");
}

/// Without configured credentials the client brings its own key: it is left alone.
#[test]
fn no_configured_auth_keeps_the_client_key() {
    let cfg = json!({"route_type": "llm/v1/chat", "model": {"provider": "openai", "name": "m"}});
    let p = Provider {
        cfg,
        header: None,
        query: None,
        body: None,
    };
    let a = Attempt {
        name: "own key",
        headers: vec![("authorization", format!("Bearer {CLIENT}"))],
        query: String::new(),
        body_extra: json!({}),
    };
    let out = run(&p, &a);
    assert!(out
        .upstream_headers
        .contains(&("authorization".to_string(), format!("Bearer {CLIENT}"))));
}

/// Secrets of the identity configs below: each must appear only in the token call (never
/// upstream, in an error, analytics or a log line).
const IDENTITY_KEYS: &[&str] = &[
    "TESTKEY-entra-secret-3c3c",
    "TESTKEY-app-service-header-4d4d",
    "TESTKEY-web-identity-5e5e",
    "TESTKEY-container-auth-6f6f",
    "TESTKEY-static-secret-7a7a",
];
/// The fetched credentials: only in the upstream request's auth headers.
const FETCHED_TOKEN: &str = "FETCHED-token-8b8b";
const FETCHED_SECRET: &str = "FETCHED-secret-9c9c";
const FETCHED_SESSION: &str = "FETCHED-session-0d0d";

/// Every cloud identity flow (docs/cloud-identity.md, "Which flow a config selects").
fn identity_flows() -> Vec<(&'static str, Value)> {
    let sa = std::fs::read_to_string(format!(
        "{}/tests/fixtures/identity/gcp-service-account.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let cfg = |provider: &str, options: Value, auth: Value| {
        json!({"route_type": "llm/v1/chat", "model": {"provider": provider, "name": "m",
            "options": options}, "auth": auth, "logging": {"log_statistics": true,
            "log_payloads": true}, "model_name_header": true})
    };
    let vertex = |auth: Value| {
        cfg(
            "gemini",
            json!({"gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
                              "project_id": "p", "location_id": "us-central1"}}),
            auth,
        )
    };
    let azure = |auth: Value| {
        cfg(
            "azure",
            json!({"azure_instance": "i", "azure_deployment_id": "d"}),
            auth,
        )
    };
    let role = "arn:aws:iam::123456789012:role/bedrock";
    let bedrock = |auth: Value, role: Option<&str>| {
        let mut b = json!({"aws_region": "us-east-1"});
        if let Some(r) = role {
            b["aws_assume_role_arn"] = json!(r);
        }
        cfg("bedrock", json!({ "bedrock": b }), auth)
    };
    vec![
        (
            "GCP service account",
            vertex(json!({"gcp_use_service_account": true, "gcp_service_account_json": sa})),
        ),
        (
            "GCP metadata server",
            vertex(json!({"gcp_use_service_account": true})),
        ),
        (
            "Azure managed identity (IMDS)",
            azure(json!({"azure_use_managed_identity": true})),
        ),
        (
            "Azure user-assigned identity (IMDS)",
            azure(json!({"azure_use_managed_identity": true, "azure_client_id": "uami"})),
        ),
        (
            "Azure managed identity (App Service)",
            azure(json!({"azure_use_managed_identity": true,
                         "azure_identity_endpoint": "http://127.0.0.1:41000/msi/token",
                         "azure_identity_header": "TESTKEY-app-service-header-4d4d"})),
        ),
        (
            "Azure Entra client credentials",
            azure(
                json!({"azure_use_managed_identity": true, "azure_client_id": "app",
                         "azure_client_secret": "TESTKEY-entra-secret-3c3c",
                         "azure_tenant_id": "tenant"}),
            ),
        ),
        (
            "AWS assumed role (static keys)",
            bedrock(
                json!({"aws_access_key_id": "AKIDTESTKEY0000",
                       "aws_secret_access_key": "TESTKEY-static-secret-7a7a"}),
                Some(role),
            ),
        ),
        (
            "AWS web identity",
            bedrock(
                json!({"aws_web_identity_token": "TESTKEY-web-identity-5e5e"}),
                Some(role),
            ),
        ),
        (
            "AWS container credentials",
            bedrock(
                json!({"aws_container_credentials_url": "http://169.254.170.2/v2/credentials/x",
                       "aws_container_authorization_token": "TESTKEY-container-auth-6f6f"}),
                None,
            ),
        ),
        (
            "AWS instance metadata",
            bedrock(json!({"aws_use_instance_metadata": true}), None),
        ),
        (
            "AWS instance metadata, assumed role",
            bedrock(json!({"aws_use_instance_metadata": true}), Some(role)),
        ),
    ]
}

/// A cloud identity config brings its own credentials as much as a static key does: the
/// client's key headers (and Google's `key` query argument) are removed, and the fetched token
/// or the signature with the temporary keys is the only credential upstream — whether the
/// credential was cached or arrived after the request waited. No configured or fetched secret
/// appears in any other output.
#[test]
fn identity_flows_strip_client_keys() {
    let _ = log::set_logger(&LOGGER).map(|()| log::set_max_level(log::LevelFilter::Trace));
    let bearer = Credential::Bearer {
        token: FETCHED_TOKEN.into(),
        expires_at: u64::MAX,
    };
    let aws = Credential::Aws(AwsKeys {
        access_key_id: "ASIAFETCHED0000".into(),
        secret_access_key: FETCHED_SECRET.into(),
        session_token: Some(FETCHED_SESSION.into()),
        expires_at: u64::MAX,
    });
    let flows = identity_flows();
    assert_eq!(flows.len(), 11);
    for (flow, cfg) in flows {
        // The config really selects that identity flow (not static keys, not a broken one).
        let parsed = Config::parse(cfg.to_string().as_bytes()).unwrap();
        ai_proxy::exchange::check_config(&parsed).unwrap();
        let spec = IdentitySpec::from_config(&parsed.raw)
            .unwrap()
            .unwrap_or_else(|| panic!("{flow}: an identity flow"));
        assert!(!matches!(spec.source, Source::Broken { .. }), "{flow}");
        let signs = cfg["model"]["provider"] == "bedrock";
        let cred = if signs { &aws } else { &bearer };
        let p = Provider {
            cfg: cfg.clone(),
            header: None,
            query: None,
            body: None,
        };
        for arrival in [Arrival::Ready, Arrival::AfterWaiting] {
            for a in attempts() {
                let ctx = format!("{flow} / {arrival:?} / {}", a.name);
                let out = run_with(&p, &a, Some((cred, arrival)));
                for (k, v) in &out.upstream_headers {
                    assert!(
                        !v.contains(CLIENT),
                        "{ctx}: client key in upstream {k}: {v}"
                    );
                    for key in IDENTITY_KEYS {
                        assert!(!v.contains(key), "{ctx}: {key} upstream in {k}");
                    }
                }
                for name in [
                    "x-api-key",
                    "api-key",
                    "x-goog-api-key",
                    "proxy-authorization",
                ] {
                    assert!(
                        !out.upstream_headers.iter().any(|(k, _)| k == name),
                        "{ctx}: {name} passed: {:?}",
                        out.upstream_headers
                    );
                }
                // Google's `key` argument (also encoded) is dropped; other arguments, such as
                // `api_key`, carry no key for these providers and pass as with a static key.
                let query = &out.edits.target.query;
                assert!(
                    !query.iter().any(|(k, v)| v.contains(CLIENT)
                        && (k == "key" || k.eq_ignore_ascii_case("k%65y"))),
                    "{ctx}: client key in the query {query:?}"
                );
                let auths: Vec<&String> = out
                    .upstream_headers
                    .iter()
                    .filter(|(k, _)| k == "authorization")
                    .map(|(_, v)| v)
                    .collect();
                assert_eq!(auths.len(), 1, "{ctx}: {auths:?}");
                if signs {
                    assert!(
                        auths[0].starts_with("AWS4-HMAC-SHA256 Credential=ASIAFETCHED0000/")
                            && auths[0].contains("x-amz-security-token"),
                        "{ctx}: {}",
                        auths[0]
                    );
                    let session: Vec<_> = out
                        .upstream_headers
                        .iter()
                        .filter(|(k, _)| k == "x-amz-security-token")
                        .collect();
                    assert_eq!(session.len(), 1, "{ctx}");
                    assert_eq!(session[0].1, FETCHED_SESSION, "{ctx}");
                } else {
                    assert_eq!(auths[0], &format!("Bearer {FETCHED_TOKEN}"), "{ctx}");
                }
                for o in &out.outputs {
                    for key in KEYS.iter().chain(IDENTITY_KEYS).chain(&[
                        FETCHED_TOKEN,
                        FETCHED_SECRET,
                        FETCHED_SESSION,
                    ]) {
                        assert!(!o.contains(key), "{ctx}: {key} in output {o}");
                    }
                }
            }
        }
    }
    let logs = LOGS.lock().unwrap();
    for line in logs.iter() {
        for key in IDENTITY_KEYS
            .iter()
            .chain(&[FETCHED_TOKEN, FETCHED_SECRET, FETCHED_SESSION])
        {
            assert!(!line.contains(key), "{key} in a log line: {line}");
        }
    }
}

/// The flag alone decides, whatever the provider: a config that asks for gateway-side
/// credentials never lets the client's key through (failing closed), and without any the
/// client's key is left alone.
#[test]
fn an_identity_flag_removes_client_keys_for_any_provider() {
    use ai_proxy::auth::{asks_for_identity, foreign_key_headers, supplies_credentials};
    use ai_proxy::config::schema::AuthConfig;
    let auth = |v: Value| serde_json::from_value::<AuthConfig>(v).unwrap();
    for a in [
        json!({"gcp_use_service_account": true}),
        json!({"azure_use_managed_identity": true}),
        json!({"aws_use_instance_metadata": true}),
        json!({"aws_web_identity_token": "t"}),
        json!({"aws_container_credentials_url": "http://169.254.170.2/v2/credentials/x"}),
    ] {
        let c = auth(a.clone());
        assert!(asks_for_identity(&c) && supplies_credentials(&c), "{a}");
        let removed = foreign_key_headers(&c);
        for h in ["authorization", "x-api-key", "api-key", "x-goog-api-key"] {
            assert!(removed.iter().any(|r| r == h), "{a}: {h} kept: {removed:?}");
        }
    }
    for a in [
        json!({}),
        json!({"aws_web_identity_token": "  "}),
        json!({"gcp_use_service_account": false, "azure_use_managed_identity": false}),
    ] {
        let c = auth(a.clone());
        assert!(!supplies_credentials(&c), "{a}");
        assert!(foreign_key_headers(&c).is_empty(), "{a}");
    }
}
