//! Secrets out of payload logs (`logging.log_payloads`). A logged body never carries a
//! credential: values of credential-like JSON keys (wherever they nest), of the configured body
//! or query auth parameter, and every configured secret value found anywhere in the text are
//! replaced by [`REDACTED`] (docs/observability.md "Secrets").

use serde_json::Value;

use crate::config::schema::AuthConfig;

/// What a secret is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// JSON keys (compared without case) whose values are credentials wherever they appear.
const SECRET_KEYS: &[&str] = &[
    "api_key",
    "apikey",
    "api-key",
    "x-api-key",
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "secret",
    "password",
    "authorization",
    "private_key",
    "aws_secret_access_key",
    "aws_session_token",
];

/// Shortest configured secret replaced by value (shorter ones would blank ordinary words).
const MIN_SECRET_LEN: usize = 6;

/// The secrets a config holds, for redaction.
#[derive(Debug, Default, Clone)]
pub struct Secrets {
    /// Extra JSON keys to redact (the auth parameter name).
    keys: Vec<String>,
    /// Secret values to replace wherever they appear.
    values: Vec<String>,
}

impl Secrets {
    /// From the config's `auth`.
    pub fn from_auth(auth: &AuthConfig) -> Secrets {
        let mut s = Secrets::default();
        if let Some(name) = &auth.param_name {
            s.keys.push(name.to_ascii_lowercase());
        }
        let mut add = |v: &Option<String>| {
            if let Some(v) = v {
                // "Bearer sk-…": the token alone too, in case a body repeats it.
                if let Some((_, token)) = v.split_once(' ') {
                    if token.len() >= MIN_SECRET_LEN {
                        s.values.push(token.to_string());
                    }
                }
                if v.len() >= MIN_SECRET_LEN {
                    s.values.push(v.clone());
                }
            }
        };
        add(&auth.header_value);
        add(&auth.param_value);
        add(&auth.azure_client_secret);
        add(&auth.aws_secret_access_key);
        add(&auth.aws_session_token);
        // Cloud identity secrets (docs/cloud-identity.md).
        add(&auth.azure_identity_header);
        add(&auth.aws_web_identity_token);
        add(&auth.aws_container_authorization_token);
        // Longest first, so a value containing another is replaced whole.
        s.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        s
    }

    /// A body as it may be logged.
    pub fn redact(&self, body: &[u8]) -> String {
        let text = match serde_json::from_slice::<Value>(body) {
            Ok(mut v) => {
                self.redact_value(&mut v);
                v.to_string()
            }
            Err(_) => String::from_utf8_lossy(body).into_owned(),
        };
        self.redact_values(text)
    }

    fn is_secret_key(&self, key: &str) -> bool {
        SECRET_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
            || self.keys.iter().any(|k| k.eq_ignore_ascii_case(key))
    }

    fn redact_value(&self, v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, val) in map.iter_mut() {
                    if self.is_secret_key(k) && !val.is_null() {
                        *val = Value::String(REDACTED.into());
                    } else {
                        self.redact_value(val);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.redact_value(i)),
            _ => {}
        }
    }

    fn redact_values(&self, mut text: String) -> String {
        for secret in &self.values {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), REDACTED);
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(v: serde_json::Value) -> AuthConfig {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn body_auth_field_and_known_keys_are_redacted() {
        let s = Secrets::from_auth(&auth(serde_json::json!({
            "param_name": "my_key", "param_value": "s3cr3t-value", "param_location": "body"
        })));
        let out = s.redact(
            br#"{"model":"m","my_key":"s3cr3t-value","metadata":{"API_KEY":"client-own"},
                "messages":[{"role":"user","content":"my key is s3cr3t-value"}]}"#,
        );
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["my_key"], REDACTED);
        assert_eq!(v["metadata"]["API_KEY"], REDACTED);
        assert_eq!(v["messages"][0]["content"], "my key is [REDACTED]");
        assert!(!out.contains("s3cr3t"));
        assert!(!out.contains("client-own"));
    }

    #[test]
    fn header_token_found_in_text_is_redacted() {
        let s = Secrets::from_auth(&auth(serde_json::json!({
            "header_name": "Authorization", "header_value": "Bearer sk-abcdef123456"
        })));
        assert_eq!(s.redact(b"not json sk-abcdef123456"), "not json [REDACTED]");
    }
}
