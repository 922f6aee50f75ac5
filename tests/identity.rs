//! Cloud identity core, natively: config → flow, the calls each flow makes (checked against the
//! providers' API references), answer parsing, and the token cache's state machine.
//! The GCP assertion's signature is verified with the public key of the committed test key
//! (`tests/fixtures/identity/`, generated with `openssl genpkey`), independently of the signer.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::rc::Rc;

use ai_proxy::auth::identity::cache::{Lookup, Outcome, TokenCache};
use ai_proxy::auth::identity::flow::{sts_keys, Answer, Flow, Step, TokenCall};
use ai_proxy::auth::identity::{Credential, IdentitySpec, Source};
use ai_proxy::config::Config;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const NOW: u64 = 1_700_000_000;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/identity/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn identity_of(c: &Config) -> Option<Rc<IdentitySpec>> {
    IdentitySpec::from_config(&c.raw).unwrap().map(Rc::new)
}

/// The config's identity flow, refused as the filter refuses it at configure time.
fn parse(cfg: &Value) -> Result<Config, String> {
    let c = Config::parse(cfg.to_string().as_bytes()).map_err(|e| e.to_string())?;
    ai_proxy::exchange::check_config(&c)?;
    Ok(c)
}

fn spec(cfg: Value) -> Rc<IdentitySpec> {
    identity_of(&parse(&cfg).unwrap()).expect("an identity flow")
}

fn vertex_cfg() -> Value {
    json!({
        "route_type": "llm/v1/chat",
        "auth": {"gcp_use_service_account": true,
                 "gcp_service_account_json": fixture("gcp-service-account.json")},
        "model": {"provider": "gemini", "name": "gemini-2.0-flash",
                  "options": {"gemini": {"api_endpoint": "us-central1-aiplatform.googleapis.com",
                                         "project_id": "p", "location_id": "us-central1"}}}
    })
}

fn call(step: Step) -> TokenCall {
    match step {
        Step::Call(c) => c,
        other => panic!("expected a call, got {other:?}"),
    }
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn ok(body: &str) -> Answer {
    Answer {
        status: Some(200),
        failure: None,
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn gcp_assertion_is_rs256_signed_with_the_service_account_key() {
    let mut flow = Flow::new(spec(vertex_cfg()));
    let c = call(flow.start(NOW));
    assert_eq!((c.method, c.scheme), ("POST", "https"));
    assert_eq!(c.authority, "oauth2.googleapis.com");
    assert_eq!(c.path, "/token");
    assert_eq!(c.cluster, "oauth2.googleapis.com");
    assert_eq!(c.upstream, "oauth2.googleapis.com:443");
    let f = form(&c.body);
    // RFC 7523 §2.1 / Google "Using OAuth 2.0 for Server to Server Applications".
    assert_eq!(
        f[0],
        (
            "grant_type".into(),
            "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer".into()
        )
    );
    assert_eq!(f[1].0, "assertion");
    let jwt = &f[1].1;
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(
        header,
        json!({"alg": "RS256", "typ": "JWT", "kid": "0123456789abcdef0123456789abcdef01234567"})
    );
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(
        claims,
        json!({
            "iss": "ai-proxy-test@test-project.iam.gserviceaccount.com",
            "scope": "https://www.googleapis.com/auth/cloud-platform",
            "aud": "https://oauth2.googleapis.com/token",
            "iat": NOW,
            "exp": NOW + 3600
        })
    );
    let key = RsaPublicKey::from_public_key_pem(&fixture("gcp-test-key.pub.pem")).unwrap();
    let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let digest = Sha256::digest(format!("{}.{}", parts[0], parts[1]).as_bytes());
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &sig)
        .expect("signature verifies with the public key");
    // A tampered claim set does not verify.
    let bad = Sha256::digest(format!("{}.{}x", parts[0], parts[1]).as_bytes());
    assert!(key
        .verify(Pkcs1v15Sign::new::<Sha256>(), &bad, &sig)
        .is_err());

    // Answer shape from Google's OAuth 2.0 docs ("access_token", "expires_in", "token_type").
    let step = flow.answer(NOW, &ok(r#"{"access_token":"1/8xbJqaOZXSUZbHLl5EOtu1pxz3fFmZ3rs","expires_in":3920,"token_type":"Bearer"}"#));
    assert_eq!(
        step,
        Step::Done(Credential::Bearer {
            token: "1/8xbJqaOZXSUZbHLl5EOtu1pxz3fFmZ3rs".into(),
            expires_at: NOW + 3920
        })
    );
}

#[test]
fn bad_service_account_json_loads_with_a_warning_and_fails_requests_without_its_content() {
    // Kong accepts any string here (its schema says string) and fails at request time.
    let mut cfg = vertex_cfg();
    cfg["auth"]["gcp_service_account_json"] = json!("{\"type\":\"service_account\",\"client_email\":\"a@b\",\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nbm90IGEga2V5\\n-----END PRIVATE KEY-----\\n\"}");
    let c = parse(&cfg).unwrap();
    let s = identity_of(&c).unwrap();
    assert_eq!(s.warning().unwrap(), "GCP service account: auth.gcp_service_account_json: private_key is not a PKCS#8 RSA key: every request will get 500 'LLM request failed before proxying'");
    let mut cache: TokenCache<()> = TokenCache::new(s);
    let Lookup::Failed(e) = cache.get(NOW * 1000, 1, true) else {
        panic!()
    };
    assert_eq!(e.status, 500);
    assert!(!e.message.contains("bm90"), "{}", e.message);
    cfg["auth"]["gcp_service_account_json"] = json!("not json");
    let w = identity_of(&parse(&cfg).unwrap())
        .unwrap()
        .warning()
        .unwrap();
    assert!(w.contains("not valid JSON"), "{w}");
    // Debug of the spec never shows the key.
    let s = spec(vertex_cfg());
    let dbg = format!("{s:?}");
    assert!(
        !dbg.contains("PRIVATE KEY") && dbg.contains("GCP service account"),
        "{dbg}"
    );
}

#[test]
fn kong_docs_configs_load_with_their_identity_flows() {
    let root = env!("CARGO_MANIFEST_DIR");
    for (file, kind) in [
        (
            "gemini-chat-vertex-service-account.json",
            "GCP service account",
        ),
        ("gemini-chat-vertex-metadata.json", "GCP metadata server"),
        (
            "azure-chat-managed-identity.json",
            "Azure managed identity (IMDS)",
        ),
        (
            "azure-chat-entra-client.json",
            "Azure Entra client credentials",
        ),
        ("bedrock-chat-assume-role.json", "AWS assumed role"),
        (
            "bedrock-chat-instance-metadata.json",
            "instance metadata (IMDSv2)",
        ),
    ] {
        let bytes = std::fs::read(format!("{root}/filter-config/{file}")).unwrap();
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        let c = parse(&v).unwrap_or_else(|e| panic!("{file}: {e}"));
        let got = identity_of(&c).map(|s| s.source.kind());
        assert_eq!(got, Some(kind), "{file}");
    }
    // Static keys without a role keep the old path (no token endpoint).
    let bytes = std::fs::read(format!("{root}/filter-config/bedrock-chat.json")).unwrap();
    assert!(identity_of(&Config::parse(&bytes).unwrap()).is_none());
}

#[test]
fn azure_calls_follow_the_managed_identity_and_entra_references() {
    let az = |auth: Value| {
        spec(json!({"route_type": "llm/v1/chat", "auth": auth,
            "model": {"provider": "azure", "name": "gpt-4o",
                      "options": {"azure_instance": "i", "azure_deployment_id": "d"}}}))
    };
    // IMDS (learn.microsoft.com "How to use managed identities … to acquire an access token").
    let c = call(
        Flow::new(az(
            json!({"azure_use_managed_identity": true, "azure_client_id": "cid"}),
        ))
        .start(NOW),
    );
    assert_eq!(
        (c.method, c.scheme, c.authority.as_str()),
        ("GET", "http", "169.254.169.254")
    );
    assert_eq!(c.path, "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fcognitiveservices.azure.com%2F&client_id=cid");
    assert_eq!(
        c.headers,
        vec![("metadata".to_string(), "true".to_string())]
    );
    // App Service (IDENTITY_ENDPOINT / IDENTITY_HEADER, api-version 2019-08-01).
    let c = call(
        Flow::new(az(json!({"azure_use_managed_identity": true,
        "azure_identity_endpoint": "http://127.0.0.1:41056/msi/token",
        "azure_identity_header": "hdr"})))
        .start(NOW),
    );
    assert_eq!(
        c.path,
        "/msi/token?api-version=2019-08-01&resource=https%3A%2F%2Fcognitiveservices.azure.com%2F"
    );
    assert_eq!(
        c.headers,
        vec![("x-identity-header".to_string(), "hdr".to_string())]
    );
    assert_eq!(c.upstream, "127.0.0.1:41056");
    // Entra client credentials (v2.0 token endpoint, scope …/.default).
    let s = az(
        json!({"azure_use_managed_identity": true, "azure_client_id": "app",
        "azure_client_secret": "sec/ret", "azure_tenant_id": "tenant-1"}),
    );
    let mut flow = Flow::new(s);
    let c = call(flow.start(NOW));
    assert_eq!(c.authority, "login.microsoftonline.com");
    assert_eq!(c.path, "/tenant-1/oauth2/v2.0/token");
    assert_eq!(String::from_utf8_lossy(&c.body), "client_id=app&client_secret=sec%2Fret&grant_type=client_credentials&scope=https%3A%2F%2Fcognitiveservices.azure.com%2F.default");
    assert_eq!(
        format!("{c:?}"),
        "TokenCall(POST https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token)"
    );
    // An Entra refusal (error shape from the Microsoft identity platform docs) names the
    // endpoint and the code, never the secret.
    let step = flow.answer(NOW, &Answer {
        status: Some(401),
        failure: None,
        body: br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. sec/ret"}"#.to_vec(),
    });
    let Step::Fail(e) = step else { panic!() };
    assert_eq!(e.status, 502);
    assert_eq!(e.message, "Azure Entra client credentials: token endpoint https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token answered 401: invalid_client: AADSTS7000215: Invalid client secret provided. <redacted>");
    // IMDS answers numbers as strings.
    let mut flow = Flow::new(az(json!({"azure_use_managed_identity": true})));
    flow.start(NOW);
    let step = flow.answer(NOW, &ok(r#"{"access_token":"eyJ0eXAi","refresh_token":"","expires_in":"3599","expires_on":"1700003599","not_before":"1700000000","resource":"https://cognitiveservices.azure.com/","token_type":"Bearer"}"#));
    assert_eq!(
        step,
        Step::Done(Credential::Bearer {
            token: "eyJ0eXAi".into(),
            expires_at: NOW + 3599
        })
    );
    // No answer at all → 503.
    let mut flow = Flow::new(az(json!({"azure_use_managed_identity": true})));
    flow.start(NOW);
    let Step::Fail(e) = flow.answer(
        NOW,
        &Answer {
            status: None,
            failure: Some("timeout".into()),
            body: vec![],
        },
    ) else {
        panic!()
    };
    assert_eq!(e.status, 503);
    assert_eq!(e.message, "Azure managed identity (IMDS): token endpoint http://169.254.169.254/metadata/identity/oauth2/token did not answer (timeout)");
}

fn bedrock_cfg(auth: Value, bedrock: Value) -> Value {
    json!({"route_type": "llm/v1/chat", "auth": auth,
        "model": {"provider": "bedrock", "name": "m", "options": {"bedrock": bedrock}}})
}

// The AssumeRole response example of the AWS STS API reference (values shortened).
const STS_ANSWER: &str = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <SourceIdentity>Alice</SourceIdentity>
    <AssumedRoleUser>
      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>
      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>
    </AssumedRoleUser>
    <Credentials>
      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764</SessionToken>
      <Expiration>2019-11-09T13:34:41Z</Expiration>
    </Credentials>
    <PackedPolicySize>6</PackedPolicySize>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ResponseMetadata>
</AssumeRoleResponse>"#;

#[test]
fn aws_assume_role_is_sigv4_signed_and_its_xml_answer_read() {
    let s = spec(bedrock_cfg(
        json!({"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}),
        json!({"aws_region": "eu-west-1", "aws_assume_role_arn": "arn:aws:iam::123456789012:role/demo",
               "aws_role_session_name": "TestAR"}),
    ));
    let mut flow = Flow::new(s);
    let c = call(flow.start(NOW));
    assert_eq!(
        (c.method, c.authority.as_str(), c.path.as_str()),
        ("POST", "sts.eu-west-1.amazonaws.com", "/")
    );
    assert_eq!(String::from_utf8_lossy(&c.body), "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=TestAR&DurationSeconds=3600");
    let h = |n: &str| {
        c.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(h("x-amz-date"), Some("20231114T221320Z"));
    assert_eq!(
        h("content-type"),
        Some("application/x-www-form-urlencoded; charset=utf-8")
    );
    let auth = h("authorization").unwrap();
    assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20231114/eu-west-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="), "{auth}");
    let step = flow.answer(NOW, &ok(STS_ANSWER));
    let Step::Done(Credential::Aws(k)) = step else {
        panic!("{step:?}")
    };
    assert_eq!(k.access_key_id, "ASIAIOSFODNN7EXAMPLE");
    assert_eq!(
        k.secret_access_key,
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"
    );
    assert_eq!(
        k.session_token.as_deref(),
        Some("AQoDYXdzEPT//////////wEXAMPLEtc764")
    );
    assert_eq!(k.expires_at, 1_573_306_481);
    let dbg = format!("{:?}", Credential::Aws(k));
    assert!(!dbg.contains("wJalr") && !dbg.contains("AQoD"), "{dbg}");
    // STS error answer (ErrorResponse XML).
    let mut flow = Flow::new(spec(bedrock_cfg(
        json!({"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "s3cr3t-key"}),
        json!({"aws_region": "us-east-1", "aws_assume_role_arn": "arn:aws:iam::1:role/x"}),
    )));
    flow.start(NOW);
    let Step::Fail(e) = flow.answer(NOW, &Answer { status: Some(403), failure: None,
        body: b"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error></ErrorResponse>".to_vec() }) else { panic!() };
    assert_eq!(e.message, "AWS assumed role: token endpoint https://sts.us-east-1.amazonaws.com/ answered 403: AccessDenied: not authorized");
    assert!(sts_keys(b"<x/>").is_err());
}

#[test]
fn aws_imds_v2_then_assume_role_chain() {
    let s = spec(bedrock_cfg(
        json!({"aws_use_instance_metadata": true}),
        json!({"aws_region": "us-east-1", "aws_assume_role_arn": "arn:aws:iam::1:role/x",
               "aws_sts_endpoint_url": "https://sts.amazonaws.com"}),
    ));
    let mut flow = Flow::new(s);
    // IMDSv2 (EC2 user guide "Use IMDSv2"): PUT a session token, then GETs with it.
    let c = call(flow.start(NOW));
    assert_eq!(
        (c.method, c.authority.as_str(), c.path.as_str()),
        ("PUT", "169.254.169.254", "/latest/api/token")
    );
    assert_eq!(
        c.headers,
        vec![(
            "x-aws-ec2-metadata-token-ttl-seconds".to_string(),
            "300".to_string()
        )]
    );
    let c = call(flow.answer(NOW, &ok("AQAEAtoken==")));
    assert_eq!(
        (c.method, c.path.as_str()),
        ("GET", "/latest/meta-data/iam/security-credentials/")
    );
    assert_eq!(
        c.headers,
        vec![(
            "x-aws-ec2-metadata-token".to_string(),
            "AQAEAtoken==".to_string()
        )]
    );
    let c = call(flow.answer(NOW, &ok("my-role\n")));
    assert_eq!(c.path, "/latest/meta-data/iam/security-credentials/my-role");
    // Instance credentials JSON (EC2 user guide "Retrieve security credentials").
    let c = call(flow.answer(NOW, &ok(r#"{"Code":"Success","LastUpdated":"2023-11-14T20:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAIMDS","SecretAccessKey":"imds-secret","Token":"imds-session","Expiration":"2023-11-15T02:00:00Z"}"#)));
    assert_eq!(c.authority, "sts.amazonaws.com");
    let h = |n: &str| {
        c.headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.to_string())
    };
    assert_eq!(h("x-amz-security-token").as_deref(), Some("imds-session"));
    assert!(h("authorization")
        .unwrap()
        .contains("Credential=ASIAIMDS/20231114/us-east-1/sts/aws4_request"));
    let Step::Done(Credential::Aws(k)) = flow.answer(NOW, &ok(STS_ANSWER)) else {
        panic!()
    };
    assert_eq!(k.access_key_id, "ASIAIOSFODNN7EXAMPLE");
}

#[test]
fn aws_web_identity_needs_a_role_and_is_unsigned() {
    let e = parse(&bedrock_cfg(
        json!({"aws_web_identity_token": "tok"}),
        json!({"aws_region": "us-east-1"}),
    ))
    .unwrap_err();
    assert_eq!(e, "model.options.bedrock.aws_assume_role_arn: required with auth.aws_web_identity_token (AssumeRoleWithWebIdentity)");
    let e = parse(&bedrock_cfg(
        json!({}),
        json!({"aws_region": "us-east-1", "aws_assume_role_arn": "arn"}),
    ))
    .unwrap_err();
    assert!(e.contains("needs first credentials"), "{e}");
    let mut flow = Flow::new(spec(bedrock_cfg(
        json!({"aws_web_identity_token": "eyJ.oidc"}),
        json!({"aws_region": "us-east-1", "aws_assume_role_arn": "arn:aws:iam::1:role/x"}),
    )));
    let c = call(flow.start(NOW));
    assert!(!c.headers.iter().any(|(k, _)| k == "authorization"));
    assert!(String::from_utf8_lossy(&c.body).starts_with("Action=AssumeRoleWithWebIdentity&"));
    assert!(String::from_utf8_lossy(&c.body).ends_with("&WebIdentityToken=eyJ.oidc"));
    let answer = STS_ANSWER.replace("AssumeRoleResult", "AssumeRoleWithWebIdentityResult");
    assert!(matches!(
        flow.answer(NOW, &ok(&answer)),
        Step::Done(Credential::Aws(_))
    ));
}

fn bearer_answer(expires_in: u64) -> Answer {
    ok(&format!(
        r#"{{"access_token":"t","expires_in":{expires_in}}}"#
    ))
}

#[test]
fn cache_shares_one_fetch_refreshes_before_expiry_and_times_out() {
    let s = spec(vertex_cfg());
    let mut cache: TokenCache<&str> = TokenCache::new(s);
    let t0 = NOW * 1000;
    let Lookup::Start(f1, _) = cache.get(t0, 10, true) else {
        panic!()
    };
    assert_eq!(cache.get(t0 + 1, 11, true), Lookup::Joined(f1));
    assert_eq!(cache.set_job(f1, 11, "job-11"), Ok(()));
    assert_eq!(cache.in_flight(), 1);
    let Outcome::Ready(cred, waiters) = cache.answer(f1, t0 + 100, &bearer_answer(100)) else {
        panic!()
    };
    assert_eq!(cred.expires_at(), NOW + 100);
    assert_eq!(waiters.len(), 2);
    assert_eq!(waiters[1].job, Some("job-11"));
    assert!(matches!(cache.get(t0 + 200, 12, true), Lookup::Ready(_)));
    // Refresh is due in the last quarter of the lifetime: not at 70 s, at 76 s; one only.
    assert!(cache.tick(t0 + 70_000).refresh.is_none());
    let w = cache.tick(t0 + 76_000);
    let (f2, _) = w.refresh.expect("a refresh");
    assert!(
        cache.tick(t0 + 76_500).refresh.is_none(),
        "one refresh in flight"
    );
    // The old credential serves meanwhile.
    assert!(matches!(cache.get(t0 + 77_000, 13, true), Lookup::Ready(_)));
    // A failed refresh backs off, then retries.
    assert!(
        matches!(cache.answer(f2, t0 + 77_000, &Answer { status: Some(500), ..Answer::default() }), Outcome::Failed(_, w) if w.is_empty())
    );
    assert!(cache.tick(t0 + 78_000).refresh.is_none());
    let (f3, _) = cache
        .tick(t0 + 79_500)
        .refresh
        .expect("retry after backoff");
    assert!(matches!(
        cache.answer(f3, t0 + 80_000, &bearer_answer(100)),
        Outcome::Ready(_, _)
    ));
    // Past expiry (minus its skew) the credential is not used: a new fetch starts.
    assert!(matches!(
        cache.get(t0 + 80_000 + 95_000, 14, true),
        Lookup::Start(_, _)
    ));
    // Deadline: timeout 10 s + 1 s grace.
    let w = cache.tick(t0 + 80_000 + 95_000 + 11_500);
    assert_eq!(w.timed_out.len(), 1);
    assert_eq!(w.timed_out[0].0.status, 503);
    assert_eq!(w.timed_out[0].1[0].context_id, 14);
    // Without coalescing (Kong) every waiting request starts its own fetch.
    let mut kong: TokenCache<()> = TokenCache::new(spec(vertex_cfg()));
    assert!(matches!(kong.get(t0, 1, false), Lookup::Start(_, _)));
    assert!(matches!(kong.get(t0, 2, false), Lookup::Start(_, _)));
    assert_eq!(kong.in_flight(), 2);
    // A forgotten waiter is not answered.
    let mut c: TokenCache<()> = TokenCache::new(spec(vertex_cfg()));
    let Lookup::Start(f, _) = c.get(t0, 1, true) else {
        panic!()
    };
    c.forget(1);
    assert!(matches!(c.answer(f, t0, &bearer_answer(10)), Outcome::Ready(_, w) if w.is_empty()));
    assert_eq!(c.answer(f, t0, &bearer_answer(10)), Outcome::Unknown);
}

#[test]
fn spec_sources_name_endpoints_and_clusters() {
    let mut cfg = vertex_cfg();
    cfg["auth"]["gcp_token_cluster"] = json!("gcp_oauth");
    cfg["auth"]["gcp_oauth_token_url"] = json!("http://127.0.0.1:9999/token");
    let s = spec(cfg);
    let Source::GcpServiceAccount { endpoint, .. } = &s.source else {
        panic!()
    };
    assert_eq!(endpoint.cluster, "gcp_oauth");
    assert_eq!(endpoint.upstream, "gcp_oauth");
    assert_eq!(endpoint.describe(), "http://127.0.0.1:9999/token");
    assert_eq!(s.timeout_ms, 10_000);
}
