//! Credentials from `config.auth`: a header, or a query or body parameter, with
//! `allow_override` (docs/kong-compatibility.md §7); and AWS SigV4 signing
//! (`sigv4`); tokens and temporary keys from cloud identity endpoints (`identity`). Values are
//! never logged.

pub mod identity;
pub mod sigv4;

use serde_json::Value;

use crate::config::schema::AuthConfig;
use crate::config::ParamLocation;

/// The auth header to set, if any. With `allow_override`, a header the client already sent
/// under the same name is kept (then nothing is returned).
pub fn header(auth: &AuthConfig, client_has: impl Fn(&str) -> bool) -> Option<(String, String)> {
    let (Some(name), Some(value)) = (auth.header_name.as_deref(), auth.header_value.as_deref())
    else {
        return None;
    };
    if auth.allow_override && client_has(name) {
        return None;
    }
    Some((name.to_ascii_lowercase(), value.to_string()))
}

/// Headers that carry a provider key. When the config supplies its own credentials (static
/// ones, or a cloud identity flow that fetches them), the client's copies of these are removed
/// (except the configured header itself, which is set): the client's own `Authorization` must
/// never reach a provider whose key travels in another header, nor stand next to the configured
/// key or the fetched token (docs/hostile-input.md "Auth isolation", docs/cloud-identity.md).
const KEY_HEADERS: &[&str] = &[
    "authorization",
    "x-api-key",
    "api-key",
    "x-goog-api-key",
    "proxy-authorization",
];

/// The client headers to remove before the request goes upstream (see [`KEY_HEADERS`]);
/// empty when the config has no credentials (the client then brings its own).
pub fn foreign_key_headers(auth: &AuthConfig) -> Vec<String> {
    let own = auth
        .header_name
        .as_deref()
        .filter(|_| auth.header_value.is_some())
        .map(str::to_ascii_lowercase);
    if !supplies_credentials(auth) {
        return Vec::new();
    }
    KEY_HEADERS
        .iter()
        .filter(|h| own.as_deref() != Some(**h))
        .map(|h| (*h).to_string())
        .collect()
}

/// Query arguments that carry a provider key: Google's API key (`key`, read by Gemini and by
/// Vertex next to an OAuth token). Removed from the client's query, for the reason of
/// [`KEY_HEADERS`], when the config supplies credentials and does not itself use that name
/// (then [`apply_query`] decides).
const KEY_PARAMS: &[&str] = &["key"];

/// Removes the client's [`KEY_PARAMS`] (also percent-encoded, also repeated) when the config
/// supplies credentials.
pub fn drop_foreign_query_keys(auth: &AuthConfig, query: &mut Vec<(String, String)>) {
    if !supplies_credentials(auth) {
        return;
    }
    let own = param(auth, ParamLocation::Query).map(|(n, _)| n);
    query.retain(|(k, _)| {
        let name = sigv4::percent_decode(k);
        !KEY_PARAMS
            .iter()
            .any(|p| name == p.as_bytes() && own != Some(*p))
    });
}

/// Whether the config brings the provider credentials itself: a static header, query or body
/// key, AWS keys, or a cloud identity flow ([`asks_for_identity`]).
pub fn supplies_credentials(auth: &AuthConfig) -> bool {
    (auth.header_name.is_some() && auth.header_value.is_some())
        || param(auth, ParamLocation::Query).is_some()
        || param(auth, ParamLocation::Body).is_some()
        || auth.aws_access_key_id.is_some()
        || asks_for_identity(auth)
}

/// Whether `auth` asks for credentials from a cloud identity endpoint (GCP service account or
/// metadata server, Azure managed identity or Entra, an AWS web identity, container or instance
/// credentials). Read from the fields alone, whatever the provider: a config that asks for
/// gateway-side credentials never lets a client's key through, even where the provider ignores
/// the flag (failing closed).
pub fn asks_for_identity(auth: &AuthConfig) -> bool {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    auth.gcp_use_service_account
        || auth.azure_use_managed_identity
        || auth.aws_use_instance_metadata
        || set(&auth.aws_web_identity_token)
        || set(&auth.aws_container_credentials_url)
}

/// Adds the query parameter (`param_location: query`). Every client argument that names it
/// (also percent-encoded, also repeated) is removed first, unless `allow_override` keeps the
/// client's.
pub fn apply_query(auth: &AuthConfig, query: &mut Vec<(String, String)>) {
    let Some((name, value)) = param(auth, ParamLocation::Query) else {
        return;
    };
    let names_it = |k: &str| sigv4::percent_decode(k) == name.as_bytes();
    if auth.allow_override && query.iter().any(|(k, _)| names_it(k)) {
        return;
    }
    query.retain(|(k, _)| !names_it(k));
    query.push((name.to_string(), encode_query_value(value)));
}

/// Sets the body parameter (`param_location: body`) in an encoded JSON object body. Unlike
/// Kong, this works for every provider, not only those whose body is the client's table
/// (docs/kong-compatibility.md §7).
pub fn apply_body(auth: &AuthConfig, body: &mut Vec<u8>) {
    let Some((name, value)) = param(auth, ParamLocation::Body) else {
        return;
    };
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    if auth.allow_override && map.contains_key(name) {
        return;
    }
    map.insert(name.to_string(), Value::String(value.to_string()));
    if let Ok(bytes) = serde_json::to_vec(&Value::Object(map)) {
        *body = bytes;
    }
}

fn param(auth: &AuthConfig, at: ParamLocation) -> Option<(&str, &str)> {
    match (
        auth.param_name.as_deref(),
        auth.param_value.as_deref(),
        auth.param_location,
    ) {
        (Some(n), Some(v), Some(loc)) if loc == at => Some((n, v)),
        _ => None,
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub fn encode_query_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(json: &str) -> AuthConfig {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn header_replaces_client_value_unless_override_allowed() {
        let a = cfg(r#"{"header_name":"Authorization","header_value":"Bearer k"}"#);
        assert_eq!(
            header(&a, |_| true),
            Some(("authorization".into(), "Bearer k".into()))
        );
        let b = cfg(r#"{"header_name":"x-api-key","header_value":"k","allow_override":true}"#);
        assert_eq!(header(&b, |n| n == "x-api-key"), None);
        assert_eq!(
            header(&b, |_| false),
            Some(("x-api-key".into(), "k".into()))
        );
    }

    #[test]
    fn query_param_added_replaced_or_kept() {
        let a = cfg(r#"{"param_name":"key","param_value":"a b","param_location":"query"}"#);
        let mut q = vec![("x".to_string(), "1".to_string())];
        apply_query(&a, &mut q);
        assert_eq!(
            q,
            vec![("x".into(), "1".into()), ("key".into(), "a%20b".into())]
        );
        let mut q = vec![("key".to_string(), "client".to_string())];
        apply_query(&a, &mut q);
        assert_eq!(q, vec![("key".into(), "a%20b".into())]);
        let mut q = vec![
            ("key".to_string(), "c1".to_string()),
            ("k%65y".to_string(), "c2".to_string()),
            ("x".to_string(), "1".to_string()),
            ("key".to_string(), "c3".to_string()),
        ];
        apply_query(&a, &mut q);
        assert_eq!(
            q,
            vec![("x".into(), "1".into()), ("key".into(), "a%20b".into())]
        );
        let b = cfg(
            r#"{"param_name":"key","param_value":"v","param_location":"query","allow_override":true}"#,
        );
        let mut q = vec![("key".to_string(), "client".to_string())];
        apply_query(&b, &mut q);
        assert_eq!(q, vec![("key".into(), "client".into())]);
    }

    #[test]
    fn body_param_set_in_json_object() {
        let a = cfg(r#"{"param_name":"api_key","param_value":"s","param_location":"body"}"#);
        let mut body = br#"{"model":"m"}"#.to_vec();
        apply_body(&a, &mut body);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v, serde_json::json!({"model":"m","api_key":"s"}));
        let q = cfg(r#"{"param_name":"api_key","param_value":"s","param_location":"query"}"#);
        let mut body = br#"{"model":"m"}"#.to_vec();
        apply_body(&q, &mut body);
        assert_eq!(body, br#"{"model":"m"}"#.to_vec());
    }
}
