//! Where each host sends the request after the filter ran, and with which headers.
//!
//! - Envoy (docs/hosts.md §4, §8): the route/cluster decides; the dev host behaves like a
//!   dynamic-forward-proxy route: connect to `:authority` with `:scheme`, send `:path`.
//!   Envoy does not fix Content-Length after a body rewrite: a stale value is reported.
//! - Kong (docs/hosts.md §2, §6, §8): `:authority`/`:scheme` are read-only; the levers are the
//!   `kong.service.target` / `kong.service.request.scheme` properties and the `ngx.upstream_*`
//!   variables (effect on a real Kong **unverified**, see docs/hosts.md §8); the dev host falls
//!   back to the `host` header and `:path`. nginx sets Content-Length from the final body.

use crate::headers::map_get;
use crate::profile::Profile;
use crate::state::{HostState, Stream};
use crate::stream::UpstreamRequest;

/// Request headers nginx's proxy module writes itself (`proxy_set_header` defaults): a client's
/// copy never goes upstream.
const NGINX_SETS: [&str; 7] = [
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
    "te",
    "expect",
];

fn prop(s: &Stream, name: &str) -> Option<String> {
    s.properties
        .get(name)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .filter(|v| !v.is_empty())
}

/// Builds the upstream request from the stream's final state.
pub fn build(st: &HostState, s: &Stream, body: Vec<u8>) -> UpstreamRequest {
    let h = &s.request_headers;
    let method = map_get(h, ":method").unwrap_or("GET").to_string();
    let mut headers: Vec<(String, String)> = h
        .iter()
        .filter(|(k, _)| !k.starts_with(':') && k != "host")
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    let mut problems = Vec::new();
    let (scheme, authority, path, host) = match st.opts.profile {
        Profile::Envoy => {
            let authority = map_get(h, ":authority").unwrap_or("").to_string();
            let scheme = map_get(h, ":scheme").unwrap_or("http").to_string();
            let path = map_get(h, ":path").unwrap_or("/").to_string();
            let cl = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .map(|(_, v)| v.clone());
            if let Some(cl) = cl {
                if cl.trim().parse::<usize>().ok() != Some(body.len()) {
                    problems.push(format!(
                        "content-length {cl} does not match the {}-byte body the filter left (Envoy does not fix it, docs/hosts.md §4)",
                        body.len()
                    ));
                }
            }
            (scheme, authority.clone(), path, authority)
        }
        Profile::Kong => {
            let target = prop(s, "kong.service.target");
            let scheme = prop(s, "kong.service.request.scheme")
                .or_else(|| prop(s, "ngx.upstream_scheme"))
                .unwrap_or_else(|| map_get(h, ":scheme").unwrap_or("http").to_string());
            let host_header = map_get(h, "host").unwrap_or("").to_string();
            let authority = target.clone().unwrap_or_else(|| host_header.clone());
            let path = prop(s, "ngx.upstream_uri")
                .unwrap_or_else(|| map_get(h, ":path").unwrap_or("/").to_string());
            let host = prop(s, "ngx.upstream_host")
                .or_else(|| target.map(|t| strip_default_port(&t, &scheme)))
                .unwrap_or(host_header);
            // Removed headers still go (ngx_wasm_module marks, nginx's proxy module sends,
            // docs/hosts.md §17), where the client put them: before the filter's own.
            let cleared = s
                .cleared_request_headers
                .iter()
                .filter(|(k, _)| !NGINX_SETS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned()));
            headers.splice(0..0, cleared);
            // nginx recomputes Content-Length for the (possibly rewritten) body (docs/hosts.md §4).
            headers.retain(|(k, _)| k != "content-length" && k != "transfer-encoding");
            if !body.is_empty() || method != "GET" {
                headers.push(("content-length".into(), body.len().to_string()));
            }
            (scheme, authority, path, host)
        }
    };
    headers.insert(0, ("host".into(), host));
    UpstreamRequest {
        method,
        scheme,
        authority,
        path,
        headers,
        body,
        problems,
    }
}

/// `host:443` under https (or `host:80` under http) is sent as `host` in the Host header.
fn strip_default_port(authority: &str, scheme: &str) -> String {
    let default = if scheme == "https" { ":443" } else { ":80" };
    authority
        .strip_suffix(default)
        .unwrap_or(authority)
        .to_string()
}
