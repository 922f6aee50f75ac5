//! The host adapter: everything Kong and Envoy do differently (docs/hosts.md), in one place.
//!
//! | what | Kong (ngx_wasm_module) | Envoy (≥ 1.35) |
//! |---|---|---|
//! | does a body follow the headers? | `content-length` / `transfer-encoding` (`end_of_stream` is always false) | `end_of_stream = false` (`transfer-encoding` is hidden) |
//! | waiting for the request body | `Continue` in headers (`Pause` while its token call is out: the answer resumes it); the body comes once, whole | `Pause` in headers holds them (`allow_on_headers_stop_iteration`) |
//! | upstream target | `kong.service.target` + scheme in the access phase, `ngx.upstream_uri`/`ngx.upstream_host` before proxying (unverified on a real Kong) | `:authority`/`:path` + `clear_route_cache` |
//! | request content-length after a rewrite | updated by the host | set by us (headers are held) |
//! | response headers while translating a buffered answer | sent before the body (status cannot change) | held until the body is done |
//! | response buffering | ours (chunks replaced by nothing until the end) | the host's (`Pause` until end of stream) |
//! | removing a request header | removed | marked only, nginx still sends it: written empty instead |
//! | analytics record | `kong.ctx.shared.ai_proxy` (+ `_gen_ai`) + a log line | filter state `wasm.ai_proxy` (+ `.gen_ai`) + a log line |

use proxy_wasm::types::MapType;

use super::raw;
use crate::exchange::{BodySignal, RequestEdits};

/// The host the filter runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// Kong Gateway 3.4–3.10 (ngx_wasm_module).
    Kong,
    /// Envoy (and any other host with Envoy's semantics).
    Envoy,
}

impl Host {
    /// Detects the host from a property only Kong has (`kong.version`); call it in an HTTP
    /// context (Kong refuses dotted properties in the root context).
    pub fn detect(kong_version: Option<Vec<u8>>) -> Host {
        match kong_version {
            Some(v) if !v.is_empty() => Host::Kong,
            _ => Host::Envoy,
        }
    }

    /// How to tell, at headers time, whether a request body follows. Envoy says it with
    /// `end_of_stream` and hides `transfer-encoding`; Kong always passes `false` and shows the
    /// headers (docs/troubleshooting.md, "request body without Content-Length").
    pub fn body_signal(self, end_of_stream: bool) -> BodySignal {
        match self {
            Host::Envoy => BodySignal::Follows(!end_of_stream),
            Host::Kong => BodySignal::FromHeaders,
        }
    }

    /// Whether the request-headers step returns `Pause` to wait for the body.
    pub fn pause_headers_for_body(self) -> bool {
        self == Host::Envoy
    }

    /// Whether response headers can be held until the body is known (status can change).
    pub fn holds_response_headers(self) -> bool {
        self == Host::Envoy
    }

    /// Points the request at its upstream before the body is known (Kong's access phase).
    pub fn set_early_target(self, target: &crate::providers::UpstreamTarget) {
        if self != Host::Kong {
            return;
        }
        let hostport = format!("{}:{}", target.host, target.port);
        log_refusal(
            "kong.service.target",
            raw::set_property(&["kong", "service", "target"], hostport.as_bytes()),
        );
        log_refusal(
            "kong.service.request.scheme",
            raw::set_property(
                &["kong", "service", "request", "scheme"],
                target.scheme.as_str().as_bytes(),
            ),
        );
    }

    /// Applies request edits: target, headers, body. `body_step` tells whether we are in the
    /// body callback (content-length is only ours to fix on Envoy).
    pub fn apply_request(self, edits: &RequestEdits, body_step: bool) -> Result<(), String> {
        self.apply_request_head(edits, body_step)?;
        self.apply_request_body(edits)
    }

    /// Writes the new request body, if any (only in the body step on Envoy).
    pub fn apply_request_body(self, edits: &RequestEdits) -> Result<(), String> {
        if let Some(body) = &edits.body {
            raw::replace_body(proxy_wasm::types::BufferType::HttpRequestBody, body)
                .map_err(|e| refused("request body", e))?;
        }
        Ok(())
    }

    /// Applies the target and headers (content-length included on Envoy), not the body.
    pub fn apply_request_head(self, edits: &RequestEdits, body_step: bool) -> Result<(), String> {
        let path = edits.path_and_query();
        let authority = edits.target.authority();
        let map = MapType::HttpRequestHeaders;
        for name in &edits.remove_headers {
            match self {
                Host::Envoy => raw::remove_header(map, name),
                // ngx_wasm_module only marks a removed request header, and nginx's proxy
                // module still sends it with its value; an empty value is what reaches the
                // upstream instead (docs/hosts.md §17).
                Host::Kong => raw::set_header(map, name, ""),
            }
            .map_err(|e| refused("remove header", e))?;
        }
        for (k, v) in &edits.set_headers {
            raw::set_header(map, k, v).map_err(|e| refused("set header", e))?;
        }
        match self {
            Host::Envoy => {
                raw::set_header(map, ":authority", &authority)
                    .map_err(|e| refused(":authority", e))?;
                raw::set_header(map, ":path", &path).map_err(|e| refused(":path", e))?;
                // Harmless where the cluster decides TLS; used by our dev host and by routes
                // matching on it.
                let _ = raw::set_header(map, ":scheme", edits.target.scheme.as_str());
                if let Some(body) = &edits.body {
                    raw::set_header(map, "content-length", &body.len().to_string())
                        .map_err(|e| refused("content-length", e))?;
                }
                // Envoy ≥ 1.33 stopped clearing the route cache on header writes.
                let _ = proxy_wasm::hostcalls::call_foreign_function("clear_route_cache", None);
            }
            Host::Kong => {
                if !body_step {
                    self.set_early_target(&edits.target);
                }
                log_refusal(
                    "ngx.upstream_uri",
                    raw::set_property(&["ngx", "upstream_uri"], path.as_bytes()),
                );
                log_refusal(
                    "ngx.upstream_host",
                    raw::set_property(&["ngx", "upstream_host"], authority.as_bytes()),
                );
                log_refusal(
                    "ngx.upstream_scheme",
                    raw::set_property(
                        &["ngx", "upstream_scheme"],
                        edits.target.scheme.as_str().as_bytes(),
                    ),
                );
            }
        }
        Ok(())
    }

    /// Publishes the analytics record (Kong's `ai.proxy` shape) and the flat GenAI
    /// attributes where the host's logging can see them (docs/observability.md).
    pub fn publish_analytics(self, record: &str, attributes: &str) {
        log::info!("ai-proxy analytics: {record}");
        let (record_path, attributes_path): (&[&str], &[&str]) = match self {
            Host::Kong => (
                &["kong", "ctx", "shared", "ai_proxy"],
                &["kong", "ctx", "shared", "ai_proxy_gen_ai"],
            ),
            Host::Envoy => (&["ai_proxy"], &["ai_proxy.gen_ai"]),
        };
        log_refusal(
            "analytics property",
            raw::set_property(record_path, record.as_bytes()),
        );
        log_refusal(
            "GenAI attributes property",
            raw::set_property(attributes_path, attributes.as_bytes()),
        );
    }
}

fn refused(what: &str, e: raw::HostRefused) -> String {
    format!("host refused {what} (status {})", e.0)
}

fn log_refusal(what: &str, r: Result<(), raw::HostRefused>) {
    if let Err(e) = r {
        log::warn!("ai-proxy: host refused {what} (status {})", e.0);
    }
}
