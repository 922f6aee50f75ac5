//! Mock cloud identity endpoints, answering as the providers' references describe:
//!
//! - Google OAuth 2.0 token exchange `POST /token` (JWT-bearer grant; the RS256 assertion is
//!   verified with the public key of the test key in `tests/fixtures/identity/`);
//! - GCE metadata `GET /computeMetadata/v1/instance/service-accounts/default/token`
//!   (`Metadata-Flavor: Google`);
//! - Azure IMDS `GET /metadata/identity/oauth2/token` (`Metadata: true`), App Service
//!   `GET /msi/token` (`X-IDENTITY-HEADER`), Entra `POST /{tenant}/oauth2/v2.0/token`;
//! - AWS STS `POST /` (`AssumeRole`, SigV4-signed; `AssumeRoleWithWebIdentity`), XML answers;
//!   ECS container credentials `GET /v2/credentials/{id}`; IMDSv2 (`PUT /latest/api/token`,
//!   `GET /latest/meta-data/iam/security-credentials/[role]`).
//!
//! Test knobs in the token URL's query: `lifetime=N` (seconds, default 3600), `fail=1`
//! (answer 400/401 with the provider's error shape), `delay_ms=N` (answer late). The n-th
//! identity request of a mock gets tokens ending in `-n`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{Answer, Recorded};

/// Public key of `tests/fixtures/identity/gcp-test-key.pem`.
const GCP_TEST_PUBLIC_KEY: &str = include_str!("../../../fixtures/identity/gcp-test-key.pub.pem");

/// Secrets the mock expects (the test configs use these).
pub const ENTRA_CLIENT_SECRET: &str = "test-client-secret";
/// App Service `IDENTITY_HEADER` the mock expects.
pub const APP_SERVICE_HEADER: &str = "test-identity-header";
/// ECS `AWS_CONTAINER_AUTHORIZATION_TOKEN` the mock expects (when one is sent).
pub const CONTAINER_AUTH: &str = "test-container-auth";

/// Whether `r` is for one of the identity endpoints.
pub fn is_identity(r: &Recorded) -> bool {
    let p = r.path.as_str();
    p == "/token"
        || p.starts_with("/token-")
        || p.starts_with("/computeMetadata/")
        || p == "/metadata/identity/oauth2/token"
        || p == "/msi/token"
        || p.ends_with("/oauth2/v2.0/token")
        || (p == "/" && r.method == "POST")
        || p.starts_with("/v2/credentials/")
        || p.starts_with("/latest/")
}

/// The answer delay asked for in the query (`delay_ms=N`).
pub fn delay_ms(r: &Recorded) -> u64 {
    query(r, "delay_ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn query(r: &Recorded, name: &str) -> Option<String> {
    r.query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn form(body: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (c, hex) {
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn field<'a>(f: &'a [(String, String)], k: &str) -> Option<&'a str> {
    f.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn json_answer(status: u16, v: Value) -> Answer {
    Answer {
        status,
        content_type: "application/json".into(),
        pieces: vec![v.to_string().into_bytes()],
        stream: false,
    }
}

fn text_answer(status: u16, ct: &str, body: String) -> Answer {
    Answer {
        status,
        content_type: ct.into(),
        pieces: vec![body.into_bytes()],
        stream: false,
    }
}

// A mock server on the wire: its tokens expire by the wall clock, as a real endpoint's do.
#[allow(clippy::disallowed_methods)]
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// RFC 3339 UTC time of Unix seconds `t`.
pub fn rfc3339(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    // Civil from days (H. Hinnant).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Verifies an RS256 JWT with the test public key; returns its claims.
pub fn verify_jwt(jwt: &str) -> Result<Value, String> {
    let mut parts = jwt.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a JWT".into());
    };
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err("alg is not RS256".into());
    }
    let sig = URL_SAFE_NO_PAD.decode(s).map_err(|e| e.to_string())?;
    let key = RsaPublicKey::from_public_key_pem(GCP_TEST_PUBLIC_KEY).map_err(|e| e.to_string())?;
    let digest = Sha256::digest(format!("{h}.{c}").as_bytes());
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &sig)
        .map_err(|_| "Invalid JWT Signature.".to_string())?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(c).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())
}

/// The answer of an identity endpoint; `n` is the number of this identity request (1-based).
pub fn answer(r: &Recorded, n: usize) -> Answer {
    let lifetime: u64 = query(r, "lifetime")
        .and_then(|v| v.parse().ok())
        .unwrap_or(3600);
    let fail = query(r, "fail").is_some();
    let p = r.path.as_str();
    if p == "/token" || p.starts_with("/token-") {
        return gcp_exchange(r, n, lifetime, fail);
    }
    if p.starts_with("/computeMetadata/v1/instance/service-accounts/") && p.ends_with("/token") {
        if r.header("metadata-flavor") != Some("Google") {
            return text_answer(
                403,
                "text/html",
                "Missing Metadata-Flavor:Google header.".into(),
            );
        }
        return bearer(n, "gcp-metadata", lifetime, fail);
    }
    if p == "/metadata/identity/oauth2/token" {
        if r.header("metadata") != Some("true") || query(r, "api-version").is_none() {
            return json_answer(
                400,
                json!({"error": "invalid_request", "error_description": "Required metadata header not specified"}),
            );
        }
        if query(r, "resource").as_deref() != Some("https%3A%2F%2Fcognitiveservices.azure.com%2F") {
            return json_answer(
                400,
                json!({"error": "invalid_resource", "error_description": "resource missing"}),
            );
        }
        return azure_mi(n, "azure-imds", lifetime, fail);
    }
    if p == "/msi/token" {
        if r.header("x-identity-header") != Some(APP_SERVICE_HEADER) {
            return json_answer(
                401,
                json!({"statusCode": 401, "message": "Unauthorized request"}),
            );
        }
        return azure_mi(n, "azure-appservice", lifetime, fail);
    }
    if p.ends_with("/oauth2/v2.0/token") {
        let f = form(&r.body);
        let ok = field(&f, "grant_type") == Some("client_credentials")
            && field(&f, "scope") == Some("https://cognitiveservices.azure.com/.default")
            && field(&f, "client_secret") == Some(ENTRA_CLIENT_SECRET);
        if !ok || fail {
            return json_answer(
                401,
                json!({
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                    "error_codes": [7000215]
                }),
            );
        }
        return bearer(n, "azure-entra", lifetime, false);
    }
    if p == "/" && r.method == "POST" {
        return sts(r, n, lifetime, fail);
    }
    if p.starts_with("/v2/credentials/") {
        if let Some(a) = r.header("authorization") {
            if a != CONTAINER_AUTH {
                return text_answer(401, "text/plain", "unauthorized".into());
            }
        }
        return aws_json(n, "container", lifetime, fail);
    }
    if p == "/latest/api/token" {
        if r.method != "PUT" || r.header("x-aws-ec2-metadata-token-ttl-seconds").is_none() {
            return text_answer(400, "text/plain", "Bad Request".into());
        }
        return text_answer(200, "text/plain", format!("imds-session-{n}"));
    }
    if let Some(role) = p.strip_prefix("/latest/meta-data/iam/security-credentials/") {
        if !r
            .header("x-aws-ec2-metadata-token")
            .is_some_and(|t| t.starts_with("imds-session-"))
        {
            return text_answer(401, "text/plain", "Unauthorized".into());
        }
        if role.is_empty() {
            return text_answer(200, "text/plain", "mock-instance-role".into());
        }
        return aws_json(n, "imds", lifetime, fail);
    }
    text_answer(404, "text/plain", "no such identity endpoint".into())
}

fn bearer(n: usize, what: &str, lifetime: u64, fail: bool) -> Answer {
    if fail {
        return json_answer(
            500,
            json!({"error": "internal_failure", "error_description": "mock failure"}),
        );
    }
    json_answer(
        200,
        json!({
            "access_token": format!("mock-{what}-token-{n}"),
            "expires_in": lifetime,
            "token_type": "Bearer"
        }),
    )
}

fn azure_mi(n: usize, what: &str, lifetime: u64, fail: bool) -> Answer {
    if fail {
        return json_answer(
            500,
            json!({"error": "unknown", "error_description": "mock failure"}),
        );
    }
    // Managed identity endpoints give the numbers as strings.
    json_answer(
        200,
        json!({
            "access_token": format!("mock-{what}-token-{n}"),
            "expires_in": lifetime.to_string(),
            "expires_on": (now() + lifetime).to_string(),
            "resource": "https://cognitiveservices.azure.com/",
            "token_type": "Bearer"
        }),
    )
}

fn gcp_exchange(r: &Recorded, n: usize, lifetime: u64, fail: bool) -> Answer {
    let f = form(&r.body);
    let bad = |d: &str| {
        json_answer(
            400,
            json!({"error": "invalid_grant", "error_description": d}),
        )
    };
    if fail {
        return bad("mock failure");
    }
    if field(&f, "grant_type") != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return json_answer(
            400,
            json!({"error": "unsupported_grant_type", "error_description": "Invalid grant_type"}),
        );
    }
    let Some(jwt) = field(&f, "assertion") else {
        return bad("assertion missing");
    };
    let claims = match verify_jwt(jwt) {
        Ok(c) => c,
        Err(e) => return bad(&e),
    };
    let t = now();
    let iat = claims.get("iat").and_then(Value::as_u64).unwrap_or(0);
    let exp = claims.get("exp").and_then(Value::as_u64).unwrap_or(0);
    if claims.get("aud").and_then(Value::as_str) != Some("https://oauth2.googleapis.com/token") {
        return bad("Invalid JWT: audience");
    }
    if claims.get("iss").and_then(Value::as_str)
        != Some("ai-proxy-test@test-project.iam.gserviceaccount.com")
    {
        return bad("Invalid JWT: issuer");
    }
    if claims.get("scope").and_then(Value::as_str)
        != Some("https://www.googleapis.com/auth/cloud-platform")
    {
        return bad("Invalid JWT: scope");
    }
    if iat > t + 60 || exp < t || exp - iat > 3600 {
        return bad("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.");
    }
    bearer(n, "gcp", lifetime, false)
}

fn aws_json(n: usize, what: &str, lifetime: u64, fail: bool) -> Answer {
    if fail {
        return json_answer(
            500,
            json!({"Code": "InternalFailure", "Message": "mock failure"}),
        );
    }
    json_answer(
        200,
        json!({
            "Code": "Success",
            "Type": "AWS-HMAC",
            "AccessKeyId": format!("ASIAMOCK{}{n}", what.to_ascii_uppercase()),
            "SecretAccessKey": format!("mock-{what}-secret-{n}"),
            "Token": format!("mock-{what}-session-{n}"),
            "Expiration": rfc3339(now() + lifetime)
        }),
    )
}

fn sts_error(status: u16, code: &str, message: &str) -> Answer {
    text_answer(
        status,
        "text/xml",
        format!("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>mock</RequestId></ErrorResponse>"),
    )
}

fn sts(r: &Recorded, n: usize, lifetime: u64, fail: bool) -> Answer {
    let f = form(&r.body);
    let action = field(&f, "Action").unwrap_or("");
    if field(&f, "Version") != Some("2011-06-15")
        || field(&f, "RoleArn").is_none()
        || field(&f, "RoleSessionName").is_none()
    {
        return sts_error(
            400,
            "MissingParameter",
            "RoleArn, RoleSessionName and Version are required",
        );
    }
    match action {
        "AssumeRole" => {
            let auth = r.header("authorization").unwrap_or("");
            if !auth.starts_with("AWS4-HMAC-SHA256 Credential=")
                || !auth.contains("/sts/aws4_request")
                || r.header("x-amz-date").is_none()
            {
                return sts_error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
            }
        }
        "AssumeRoleWithWebIdentity" => {
            if field(&f, "WebIdentityToken").is_none_or(str::is_empty) {
                return sts_error(400, "MissingParameter", "WebIdentityToken is required");
            }
        }
        _ => return sts_error(400, "InvalidAction", "Could not find operation"),
    }
    if fail {
        return sts_error(403, "AccessDenied", "User: arn:aws:iam::123456789012:user/mock is not authorized to perform: sts:AssumeRole");
    }
    let result = format!("{action}Result");
    text_answer(
        200,
        "text/xml",
        format!(
            "<{action}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{result}><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/mock/{sn}</Arn><AssumedRoleId>AROAMOCK:{sn}</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>ASIAMOCKSTS{n}</AccessKeyId><SecretAccessKey>mock-sts-secret-{n}</SecretAccessKey><SessionToken>mock-sts-session-{n}</SessionToken><Expiration>{exp}</Expiration></Credentials></{result}><ResponseMetadata><RequestId>mock</RequestId></ResponseMetadata></{action}Response>",
            sn = field(&f, "RoleSessionName").unwrap_or(""),
            exp = rfc3339(now() + lifetime),
        ),
    )
}
