//! One fetch as a small state machine of HTTP calls: [`Flow::start`] gives the first call,
//! [`Flow::answer`] takes each answer and gives the next call, the credential, or an error.
//!
//! | source | calls |
//! |---|---|
//! | GCP service account | `POST token_uri` (JWT-bearer grant, RS256 assertion) |
//! | GCP metadata | `GET …/service-accounts/default/token` with `Metadata-Flavor: Google` |
//! | Azure IMDS | `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…` with `Metadata: true` |
//! | Azure App Service | `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=…` with `X-IDENTITY-HEADER` |
//! | Azure Entra | `POST /{tenant}/oauth2/v2.0/token` (client-credentials grant) |
//! | AWS web identity | `POST sts` `AssumeRoleWithWebIdentity` (unsigned) |
//! | AWS container | `GET {url}` (optional `Authorization`) |
//! | AWS IMDSv2 | `PUT /latest/api/token`, `GET …/security-credentials/`, `GET …/security-credentials/{role}` |
//! | any AWS + role | then `POST sts` `AssumeRole`, SigV4-signed with the first keys |

use std::rc::Rc;

use serde_json::Value;

use super::parse::{error_summary, form, rfc3339, scrub, xml_text};
use super::{
    AssumeRole, AwsBase, AwsKeys, Credential, Endpoint, IdentityError, IdentitySpec, Source,
    AZURE_RESOURCE, AZURE_SCOPE, GCP_SCOPE,
};
use crate::auth::encode_query_value;
use crate::auth::sigv4::{self, AwsCredentials, SignableRequest, SigningParams};

/// Lifetime assumed for a token whose answer gives none (short, so it is soon refreshed).
const DEFAULT_LIFETIME_S: u64 = 300;
/// STS API version.
const STS_VERSION: &str = "2011-06-15";
/// Session lifetime asked of STS.
const STS_DURATION_S: &str = "3600";
/// IMDSv2 session token lifetime asked for.
const IMDS_TOKEN_TTL_S: &str = "300";

/// An HTTP call to a token endpoint, as plain data for the shell to dispatch.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenCall {
    /// Envoy cluster to dispatch to.
    pub cluster: String,
    /// Kong `host:port` to dispatch to.
    pub upstream: String,
    /// Method.
    pub method: &'static str,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// `:authority`.
    pub authority: String,
    /// `:path` with the query.
    pub path: String,
    /// Other headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// Timeout, milliseconds.
    pub timeout_ms: u32,
    /// The endpoint as named in errors (URL without query).
    pub describe: String,
}

impl std::fmt::Debug for TokenCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Headers and body may carry secrets (assertions, client secrets, session tokens).
        write!(f, "TokenCall({} {})", self.method, self.describe)
    }
}

impl TokenCall {
    fn new(ep: &Endpoint, method: &'static str, path: String, timeout_ms: u32) -> TokenCall {
        TokenCall {
            cluster: ep.cluster.clone(),
            upstream: ep.upstream.clone(),
            method,
            scheme: ep.url.scheme.as_str(),
            authority: ep.url.authority(),
            path,
            headers: Vec::new(),
            body: Vec::new(),
            timeout_ms,
            describe: ep.describe(),
        }
    }

    /// All headers for `dispatch_http_call`: the pseudo-headers, then the others.
    pub fn dispatch_headers(&self) -> Vec<(String, String)> {
        let mut h = vec![
            (":method".to_string(), self.method.to_string()),
            (":path".to_string(), self.path.clone()),
            (":authority".to_string(), self.authority.clone()),
            (":scheme".to_string(), self.scheme.to_string()),
        ];
        h.extend(self.headers.iter().cloned());
        h
    }
}

/// The answer to a token call: the status (`None` when the call failed: reset, timeout,
/// unknown cluster …), with the host's reason if any, and the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status, `None` when there was no answer.
    pub status: Option<u16>,
    /// Why there was no answer (Kong's `:dispatch_status`, or the shell's text).
    pub failure: Option<String>,
    /// Body.
    pub body: Vec<u8>,
}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Dispatch this call and feed its answer to [`Flow::answer`].
    Call(TokenCall),
    /// The credential.
    Done(Credential),
    /// The fetch failed.
    Fail(IdentityError),
}

#[derive(Debug, Clone)]
enum Stage {
    Start,
    /// One call that answers a bearer token (GCP, Azure).
    Bearer,
    /// IMDSv2 session token asked.
    ImdsToken,
    /// Role name asked.
    ImdsRole {
        token: String,
    },
    /// Keys of `role` asked.
    ImdsKeys,
    /// Container credentials asked.
    Container,
    /// `AssumeRole` or `AssumeRoleWithWebIdentity` asked.
    Sts,
    Finished,
}

/// One fetch.
#[derive(Debug, Clone)]
pub struct Flow {
    spec: Rc<IdentitySpec>,
    stage: Stage,
    /// The endpoint of the call in flight (named in errors).
    current: String,
}

impl Flow {
    /// A fetch for `spec`.
    pub fn new(spec: Rc<IdentitySpec>) -> Flow {
        Flow {
            spec,
            stage: Stage::Start,
            current: String::new(),
        }
    }

    /// The first call (or, for static keys with nothing to fetch, the credential).
    pub fn start(&mut self, now: u64) -> Step {
        let spec = self.spec.clone();
        let t = spec.timeout_ms;
        let step = match &spec.source {
            Source::GcpServiceAccount { key, endpoint } => {
                let aud = endpoint.describe();
                match key.assertion(&aud, GCP_SCOPE, now) {
                    Ok(jwt) => {
                        let mut c = TokenCall::new(endpoint, "POST", path_of(endpoint), t);
                        c.headers.push(form_type());
                        c.body = form(&[
                            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                            ("assertion", &jwt),
                        ])
                        .into_bytes();
                        self.stage = Stage::Bearer;
                        Step::Call(c)
                    }
                    Err(e) => Step::Fail(IdentityError::bad(format!(
                        "GCP service account: cannot sign the token request: {e}"
                    ))),
                }
            }
            Source::Broken { kind, reason } => {
                Step::Fail(IdentityError::config(format!("{kind}: {reason}")))
            }
            Source::GcpMetadata { endpoint } => {
                let mut c = TokenCall::new(endpoint, "GET", path_of(endpoint), t);
                c.headers
                    .push(("metadata-flavor".to_string(), "Google".to_string()));
                self.stage = Stage::Bearer;
                Step::Call(c)
            }
            Source::AzureImds {
                endpoint,
                client_id,
            } => {
                let mut q = vec![
                    ("api-version", "2018-02-01".to_string()),
                    ("resource", encode_query_value(AZURE_RESOURCE)),
                ];
                if let Some(id) = client_id {
                    q.push(("client_id", encode_query_value(id)));
                }
                let mut c = TokenCall::new(endpoint, "GET", with_query(endpoint, &q), t);
                c.headers.push(("metadata".to_string(), "true".to_string()));
                self.stage = Stage::Bearer;
                Step::Call(c)
            }
            Source::AzureAppService {
                endpoint,
                header,
                client_id,
            } => {
                let mut q = vec![
                    ("api-version", "2019-08-01".to_string()),
                    ("resource", encode_query_value(AZURE_RESOURCE)),
                ];
                if let Some(id) = client_id {
                    q.push(("client_id", encode_query_value(id)));
                }
                let mut c = TokenCall::new(endpoint, "GET", with_query(endpoint, &q), t);
                c.headers
                    .push(("x-identity-header".to_string(), header.clone()));
                self.stage = Stage::Bearer;
                Step::Call(c)
            }
            Source::AzureClientCredentials {
                endpoint,
                client_id,
                client_secret,
            } => {
                let mut c = TokenCall::new(endpoint, "POST", path_of(endpoint), t);
                c.headers.push(form_type());
                c.body = form(&[
                    ("client_id", client_id),
                    ("client_secret", client_secret),
                    ("grant_type", "client_credentials"),
                    ("scope", AZURE_SCOPE),
                ])
                .into_bytes();
                self.stage = Stage::Bearer;
                Step::Call(c)
            }
            Source::Aws(chain) => match &chain.base {
                AwsBase::Static(keys) => self.assume_or_done(keys.clone(), now),
                AwsBase::WebIdentity { token } => match &chain.assume_role {
                    Some(role) => {
                        let mut c =
                            TokenCall::new(&role.endpoint, "POST", path_of(&role.endpoint), t);
                        c.headers.push(form_type());
                        c.body = form(&[
                            ("Action", "AssumeRoleWithWebIdentity"),
                            ("Version", STS_VERSION),
                            ("RoleArn", &role.role_arn),
                            ("RoleSessionName", &role.session_name),
                            ("DurationSeconds", STS_DURATION_S),
                            ("WebIdentityToken", token),
                        ])
                        .into_bytes();
                        self.stage = Stage::Sts;
                        Step::Call(c)
                    }
                    None => Step::Fail(IdentityError::bad(
                        "AWS web identity needs bedrock.aws_assume_role_arn",
                    )),
                },
                AwsBase::Container {
                    endpoint,
                    authorization,
                } => {
                    let mut c = TokenCall::new(endpoint, "GET", with_query(endpoint, &[]), t);
                    if let Some(a) = authorization {
                        c.headers.push(("authorization".to_string(), a.clone()));
                    }
                    self.stage = Stage::Container;
                    Step::Call(c)
                }
                AwsBase::Imds { endpoint } => {
                    let mut c = TokenCall::new(endpoint, "PUT", "/latest/api/token".to_string(), t);
                    c.headers.push((
                        "x-aws-ec2-metadata-token-ttl-seconds".to_string(),
                        IMDS_TOKEN_TTL_S.to_string(),
                    ));
                    self.stage = Stage::ImdsToken;
                    Step::Call(c)
                }
            },
        };
        self.note(step)
    }

    /// Feeds the answer to the call in flight.
    pub fn answer(&mut self, now: u64, a: &Answer) -> Step {
        let stage = std::mem::replace(&mut self.stage, Stage::Finished);
        let step = match self.check(a) {
            Err(e) => Step::Fail(e),
            Ok(()) => match stage {
                Stage::Bearer => self.bearer(now, &a.body),
                Stage::ImdsToken => self.imds_role(String::from_utf8_lossy(&a.body).trim()),
                Stage::ImdsRole { token } => self.imds_keys(&token, &a.body),
                Stage::ImdsKeys | Stage::Container => match aws_json_keys(&a.body) {
                    Ok(keys) => self.assume_or_done(keys, now),
                    Err(e) => self.fail(&e),
                },
                Stage::Sts => match sts_keys(&a.body) {
                    Ok(keys) => Step::Done(Credential::Aws(keys)),
                    Err(e) => self.fail(&e),
                },
                Stage::Start | Stage::Finished => {
                    Step::Fail(IdentityError::bad("unexpected token answer"))
                }
            },
        };
        self.note(step)
    }

    /// Remembers the endpoint of the next call (for error texts).
    fn note(&mut self, step: Step) -> Step {
        if let Step::Call(c) = &step {
            self.current = c.describe.clone();
        }
        step
    }

    fn prefix(&self) -> String {
        format!(
            "{}: token endpoint {}",
            self.spec.source.kind(),
            self.current
        )
    }

    fn fail(&self, what: &str) -> Step {
        Step::Fail(IdentityError::bad(format!("{} {what}", self.prefix())))
    }

    /// A 2xx answer, or the error naming the endpoint and its reason (secrets scrubbed).
    fn check(&self, a: &Answer) -> Result<(), IdentityError> {
        let secrets = self.spec.source.secrets();
        match a.status {
            None => Err(IdentityError::unreachable(format!(
                "{} did not answer ({})",
                self.prefix(),
                scrub(
                    a.failure.as_deref().unwrap_or("connection failed"),
                    &secrets
                )
            ))),
            Some(s) if (200..300).contains(&s) => Ok(()),
            Some(s) => Err(IdentityError::bad(format!(
                "{} answered {s}: {}",
                self.prefix(),
                scrub(&error_summary(&a.body), &secrets)
            ))),
        }
    }

    fn bearer(&self, now: u64, body: &[u8]) -> Step {
        let Ok(v) = serde_json::from_slice::<Value>(body) else {
            return self.fail("answered something that is not JSON");
        };
        let Some(token) = v
            .get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        else {
            return self.fail("answered without access_token");
        };
        let num = |k: &str| match v.get(k) {
            Some(Value::Number(n)) => n.as_u64(),
            Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        let expires_at = match (num("expires_in"), num("expires_on")) {
            (Some(i), _) => now.saturating_add(i),
            (None, Some(on)) => on,
            (None, None) => now.saturating_add(DEFAULT_LIFETIME_S),
        };
        Step::Done(Credential::Bearer {
            token: token.to_string(),
            expires_at,
        })
    }

    fn imds_role(&mut self, token: &str) -> Step {
        let Source::Aws(chain) = &self.spec.source else {
            return self.fail("unexpected answer");
        };
        let AwsBase::Imds { endpoint } = &chain.base else {
            return self.fail("unexpected answer");
        };
        if token.is_empty() {
            return self.fail("answered an empty IMDSv2 session token");
        }
        let mut c = TokenCall::new(
            endpoint,
            "GET",
            "/latest/meta-data/iam/security-credentials/".to_string(),
            self.spec.timeout_ms,
        );
        c.headers
            .push(("x-aws-ec2-metadata-token".to_string(), token.to_string()));
        self.stage = Stage::ImdsRole {
            token: token.to_string(),
        };
        Step::Call(c)
    }

    fn imds_keys(&mut self, token: &str, body: &[u8]) -> Step {
        let Source::Aws(chain) = &self.spec.source else {
            return self.fail("unexpected answer");
        };
        let AwsBase::Imds { endpoint } = &chain.base else {
            return self.fail("unexpected answer");
        };
        let text = String::from_utf8_lossy(body);
        let role = text.lines().map(str::trim).find(|l| !l.is_empty());
        let Some(role) = role.filter(|r| {
            r.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
        }) else {
            return self.fail("answered no instance role (is an instance profile attached?)");
        };
        let mut c = TokenCall::new(
            endpoint,
            "GET",
            format!("/latest/meta-data/iam/security-credentials/{role}"),
            self.spec.timeout_ms,
        );
        c.headers
            .push(("x-aws-ec2-metadata-token".to_string(), token.to_string()));
        self.stage = Stage::ImdsKeys;
        Step::Call(c)
    }

    /// With a role to assume: the signed `AssumeRole` call; otherwise the keys themselves.
    fn assume_or_done(&mut self, keys: AwsKeys, now: u64) -> Step {
        let Source::Aws(chain) = &self.spec.source else {
            return Step::Done(Credential::Aws(keys));
        };
        let Some(role) = &chain.assume_role else {
            return Step::Done(Credential::Aws(keys));
        };
        match assume_role_call(role, &keys, &chain.region, now, self.spec.timeout_ms) {
            Ok(c) => {
                self.stage = Stage::Sts;
                Step::Call(c)
            }
            Err(e) => Step::Fail(IdentityError::bad(format!(
                "AWS assumed role: cannot sign the STS request: {e}"
            ))),
        }
    }
}

fn form_type() -> (String, String) {
    (
        "content-type".to_string(),
        "application/x-www-form-urlencoded".to_string(),
    )
}

fn path_of(ep: &Endpoint) -> String {
    with_query(ep, &[])
}

/// The endpoint's path with its own query and `extra` (values already encoded).
fn with_query(ep: &Endpoint, extra: &[(&str, String)]) -> String {
    let mut pairs: Vec<String> = ep
        .url
        .query
        .iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.clone()
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    pairs.extend(extra.iter().map(|(k, v)| format!("{k}={v}")));
    if pairs.is_empty() {
        ep.url.path.clone()
    } else {
        format!("{}?{}", ep.url.path, pairs.join("&"))
    }
}

/// The SigV4-signed STS `AssumeRole` call (service `sts`; the global endpoint signs for
/// `us-east-1`).
pub fn assume_role_call(
    role: &AssumeRole,
    keys: &AwsKeys,
    region: &str,
    now: u64,
    timeout_ms: u32,
) -> Result<TokenCall, String> {
    let ep = &role.endpoint;
    let mut c = TokenCall::new(ep, "POST", path_of(ep), timeout_ms);
    let body = form(&[
        ("Action", "AssumeRole"),
        ("Version", STS_VERSION),
        ("RoleArn", &role.role_arn),
        ("RoleSessionName", &role.session_name),
        ("DurationSeconds", STS_DURATION_S),
    ]);
    let signing_region = sts_region(&ep.url.host, region);
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let to_sign = vec![
        ("host".to_string(), c.authority.clone()),
        ("content-type".to_string(), content_type.to_string()),
    ];
    let signed = sigv4::sign(
        &SignableRequest {
            method: "POST",
            path: &ep.url.path,
            query: &ep.url.query,
            headers: &to_sign,
            body: body.as_bytes(),
        },
        &AwsCredentials {
            access_key_id: &keys.access_key_id,
            secret_access_key: &keys.secret_access_key,
            session_token: keys.session_token.as_deref(),
        },
        &SigningParams {
            region: &signing_region,
            service: "sts",
            unix_time: now,
            content_sha256_header: false,
        },
    )
    .map_err(|e| e.to_string())?;
    c.headers
        .push(("content-type".to_string(), content_type.to_string()));
    for (k, v) in signed {
        c.headers.push((k.to_ascii_lowercase(), v));
    }
    c.body = body.into_bytes();
    Ok(c)
}

/// The signing region of an STS host: `sts.{region}.amazonaws.com` names it; the global
/// `sts.amazonaws.com` (and custom endpoints) use the configured region, else `us-east-1`.
pub fn sts_region(host: &str, configured: &str) -> String {
    let named = host
        .strip_prefix("sts.")
        .and_then(|r| r.split_once(".amazonaws.com"))
        .map(|(r, _)| r)
        .filter(|r| !r.is_empty() && !r.contains('.'));
    match named {
        Some(r) => r.to_string(),
        None if host == "sts.amazonaws.com" || configured.is_empty() => "us-east-1".to_string(),
        None => configured.to_string(),
    }
}

/// Keys from an STS answer (`AssumeRole` or `AssumeRoleWithWebIdentity`, XML).
pub fn sts_keys(body: &[u8]) -> Result<AwsKeys, String> {
    let xml = String::from_utf8_lossy(body);
    let get = |n: &str| xml_text(&xml, n).filter(|s| !s.is_empty());
    let (Some(id), Some(secret)) = (get("AccessKeyId"), get("SecretAccessKey")) else {
        return Err("answered without Credentials (AccessKeyId, SecretAccessKey)".into());
    };
    let expires_at = get("Expiration")
        .and_then(|e| rfc3339(&e))
        .ok_or("answered without a valid Expiration")?;
    Ok(AwsKeys {
        access_key_id: id,
        secret_access_key: secret,
        session_token: get("SessionToken"),
        expires_at,
    })
}

/// Keys from a container or instance metadata answer (JSON `AccessKeyId`, `SecretAccessKey`,
/// `Token`, `Expiration`).
pub fn aws_json_keys(body: &[u8]) -> Result<AwsKeys, String> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| "answered something that is not JSON")?;
    let s = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    if let Some(code) = s("Code").filter(|c| c != "Success") {
        return Err(format!("answered Code {code}"));
    }
    let (Some(id), Some(secret)) = (s("AccessKeyId"), s("SecretAccessKey")) else {
        return Err("answered without AccessKeyId/SecretAccessKey".into());
    };
    let expires_at = match s("Expiration") {
        Some(e) => rfc3339(&e).ok_or("answered an invalid Expiration")?,
        None => u64::MAX,
    };
    Ok(AwsKeys {
        access_key_id: id,
        secret_access_key: secret,
        session_token: s("Token"),
        expires_at,
    })
}
