//! AWS Signature Version 4 (SigV4), as a pure function: the caller describes the request that
//! will be sent and gets back the headers to add (`X-Amz-Date`, `X-Amz-Security-Token`,
//! optionally `X-Amz-Content-Sha256`, and `Authorization`). Nothing here reads a clock or the
//! environment: the time comes from the caller (`Env::now_unix`).
//!
//! Reference: AWS General Reference / IAM User Guide, "Create a signed AWS API request"
//! (Signature Version 4): task 1 canonical request, task 2 string to sign, task 3 signing key,
//! task 4 signature. Checked against AWS's published SigV4 test suite in `tests/sigv4.rs`.
//!
//! Rules implemented (non-S3 services):
//! - canonical URI: the path is normalised (empty and `.` segments dropped, `..` removes the
//!   previous segment, a trailing `/` kept) and each segment of the path *as sent* is
//!   URI-encoded again, so `%3A` on the wire becomes `%253A` (AWS double-encodes for every
//!   service but S3);
//! - canonical query: names and values percent-decoded, then strictly encoded (everything but
//!   `A-Za-z0-9-._~`), sorted by name then value;
//! - canonical headers: names lowercased, values trimmed with inner whitespace runs collapsed to
//!   one space, repeated headers joined with `,` in order, sorted by name;
//! - payload hash: SHA-256 hex of the body.
//!
//! Secrets (the secret key, the session token, derived keys) never appear in `Debug` output or
//! in error texts.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The signing algorithm name.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Headers `sign` owns: any copy in the input is ignored so the signature covers our values.
const OWNED_HEADERS: [&str; 4] = [
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-content-sha256",
];

/// AWS credentials. `Debug` shows only the access key id.
#[derive(Clone, Copy)]
pub struct AwsCredentials<'a> {
    /// Access key id (appears in the `Authorization` header; not a secret).
    pub access_key_id: &'a str,
    /// Secret access key.
    pub secret_access_key: &'a str,
    /// Session token of temporary credentials; sent and signed as `X-Amz-Security-Token`.
    pub session_token: Option<&'a str>,
}

impl fmt::Debug for AwsCredentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// Where and when the signature applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SigningParams<'a> {
    /// Signing region, e.g. `us-east-1`.
    pub region: &'a str,
    /// Signing name of the service, e.g. `bedrock`.
    pub service: &'a str,
    /// Signing time, Unix seconds.
    pub unix_time: u64,
    /// Also send (and sign) `X-Amz-Content-Sha256` with the payload hash.
    pub content_sha256_header: bool,
}

/// The request to sign, exactly as it will be sent.
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path as sent (already percent-encoded where the wire needs it), without the query.
    pub path: &'a str,
    /// Query arguments as sent (raw, percent-encoded where needed).
    pub query: &'a [(String, String)],
    /// Headers to cover; must include `Host`.
    pub headers: &'a [(String, String)],
    /// Body bytes.
    pub body: &'a [u8],
}

/// Why a request could not be signed. The texts name what is missing, never a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigV4Error {
    /// Empty access key id.
    MissingAccessKeyId,
    /// Empty secret access key.
    MissingSecretAccessKey,
    /// Empty region.
    MissingRegion,
    /// Empty service name.
    MissingService,
    /// No `Host` header among the headers to sign.
    MissingHost,
    /// The HMAC could not be keyed (cannot happen with HMAC-SHA256; kept to avoid a panic).
    Hmac,
}

impl fmt::Display for SigV4Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SigV4Error::MissingAccessKeyId => "AWS access key id not configured",
            SigV4Error::MissingSecretAccessKey => "AWS secret access key not configured",
            SigV4Error::MissingRegion => "AWS region not specified anywhere",
            SigV4Error::MissingService => "AWS signing service not specified",
            SigV4Error::MissingHost => "no Host header to sign",
            SigV4Error::Hmac => "HMAC key error",
        })
    }
}

/// A canonical request (task 1) and the signed-headers list it implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRequest {
    /// The canonical request text.
    pub text: String,
    /// `host;x-amz-date;…`
    pub signed_headers: String,
}

/// Signs `req` and returns the headers to add, `Authorization` last.
///
/// Any `Authorization`, `X-Amz-Date`, `X-Amz-Security-Token` or `X-Amz-Content-Sha256` in
/// `req.headers` is ignored: the returned values replace them.
pub fn sign(
    req: &SignableRequest<'_>,
    creds: &AwsCredentials<'_>,
    params: &SigningParams<'_>,
) -> Result<Vec<(String, String)>, SigV4Error> {
    if creds.access_key_id.is_empty() {
        return Err(SigV4Error::MissingAccessKeyId);
    }
    if creds.secret_access_key.is_empty() {
        return Err(SigV4Error::MissingSecretAccessKey);
    }
    if params.region.is_empty() {
        return Err(SigV4Error::MissingRegion);
    }
    if params.service.is_empty() {
        return Err(SigV4Error::MissingService);
    }
    let amz = amz_date(params.unix_time);
    let date = amz.get(..8).unwrap_or_default();

    let mut added: Vec<(String, String)> = vec![("X-Amz-Date".into(), amz.clone())];
    if params.content_sha256_header {
        added.push(("X-Amz-Content-Sha256".into(), sha256_hex(req.body)));
    }
    if let Some(token) = creds.session_token.filter(|t| !t.is_empty()) {
        added.push(("X-Amz-Security-Token".into(), token.to_string()));
    }

    let kept = req.headers.iter().filter(|(n, _)| {
        !OWNED_HEADERS
            .iter()
            .any(|owned| n.eq_ignore_ascii_case(owned))
    });
    if !kept.clone().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        return Err(SigV4Error::MissingHost);
    }
    let canonical = canonical(req, kept.chain(added.iter()));
    let scope = credential_scope(date, params.region, params.service);
    let sts = string_to_sign(&amz, &scope, &canonical.text);
    let key = signing_key(creds.secret_access_key, date, params.region, params.service)?;
    let signature = hex(&hmac(&key, sts.as_bytes())?);

    added.push((
        "Authorization".into(),
        format!(
            "{ALGORITHM} Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
            creds.access_key_id, canonical.signed_headers
        ),
    ));
    Ok(added)
}

/// Task 1: the canonical request of `req` (its headers as given, all of them signed).
pub fn canonical_request(req: &SignableRequest<'_>) -> CanonicalRequest {
    canonical(req, req.headers.iter())
}

/// The canonical request of `req` with `headers` in place of `req.headers`, written into one
/// buffer (signing runs on every Bedrock request).
fn canonical<'h>(
    req: &SignableRequest<'_>,
    headers: impl Iterator<Item = &'h (String, String)>,
) -> CanonicalRequest {
    // Sorted by lowercase name; the stable sort keeps repeated headers' values in order.
    let mut list: Vec<(String, &str)> = headers
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.as_str()))
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    let mut text = String::with_capacity(256 + 2 * req.path.len());
    let mut signed_headers = String::with_capacity(64);
    text.push_str(req.method);
    text.push('\n');
    push_canonical_uri(&mut text, req.path);
    text.push('\n');
    push_canonical_query(&mut text, req.query);
    text.push('\n');
    let mut previous: Option<&str> = None;
    for (name, value) in &list {
        if previous == Some(name.as_str()) {
            // A repeated header: its values joined with `,` on one line.
            text.push(',');
        } else {
            if previous.is_some() {
                text.push('\n');
                signed_headers.push(';');
            }
            text.push_str(name);
            text.push(':');
            signed_headers.push_str(name);
        }
        push_header_value(&mut text, value);
        previous = Some(name);
    }
    if previous.is_some() {
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&signed_headers);
    text.push('\n');
    push_hex(&mut text, &Sha256::digest(req.body));
    CanonicalRequest {
        text,
        signed_headers,
    }
}

/// `<yyyymmdd>/<region>/<service>/aws4_request`.
pub fn credential_scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/aws4_request")
}

/// Task 2: the string to sign.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// Task 3: the signing key, `HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service),
/// "aws4_request")`.
fn signing_key(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
) -> Result<[u8; 32], SigV4Error> {
    let k_secret = format!("AWS4{secret}");
    let k_date = hmac(k_secret.as_bytes(), date.as_bytes())?;
    let k_region = hmac(&k_date, region.as_bytes())?;
    let k_service = hmac(&k_region, service.as_bytes())?;
    hmac(&k_service, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> Result<[u8; 32], SigV4Error> {
    let mut mac = HmacSha256::new_from_slice(key).map_err(|_| SigV4Error::Hmac)?;
    mac.update(data);
    mac.finalize()
        .into_bytes()
        .as_slice()
        .try_into()
        .map_err(|_| SigV4Error::Hmac)
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

/// Appends the lowercase hex of `bytes`.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            if let Some(d) = DIGITS.get(usize::from(nibble)) {
                out.push(char::from(*d));
            }
        }
    }
}

/// `YYYYMMDD'T'HHMMSS'Z'` (UTC) for a Unix time: the `X-Amz-Date` format.
pub fn amz_date(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's
/// `civil_from_days`, restricted to non-negative days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Percent-encodes every byte outside `A-Za-z0-9-._~` (SigV4's `UriEncode`, slashes included).
pub fn uri_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    push_uri_encoded(&mut out, bytes);
    out
}

/// Appends [`uri_encode`] of `bytes`.
fn push_uri_encoded(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 0x0f] {
                if let Some(d) = HEX.get(usize::from(nibble)) {
                    out.push(char::from(*d));
                }
            }
        }
    }
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays literal.
pub fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|c| char::from(*c).to_digit(16));
            let lo = bytes.get(i + 2).and_then(|c| char::from(*c).to_digit(16));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                // Two hex digits: at most 0xff.
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'%'));
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

#[cfg(test)]
fn canonical_uri(path: &str) -> String {
    let mut out = String::new();
    push_canonical_uri(&mut out, path);
    out
}

fn push_canonical_uri(out: &mut String, path: &str) {
    let mut segments: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    if segments.is_empty() {
        out.push('/');
        return;
    }
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    for seg in segments {
        out.push('/');
        // The segment as sent is encoded once more (non-S3 double encoding).
        push_uri_encoded(out, seg.as_bytes());
    }
    if trailing {
        out.push('/');
    }
}

fn push_canonical_query(out: &mut String, query: &[(String, String)]) {
    if query.is_empty() {
        return;
    }
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| {
            (
                uri_encode(&percent_decode(k)),
                uri_encode(&percent_decode(v)),
            )
        })
        .collect();
    pairs.sort();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
}

/// Appends a header value trimmed, with runs of whitespace collapsed into one space.
fn push_header_value(out: &mut String, value: &str) {
    for (i, word) in value.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amz_date_formats_utc() {
        assert_eq!(amz_date(1_440_938_160), "20150830T123600Z");
        assert_eq!(amz_date(0), "19700101T000000Z");
        // 2024-02-29 23:59:59 (leap day).
        assert_eq!(amz_date(1_709_251_199), "20240229T235959Z");
        // 2000-03-01 00:00:00.
        assert_eq!(amz_date(951_868_800), "20000301T000000Z");
    }

    #[test]
    fn canonical_uri_normalises_and_double_encodes() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("//"), "/");
        assert_eq!(canonical_uri("//example//"), "/example/");
        assert_eq!(canonical_uri("/a/b/.."), "/a/");
        assert_eq!(
            canonical_uri("/model/anthropic.claude-v2%3A1/invoke"),
            "/model/anthropic.claude-v2%253A1/invoke"
        );
    }

    #[test]
    fn percent_decode_keeps_stray_percent() {
        assert_eq!(percent_decode("a%3Ab%zz%4"), b"a:b%zz%4".to_vec());
    }

    #[test]
    fn credentials_debug_redacts_secrets() {
        let c = AwsCredentials {
            access_key_id: "AKID",
            secret_access_key: "very-secret",
            session_token: Some("token-secret"),
        };
        let s = format!("{c:?}");
        assert!(s.contains("AKID"));
        assert!(!s.contains("very-secret"));
        assert!(!s.contains("token-secret"));
    }
}
