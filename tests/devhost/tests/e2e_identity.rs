//! Cloud identity end to end, under every host: real Envoy 1.40 (the mock token endpoints are
//! static clusters of the harness's bootstrap, named in the configs), `ai-gateway` under both
//! profiles (`--cluster NAME=URL`) and the test nginx + ngx_wasm_module (the harness writes the
//! cluster's `host:port` into the config's `auth.*_cluster` fields, the dispatch target a Kong
//! deployment gives there). The mock provider is the upstream. Checks: the first request waits
//! for the token; later ones reuse it; concurrent requests share one fetch (Envoy; Kong resumes
//! a request only on its own dispatch, docs/cloud-identity.md); a short lifetime triggers one
//! refresh from `on_tick`; a failing or unreachable token endpoint gives a 502/503 that names
//! it and never a secret; the upstream sees `Authorization: Bearer …` or a SigV4 signature
//! with the session token; a body arriving after the token answer still goes upstream whole;
//! the Vertex, Azure managed identity and Bedrock assumed-role configs of `filter-config/`
//! (Kong's examples) work unchanged, their token clusters named after the URLs' hosts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::Duration;

use devhost::envoy::{scenario, scenario_on, Gateway, GatewaySpec, TestHost};
use devhost::mock::{MockOptions, MockServer, Recorded};
use devhost::testing::{self, http, http_body_after, send, Framing, HttpResponse};
use serde_json::{json, Value};

const CHAT: &[u8] = br#"{"messages":[{"role":"user","content":"hi"}]}"#;

struct Setup {
    gw: Gateway,
    provider: MockServer,
    identity: MockServer,
}

/// A gateway on `host` running `config`, with a fresh provider mock and a fresh identity mock.
/// Every `auth.*_cluster` of the config and every name in `clusters` gets this setup's own
/// suffix (real Envoy's cluster names are global to the test binary); `clusters` lead to the
/// identity mock, or to `identity_url` when given.
fn start_at(host: TestHost, config: Value, clusters: &[&str], identity_url: Option<&str>) -> Setup {
    let provider = MockServer::start(MockOptions::default()).unwrap();
    let identity = MockServer::start(MockOptions::default()).unwrap();
    let suffix = identity.addr.port();
    let unique = |c: &str| format!("{c}-{suffix}");
    let mut config = config;
    if let Some(auth) = config["auth"].as_object_mut() {
        for (k, v) in auth.iter_mut() {
            if let (true, Some(c)) = (k.ends_with("_cluster"), v.as_str()) {
                *v = json!(unique(c));
            }
        }
    }
    let url = identity_url.map_or_else(|| identity.url(), str::to_string);
    let named: Vec<(String, String)> = clusters.iter().map(|c| (unique(c), url.clone())).collect();
    let mut spec = GatewaySpec::new(&config.to_string(), &provider.url());
    spec.clusters = named;
    let gw = host
        .try_gateway(&spec)
        .unwrap_or_else(|e| panic!("{}: {e}", host.name()));
    Setup {
        gw,
        provider,
        identity,
    }
}

fn start(host: TestHost, config: Value, clusters: &[&str]) -> Setup {
    start_at(host, config, clusters, None)
}

fn chat(s: &Setup) -> HttpResponse {
    chat_at(&s.gw)
}

fn chat_at(gw: &Gateway) -> HttpResponse {
    http(
        gw.addr,
        "POST",
        "/v1/chat/completions",
        &[("content-type", "application/json")],
        CHAT,
    )
    .unwrap()
}

fn token_calls(s: &Setup) -> Vec<Recorded> {
    s.identity.requests()
}

fn vertex(token_url: &str) -> Value {
    let sa = std::fs::read_to_string(
        testing::workspace_root().join("tests/fixtures/identity/gcp-service-account.json"),
    )
    .unwrap();
    json!({
        "route_type": "llm/v1/chat",
        "auth": {"gcp_use_service_account": true, "gcp_service_account_json": sa,
                 "gcp_oauth_token_url": token_url, "gcp_token_cluster": "gcp_token"},
        "model": {"provider": "gemini", "name": "gemini-2.0-flash",
                  "options": {"gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
                                         "project_id": "test-project", "location_id": "us-central1"}}}
    })
}

fn azure(auth: Value) -> Value {
    json!({
        "route_type": "llm/v1/chat",
        "auth": auth,
        "model": {"provider": "azure", "name": "gpt-4o",
                  "options": {"azure_instance": "inst", "azure_deployment_id": "gpt-4o"}}
    })
}

fn bedrock(auth: Value, bedrock: Value) -> Value {
    json!({
        "route_type": "llm/v1/chat",
        "auth": auth,
        "model": {"provider": "bedrock", "name": "meta.llama3-70b-instruct-v1:0",
                  "options": {"bedrock": bedrock}}
    })
}

#[test]
fn gcp_service_account_token_is_fetched_once_and_sent_as_bearer() {
    scenario("GCP service account: one fetch, bearer", |p| {
        let s = start(
            p,
            vertex("https://oauth2.googleapis.com/token"),
            &["gcp_token"],
        );
        let r = chat(&s);
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let calls = token_calls(&s);
        assert_eq!(calls.len(), 1, "{p:?}");
        assert_eq!(calls[0].method, "POST");
        assert_eq!(calls[0].path, "/token");
        assert_eq!(calls[0].header("host"), Some("oauth2.googleapis.com"));
        let up = s.provider.last().unwrap();
        assert!(up.path.ends_with(":generateContent"), "{}", up.path);
        assert_eq!(up.header("authorization"), Some("Bearer mock-gcp-token-1"));
        // The cached token serves the next request.
        assert_eq!(chat(&s).status, 200);
        assert_eq!(token_calls(&s).len(), 1, "{p:?}: token reused");
        assert_eq!(
            s.provider.last().unwrap().header("authorization"),
            Some("Bearer mock-gcp-token-1")
        );
    });
}

/// A client body that arrives after the token answer: a slow client (`late`), `Expect:
/// 100-continue` (curl sends it for bodies over 1 KiB), a chunked body. The request waits for
/// the token, then goes upstream translated, with the credential and the whole new body. On
/// ngx_wasm_module this needs the request-headers step that dispatched the token call to return
/// `Pause`: after `Continue` the late body is never read and the request goes upstream
/// unedited, and the `Expect` request's connection is never closed (docs/hosts.md §17).
#[test]
fn a_body_arriving_after_the_token_answer_is_forwarded_with_the_credential() {
    const PATH: &str = "/v1/chat/completions";
    const JSON: [(&str, &str); 1] = [("content-type", "application/json")];
    const LATE: Duration = Duration::from_millis(300);
    scenario("identity: body after the token answer", |p| {
        for framing in ["late", "expect-100", "chunked"] {
            let s = start(
                p,
                vertex("https://oauth2.googleapis.com/token"),
                &["gcp_token"],
            );
            let r = match framing {
                "late" => http_body_after(s.gw.addr, "POST", PATH, &JSON, CHAT, LATE),
                "chunked" => send(s.gw.addr, Framing::Chunked, "POST", PATH, &JSON, CHAT),
                _ => send(s.gw.addr, Framing::Expect100, "POST", PATH, &JSON, CHAT),
            }
            .unwrap_or_else(|e| panic!("{p:?} {framing}: {e}"));
            let at = format!("{p:?} {framing}");
            assert_eq!(r.status, 200, "{at}: {}", r.text());
            assert_eq!(token_calls(&s).len(), 1, "{at}");
            let up = s.provider.last().unwrap();
            assert!(up.path.ends_with(":generateContent"), "{at}: {}", up.path);
            assert_eq!(
                up.header("authorization"),
                Some("Bearer mock-gcp-token-1"),
                "{at}"
            );
            let sent: Value = serde_json::from_slice(&up.body)
                .unwrap_or_else(|e| panic!("{at}: {e}: {}", String::from_utf8_lossy(&up.body)));
            assert_eq!(
                sent["contents"][0]["parts"][0]["text"], "hi",
                "{at}: {sent}"
            );
        }
    });
}

#[test]
fn concurrent_first_requests_share_one_fetch_on_envoy() {
    scenario("identity: concurrent first requests", |p| {
        let s = start(
            p,
            vertex("https://oauth2.googleapis.com/token?delay_ms=400"),
            &["gcp_token"],
        );
        let addr = s.gw.addr;
        let threads: Vec<_> = (0..5)
            .map(|_| {
                std::thread::spawn(move || {
                    http(
                        addr,
                        "POST",
                        "/v1/chat/completions",
                        &[("content-type", "application/json")],
                        CHAT,
                    )
                    .unwrap()
                })
            })
            .collect();
        for t in threads {
            let r = t.join().unwrap();
            assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        }
        let n = token_calls(&s).len();
        match p {
            TestHost::RealEnvoy | TestHost::EmuEnvoy => {
                assert_eq!(n, 1, "{p:?}: one fetch shared by 5 requests")
            }
            // Kong: each waiting request dispatches its own fetch.
            TestHost::EmuKong | TestHost::RealNginx => {
                assert!((1..=5).contains(&n), "Kong: {n} fetches")
            }
        }
        assert_eq!(s.provider.requests().len(), 5);
        for up in s.provider.requests() {
            assert!(up
                .header("authorization")
                .is_some_and(|a| a.starts_with("Bearer mock-gcp-token-")));
        }
    });
}

#[test]
fn a_short_lived_token_is_refreshed_once_before_it_expires() {
    scenario("identity: refresh before expiry", |p| {
        let s = start(
            p,
            vertex("https://oauth2.googleapis.com/token?lifetime=4"),
            &["gcp_token"],
        );
        assert_eq!(chat(&s).status, 200);
        assert_eq!(token_calls(&s).len(), 1);
        // Refresh is due in the last quarter of the lifetime (after 3 s); ticks every 500 ms.
        std::thread::sleep(Duration::from_millis(3800));
        let n = token_calls(&s).len();
        assert_eq!(n, 2, "{p:?}: one refresh before expiry");
        let r = chat(&s);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(
            s.provider.last().unwrap().header("authorization"),
            Some("Bearer mock-gcp-token-2"),
            "{p:?}"
        );
        assert_eq!(
            token_calls(&s).len(),
            2,
            "{p:?}: the refreshed token is used"
        );
    });
}

#[test]
fn a_failing_token_endpoint_gives_502_naming_it_without_secrets() {
    scenario("identity: failing token endpoint", |p| {
        let s = start(
            p,
            vertex("https://oauth2.googleapis.com/token?fail=1"),
            &["gcp_token"],
        );
        let r = chat(&s);
        assert_eq!(r.status, 502, "{p:?}: {}", r.text());
        let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(
            msg.starts_with("LLM request failed before proxying: "),
            "{msg}"
        );
        assert!(msg.contains("https://oauth2.googleapis.com/token"), "{msg}");
        assert!(
            msg.contains("400") && msg.contains("invalid_grant"),
            "{msg}"
        );
        assert!(
            !msg.contains("PRIVATE KEY") && !msg.contains("assertion="),
            "{msg}"
        );
        assert!(s.provider.requests().is_empty(), "nothing went upstream");
    });
}

#[test]
fn an_unreachable_token_endpoint_gives_503() {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    scenario("identity: unreachable token endpoint", |p| {
        let s = start_at(
            p,
            vertex("https://oauth2.googleapis.com/token"),
            &["gcp_token"],
            Some(&url),
        );
        let r = http(s.gw.addr, "POST", "/v1/chat/completions", &[], CHAT).unwrap();
        // Real Envoy answers the dispatch itself (its own 503 "upstream connect error"), so
        // the filter sees an answer and reports 502 naming it; the emulator fails the
        // dispatch: 503 (docs/cloud-identity.md, "Hosts").
        let want = if p == TestHost::RealEnvoy { 502 } else { 503 };
        assert_eq!(r.status, want, "{p:?}: {}", r.text());
        let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(
            msg.starts_with("LLM request failed before proxying: ")
                && msg.contains("https://oauth2.googleapis.com/token")
                && (msg.contains("did not answer") || msg.contains("upstream connect error")),
            "{p:?}: {msg}"
        );
        assert!(s.provider.requests().is_empty());
        assert!(s.identity.requests().is_empty());
    });
}

/// Real Envoy refuses a dispatch to a cluster it does not have: 503 naming the cluster. (The
/// emulator sends a call to an unknown cluster to its `--upstream-override`, so this is real
/// Envoy only.)
#[test]
fn a_missing_token_cluster_gives_503_naming_it() {
    scenario_on(
        &[TestHost::RealEnvoy],
        "identity: token cluster missing",
        |p| {
            let s = start(p, vertex("https://oauth2.googleapis.com/token"), &[]);
            let r = chat(&s);
            assert_eq!(r.status, 503, "{p:?}: {}", r.text());
            let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
            let cluster = format!("gcp_token-{}", s.identity.addr.port());
            assert!(msg.contains(&format!("'{cluster}'")), "{msg}");
            assert!(s.provider.requests().is_empty());
        },
    );
}

/// Kong dispatches to a name its resolver must know: a cluster field naming a host that does not
/// resolve gives 503 naming it (the test nginx's resolver answers nothing, so a name without a
/// `resolver_add` entry fails within its 2 s timeout; ngx_wasm_module's `:dispatch_status` is
/// `resolver failure`). The emulator sends calls to unknown targets to its
/// `--upstream-override`, so this is the test nginx only (Envoy's counterpart: the missing
/// cluster above).
#[test]
fn an_unresolvable_token_target_gives_503_naming_it() {
    let hosts: Vec<TestHost> = TestHost::all()
        .into_iter()
        .filter(|h| *h == TestHost::RealNginx)
        .collect();
    scenario_on(&hosts, "identity: token target does not resolve", |p| {
        let provider = MockServer::start(MockOptions::default()).unwrap();
        let mut cfg = vertex("https://oauth2.googleapis.com/token");
        cfg["auth"]["gcp_token_cluster"] = json!("no-such-host.invalid:8080");
        let gw = p
            .try_gateway(&GatewaySpec::new(&cfg.to_string(), &provider.url()))
            .unwrap();
        let r = chat_at(&gw);
        assert_eq!(r.status, 503, "{p:?}: {}", r.text());
        let msg = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(
            msg.contains("https://oauth2.googleapis.com/token")
                && msg.contains(
                    "did not answer (resolver failure; sent to 'no-such-host.invalid:8080')"
                ),
            "{msg}"
        );
        assert!(provider.requests().is_empty());
    });
}

#[test]
fn gcp_metadata_server_token() {
    scenario("GCP metadata server", |p| {
        let cfg = json!({
            "route_type": "llm/v1/chat",
            "auth": {"gcp_use_service_account": true, "gcp_token_cluster": "gcp_metadata"},
            "model": {"provider": "gemini", "name": "gemini-2.0-flash",
                      "options": {"gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
                                             "project_id": "p", "location_id": "us-central1"}}}
        });
        let s = start(p, cfg, &["gcp_metadata"]);
        let r = chat(&s);
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let c = &token_calls(&s)[0];
        assert_eq!(c.method, "GET");
        assert_eq!(
            c.path,
            "/computeMetadata/v1/instance/service-accounts/default/token"
        );
        assert_eq!(c.header("metadata-flavor"), Some("Google"));
        assert_eq!(
            s.provider.last().unwrap().header("authorization"),
            Some("Bearer mock-gcp-metadata-token-1")
        );
    });
}

#[test]
fn azure_managed_identity_imds_app_service_and_entra() {
    let cases = [
        (
            json!({"azure_use_managed_identity": true, "azure_token_cluster": "azure_token"}),
            "Bearer mock-azure-imds-token-1",
            "/metadata/identity/oauth2/token",
        ),
        (
            json!({"azure_use_managed_identity": true, "azure_client_id": "uami-client-id",
                   "azure_token_cluster": "azure_token"}),
            "Bearer mock-azure-imds-token-1",
            "/metadata/identity/oauth2/token",
        ),
        (
            json!({"azure_use_managed_identity": true, "azure_token_cluster": "azure_token",
                   "azure_identity_endpoint": "http://127.0.0.1:41000/msi/token",
                   "azure_identity_header": "test-identity-header"}),
            "Bearer mock-azure-appservice-token-1",
            "/msi/token",
        ),
        (
            json!({"azure_use_managed_identity": true, "azure_token_cluster": "azure_token",
                   "azure_client_id": "app-id", "azure_client_secret": "test-client-secret",
                   "azure_tenant_id": "contoso.onmicrosoft.com"}),
            "Bearer mock-azure-entra-token-1",
            "/contoso.onmicrosoft.com/oauth2/v2.0/token",
        ),
    ];
    scenario("Azure IMDS, App Service, Entra", |p| {
        for (auth, want, path) in &cases {
            let s = start(p, azure(auth.clone()), &["azure_token"]);
            let r = chat(&s);
            assert_eq!(r.status, 200, "{p:?} {auth}: {}", r.text());
            let c = &token_calls(&s)[0];
            assert_eq!(c.path, *path);
            if auth.get("azure_client_id").is_some() && auth.get("azure_client_secret").is_none() {
                assert!(c.query.contains("client_id=uami-client-id"), "{}", c.query);
            }
            let up = s.provider.last().unwrap();
            assert_eq!(up.header("authorization"), Some(*want), "{p:?} {auth}");
            assert!(up.path.starts_with("/openai/deployments/gpt-4o/"));
        }
    });
}

#[test]
fn azure_entra_refusal_is_a_502_without_the_secret() {
    scenario("Azure Entra refusal", |p| {
        let auth = json!({"azure_use_managed_identity": true, "azure_token_cluster": "azure_token",
                          "azure_client_id": "app-id", "azure_client_secret": "wrong-secret-value",
                          "azure_tenant_id": "tenant"});
        let s = start(p, azure(auth), &["azure_token"]);
        let r = chat(&s);
        assert_eq!(r.status, 502, "{}", r.text());
        assert!(r.text().contains("invalid_client"), "{}", r.text());
        assert!(r
            .text()
            .contains("login.microsoftonline.com/tenant/oauth2/v2.0/token"));
        assert!(!r.text().contains("wrong-secret-value"));
    });
}

fn assert_sigv4_with_session(up: &Recorded, key_id: &str, session: &str) {
    let auth = up.header("authorization").unwrap_or_default();
    assert!(
        auth.starts_with(&format!("AWS4-HMAC-SHA256 Credential={key_id}/")),
        "{auth}"
    );
    assert!(auth.contains("/us-east-1/bedrock/aws4_request"), "{auth}");
    assert!(auth.contains("x-amz-security-token"), "{auth}");
    assert_eq!(up.header("x-amz-security-token"), Some(session));
}

#[test]
fn bedrock_assume_role_with_static_keys() {
    scenario("Bedrock assumed role (static keys)", |p| {
        let cfg = bedrock(
            json!({"aws_access_key_id": "AKIDSTATIC", "aws_secret_access_key": "static-secret",
                   "aws_sts_cluster": "aws_sts"}),
            json!({"aws_region": "us-east-1",
                   "aws_assume_role_arn": "arn:aws:iam::123456789012:role/bedrock",
                   "aws_role_session_name": "kong-test"}),
        );
        let s = start(p, cfg, &["aws_sts"]);
        let r = chat(&s);
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        let c = &token_calls(&s)[0];
        assert_eq!(c.header("host"), Some("sts.us-east-1.amazonaws.com"));
        let form = String::from_utf8_lossy(&c.body).into_owned();
        assert!(form.contains("Action=AssumeRole&"), "{form}");
        assert!(form.contains("RoleSessionName=kong-test"), "{form}");
        let sts_auth = c.header("authorization").unwrap();
        assert!(
            sts_auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDSTATIC/")
                && sts_auth.contains("/us-east-1/sts/aws4_request"),
            "{sts_auth}"
        );
        let up = s.provider.last().unwrap();
        assert!(up.path.ends_with("/converse"), "{}", up.path);
        assert_sigv4_with_session(&up, "ASIAMOCKSTS1", "mock-sts-session-1");
    });
}

#[test]
fn bedrock_instance_metadata_container_and_web_identity() {
    let region = json!({"aws_region": "us-east-1"});
    let role = json!({"aws_region": "us-east-1",
                      "aws_assume_role_arn": "arn:aws:iam::123456789012:role/bedrock"});
    let cases = [
        // IMDSv2: session token PUT, role name, keys.
        (
            json!({"aws_use_instance_metadata": true, "aws_credentials_cluster": "aws_creds"}),
            region.clone(),
            vec![
                "/latest/api/token",
                "/latest/meta-data/iam/security-credentials/",
                "/latest/meta-data/iam/security-credentials/mock-instance-role",
            ],
            ("ASIAMOCKIMDS3", "mock-imds-session-3"),
        ),
        // IMDSv2 keys, then AssumeRole signed with them (and their session token).
        (
            json!({"aws_use_instance_metadata": true, "aws_credentials_cluster": "aws_creds",
                   "aws_sts_cluster": "aws_sts"}),
            role.clone(),
            vec![
                "/latest/api/token",
                "/latest/meta-data/iam/security-credentials/",
                "/latest/meta-data/iam/security-credentials/mock-instance-role",
                "/",
            ],
            ("ASIAMOCKSTS4", "mock-sts-session-4"),
        ),
        // ECS / EKS Pod Identity container credentials.
        (
            json!({"aws_container_credentials_url": "http://169.254.170.2/v2/credentials/abc",
                   "aws_container_authorization_token": "test-container-auth",
                   "aws_credentials_cluster": "aws_creds"}),
            region.clone(),
            vec!["/v2/credentials/abc"],
            ("ASIAMOCKCONTAINER1", "mock-container-session-1"),
        ),
        // AssumeRoleWithWebIdentity with the token in the config.
        (
            json!({"aws_web_identity_token": "eyJ.oidc.token", "aws_sts_cluster": "aws_sts"}),
            role.clone(),
            vec!["/"],
            ("ASIAMOCKSTS1", "mock-sts-session-1"),
        ),
    ];
    scenario("Bedrock IMDS, container, web identity", |p| {
        for (auth, opts, paths, (key, session)) in &cases {
            let s = start(
                p,
                bedrock(auth.clone(), opts.clone()),
                &["aws_creds", "aws_sts"],
            );
            let r = chat(&s);
            assert_eq!(r.status, 200, "{p:?} {auth}: {}", r.text());
            let seen: Vec<String> = token_calls(&s).iter().map(|c| c.path.clone()).collect();
            assert_eq!(&seen, paths, "{p:?} {auth}");
            assert_sigv4_with_session(&s.provider.last().unwrap(), key, session);
        }
    });
}

/// Whether this process may listen on ports below 1024: the nginx harness's listeners for
/// token hosts reached by name take ports 80 and 443 (`devhost::nginx::named_hosts`). The
/// tests run as root; elsewhere those cases leave nginx out, and say so.
fn privileged_ports() -> bool {
    match std::net::TcpListener::bind("127.0.0.254:443") {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            eprintln!("identity: ports below 1024 refused; Kong-docs configs not run on nginx");
            false
        }
        Err(_) => true,
    }
}

/// The done-when of the cloud identity work: the Vertex (service account), Azure managed
/// identity and Bedrock assumed-role configs of `filter-config/` (Kong's examples; no cluster
/// fields) load, and requests reach the provider mock with a credential fetched from the mock
/// identity endpoint. Without a cluster field the filter dispatches to a cluster named after
/// the token URL's host (docs/cloud-identity.md), so those are the clusters defined here, all
/// leading to one identity mock (real Envoy's cluster names are global to the test binary).
#[test]
fn kong_docs_identity_configs_reach_the_provider_with_a_fetched_token() {
    let identity = MockServer::start(MockOptions::default()).unwrap();
    let url = identity.url();
    let clusters: Vec<(&str, &str)> = [
        "oauth2.googleapis.com",
        "169.254.169.254",
        "sts.us-east-1.amazonaws.com",
    ]
    .iter()
    .map(|c| (*c, url.as_str()))
    .collect();
    let file = |name: &str| -> Value {
        let path = testing::workspace_root().join("filter-config").join(name);
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    };
    let cases = [
        ("gemini-chat-vertex-service-account.json", "/token"),
        (
            "azure-chat-managed-identity.json",
            "/metadata/identity/oauth2/token",
        ),
        ("bedrock-chat-assume-role.json", "/"),
    ];
    for (name, token_path) in cases {
        // Kong dispatches to the URL's `host:port`: the Kong profile takes a cluster named
        // after the host for it, the test nginx resolves the host to a listener of its own
        // (`devhost::nginx::named_hosts`). Not there: the Azure IMDS address 169.254.169.254,
        // an IP address no resolver entry can redirect.
        let hosts: Vec<TestHost> = TestHost::all()
            .into_iter()
            .filter(|h| {
                *h != TestHost::RealNginx || (!name.starts_with("azure") && privileged_ports())
            })
            .collect();
        scenario_on(&hosts, &format!("identity: Kong docs config {name}"), |p| {
            let provider = MockServer::start(MockOptions::default()).unwrap();
            let cfg = file(name);
            let spec = GatewaySpec::new(&cfg.to_string(), &provider.url()).with_clusters(&clusters);
            let gw = p
                .try_gateway(&spec)
                .unwrap_or_else(|e| panic!("{name} on {}: {e}", p.name()));
            let before = identity.requests().len();
            let r = http(
                gw.addr,
                "POST",
                "/v1/chat/completions",
                &[("content-type", "application/json")],
                CHAT,
            )
            .unwrap();
            let at = format!("{name} on {}", p.name());
            assert_eq!(r.status, 200, "{at}: {}", r.text());
            assert_eq!(
                r.json()["choices"][0]["message"]["content"],
                "Hello! How can I help you today?",
                "{at}"
            );
            let calls = identity.requests();
            let fetched = calls.get(before..).unwrap_or_default();
            assert_eq!(fetched.len(), 1, "{at}: one token call");
            assert_eq!(fetched[0].path, token_path, "{at}");
            let up = provider.last().unwrap();
            let auth = up.header("authorization").unwrap_or_default().to_string();
            match cfg["model"]["provider"].as_str().unwrap() {
                "gemini" => {
                    assert!(auth.starts_with("Bearer mock-gcp-token-"), "{at}: {auth}");
                    assert_eq!(
                        up.header("host"),
                        Some("us-central1-aiplatform.googleapis.com")
                    );
                }
                "azure" => {
                    assert!(
                        auth.starts_with("Bearer mock-azure-imds-token-"),
                        "{at}: {auth}"
                    );
                    assert_eq!(
                        up.header("host"),
                        Some("my-openai-instance.openai.azure.com")
                    );
                }
                _ => {
                    assert!(
                        auth.starts_with("AWS4-HMAC-SHA256 Credential=ASIAMOCKSTS"),
                        "{at}: {auth}"
                    );
                    assert!(
                        up.header("x-amz-security-token")
                            .is_some_and(|t| t.starts_with("mock-sts-session-")),
                        "{at}"
                    );
                    assert_eq!(
                        up.header("host"),
                        Some("bedrock-runtime.us-east-1.amazonaws.com")
                    );
                }
            }
            // The client's own key does not travel next to the fetched credential.
            let r = http(
                gw.addr,
                "POST",
                "/v1/chat/completions",
                &[
                    ("content-type", "application/json"),
                    ("api-key", "CLIENTKEY-x"),
                    ("x-goog-api-key", "CLIENTKEY-x"),
                    ("x-api-key", "CLIENTKEY-x"),
                    ("authorization", "Bearer CLIENTKEY-x"),
                ],
                CHAT,
            )
            .unwrap();
            assert_eq!(r.status, 200, "{at}: {}", r.text());
            let up = provider.last().unwrap();
            for h in ["api-key", "x-goog-api-key", "x-api-key"] {
                assert!(
                    p.dropped(up.header(h)),
                    "{at}: the client's {h} went upstream: {:?}",
                    up.header(h)
                );
            }
            let auth = up.header("authorization").unwrap_or_default();
            assert!(!auth.contains("CLIENTKEY"), "{at}: {auth}");
            assert_eq!(identity.requests().len(), before + 1, "{at}: token reused");
        });
    }
}

/// A Vertex AI video retrieve is answered from a poll the filter makes itself
/// (docs/routes.md "Video on Vertex AI"): with no token cached, each first retrieve fetches its
/// own token (only its own dispatches can resume it, on Envoy too), then polls with it; the
/// token then serves later retrieves.
#[test]
fn a_vertex_video_poll_fetches_its_own_token_then_uses_the_cache() {
    use base64::Engine;
    scenario("identity: vertex video poll", |p| {
        let provider = MockServer::start(MockOptions::default()).unwrap();
        let identity = MockServer::start(MockOptions::default()).unwrap();
        let suffix = identity.addr.port();
        let (token, vertex_ai) = (format!("gcp_token-{suffix}"), format!("vertex-{suffix}"));
        let mut cfg = vertex("https://oauth2.googleapis.com/token?delay_ms=300");
        cfg["auth"]["gcp_token_cluster"] = json!(token);
        cfg["route_type"] = json!("video/v1/videos/generations");
        cfg["model"]["name"] = json!("veo-3.0-generate-001");
        cfg["model"]["options"]["gemini"]["vertex_cluster"] = json!(vertex_ai);
        let spec = GatewaySpec::new(&cfg.to_string(), &provider.url())
            .with_clusters(&[(&token, &identity.url()), (&vertex_ai, &provider.url())]);
        let gw = p
            .try_gateway(&spec)
            .unwrap_or_else(|e| panic!("{}: {e}", p.name()));
        let op = "projects/test-project/locations/us-central1/publishers/google/models/veo-3.0-generate-001/operations/mockop1";
        let id = format!(
            "video_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!("{op}\n1700000000\n8\n1280x720\n"))
        );
        let addr = gw.addr;
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let path = format!("/v1/videos/{id}");
                std::thread::spawn(move || http(addr, "GET", &path, &[], b"").unwrap())
            })
            .collect();
        for t in threads {
            let r = t.join().unwrap();
            assert_eq!(r.status, 200, "{p:?}: {}", r.text());
            let v: Value = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(v["status"], "completed", "{p:?}: {v}");
        }
        let fetches = identity.requests().len();
        assert!((1..=3).contains(&fetches), "{p:?}: {fetches} fetches");
        let polls = provider.requests();
        assert_eq!(polls.len(), 3, "{p:?}");
        for up in &polls {
            assert!(up.path.ends_with(":fetchPredictOperation"), "{}", up.path);
            assert!(
                up.header("authorization")
                    .is_some_and(|a| a.starts_with("Bearer mock-gcp-token-")),
                "{p:?}"
            );
        }
        // The cached token serves the next one.
        let r = http(addr, "GET", &format!("/v1/videos/{id}"), &[], b"").unwrap();
        assert_eq!(r.status, 200, "{p:?}: {}", r.text());
        assert_eq!(identity.requests().len(), fetches, "{p:?}: token reused");
    });
}
