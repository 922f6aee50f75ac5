//! Google service-account assertions: the key file's fields, and the RS256-signed JWT that the
//! OAuth 2.0 JWT-bearer grant (RFC 7523) exchanges for an access token
//! (docs/cloud-identity.md, "GCP").
//!
//! RSASSA-PKCS1-v1_5 with SHA-256 comes from the `rsa` crate (pure Rust, builds for
//! wasm32-wasip1). Signing is deterministic, so no random source is needed in the filter.

use std::fmt;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Lifetime asked for in the assertion (Google's maximum).
pub const ASSERTION_LIFETIME_S: u64 = 3600;

/// The fields of a service-account key file that the exchange needs. `Debug` shows the email
/// and key id only.
#[derive(Clone)]
pub struct ServiceAccount {
    /// `client_email`: the assertion's issuer.
    pub client_email: String,
    /// `private_key_id`: the JWT `kid`.
    pub private_key_id: Option<String>,
    /// `token_uri`.
    pub token_uri: Option<String>,
    /// The PEM text (kept to scrub it from any text that leaves the filter).
    pub private_key_pem: String,
    key: RsaPrivateKey,
}

impl PartialEq for ServiceAccount {
    fn eq(&self, other: &Self) -> bool {
        self.client_email == other.client_email && self.private_key_pem == other.private_key_pem
    }
}

impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("private_key_id", &self.private_key_id)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl ServiceAccount {
    /// Reads a key file (`gcp_service_account_json`). Errors name the missing or bad field,
    /// never a value.
    pub fn from_json(json: &str) -> Result<ServiceAccount, String> {
        let v: Value = serde_json::from_slice(json.as_bytes())
            .map_err(|_| "not valid JSON (expected a service-account key file)".to_string())?;
        let s = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        if let Some(t) = s("type") {
            if t != "service_account" {
                return Err(format!(
                    "type '{t}' is not supported (expected 'service_account')"
                ));
            }
        }
        let client_email = s("client_email").ok_or("client_email missing")?;
        let pem = s("private_key").ok_or("private_key missing")?;
        let key = parse_private_key(&pem)?;
        Ok(ServiceAccount {
            client_email,
            private_key_id: s("private_key_id"),
            token_uri: s("token_uri"),
            private_key_pem: pem,
            key,
        })
    }

    /// The signed assertion for `aud` (the token endpoint URL) issued at `now`.
    pub fn assertion(&self, aud: &str, scope: &str, now: u64) -> Result<String, String> {
        let mut header = serde_json::json!({"alg": "RS256", "typ": "JWT"});
        if let (Some(kid), Some(map)) = (&self.private_key_id, header.as_object_mut()) {
            map.insert("kid".into(), Value::String(kid.clone()));
        }
        let claims = serde_json::json!({
            "iss": self.client_email,
            "scope": scope,
            "aud": aud,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_S,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = sign_rs256(&self.key, signing_input.as_bytes())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

/// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
pub fn sign_rs256(key: &RsaPrivateKey, message: &[u8]) -> Result<Vec<u8>, String> {
    let digest = Sha256::digest(message);
    key.sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
        .map_err(|_| "RSA signing failed".to_string())
}

/// A PEM private key: PKCS#8 (`BEGIN PRIVATE KEY`, what Google issues) or PKCS#1
/// (`BEGIN RSA PRIVATE KEY`). Escaped newlines (`\n` as two characters) are accepted.
pub fn parse_private_key(pem: &str) -> Result<RsaPrivateKey, String> {
    let text = pem.replace("\\n", "\n");
    let pkcs1 = text.contains("BEGIN RSA PRIVATE KEY");
    let b64: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = STANDARD
        .decode(b64.as_bytes())
        .map_err(|_| "private_key is not PEM (base64 body expected)".to_string())?;
    let key = if pkcs1 {
        RsaPrivateKey::from_pkcs1_der(&der).map_err(|_| "private_key is not a PKCS#1 RSA key")?
    } else {
        RsaPrivateKey::from_pkcs8_der(&der).map_err(|_| "private_key is not a PKCS#8 RSA key")?
    };
    Ok(key)
}
