//! Properties, `dispatch_http_call`, tick, shared data/queues, metrics and the remaining
//! hostcalls, with each host's rules (`docs/hosts.md` §7, §8, §10–§13).

use crate::abi::{HeaderPairs, Status};
use crate::headers::map_get;
use crate::profile::Profile;
use crate::state::{Fail, HostResult, HostState, HttpCall, Phase};

/// Kong property setters that exist (docs/hosts.md §7, `kong/runloop/wasm.lua` `register_property_handlers`)
/// and the `ngx.*` variables Kong declares with `set` (`nginx_kong.lua`; writable **(inferred)**).
const KONG_SETTABLE: &[&str] = &[
    "kong.response.status",
    "kong.service.target",
    "kong.service.upstream",
    "kong.service.request.scheme",
    "ngx.upstream_uri",
    "ngx.upstream_host",
    "ngx.upstream_scheme",
];

impl HostState {
    fn in_http_context(&self) -> bool {
        self.streams.contains_key(&self.current)
    }

    /// `proxy_get_property`. Kong: every value is a string (docs/hosts.md §7); Envoy: integers are 8-byte
    /// little-endian (docs/hosts.md §7). Unknown paths are NOT_FOUND on both.
    pub fn get_property(&mut self, parts: &[String]) -> HostResult<Vec<u8>> {
        let path = parts.join(".");
        let profile = self.profile();
        if profile == Profile::Kong && !self.in_http_context() && parts.len() > 1 {
            // docs/hosts.md §7: scoped (dotted) properties are errors outside a request.
            self.host_log(format!(
                "[kong] cannot get scoped property '{path}' outside of a request"
            ));
            return Err(Fail::Status(Status::InternalFailure));
        }
        if let Some(v) = self.stream().and_then(|s| s.properties.get(&path)) {
            return Ok(v.clone());
        }
        let s = self.stream().cloned().unwrap_or_default();
        let status = map_get(&s.response_headers, ":status").and_then(|v| v.parse::<i64>().ok());
        let v: Option<Vec<u8>> = match (profile, path.as_str()) {
            (_, "plugin_name") => Some(self.opts.plugin_name.clone().into_bytes()),
            (_, "plugin_root_id") => Some(Vec::new()),
            (_, "request.method") => {
                map_get(&s.request_headers, ":method").map(|v| v.as_bytes().to_vec())
            }
            (_, "request.url_path") => map_get(&s.request_headers, ":path")
                .map(|p| p.split('?').next().unwrap_or("").as_bytes().to_vec()),
            (Profile::Kong, "kong.version") => Some(self.opts.kong_version.clone().into_bytes()),
            (Profile::Kong, "request.path") => Some(s.original_path.clone().into_bytes()),
            // docs/hosts.md §7: nginx `$hostname`, the machine's name.
            (Profile::Kong, "request.host") => Some(self.opts.hostname.clone().into_bytes()),
            (Profile::Kong, "request.scheme") => Some(b"http".to_vec()),
            (Profile::Kong, "response.code") => status.map(|c| c.to_string().into_bytes()),
            (Profile::Kong, "kong.nginx.subsystem") => Some(b"http".to_vec()),
            (Profile::Kong, "kong.client.protocol") => Some(b"http".to_vec()),
            (Profile::Envoy, "request.path") => {
                map_get(&s.request_headers, ":path").map(|v| v.as_bytes().to_vec())
            }
            (Profile::Envoy, "request.host") => {
                map_get(&s.request_headers, ":authority").map(|v| v.as_bytes().to_vec())
            }
            (Profile::Envoy, "request.scheme") => {
                map_get(&s.request_headers, ":scheme").map(|v| v.as_bytes().to_vec())
            }
            (Profile::Envoy, "response.code") => status.map(|c| c.to_le_bytes().to_vec()),
            _ => None,
        };
        v.ok_or(Fail::Status(Status::NotFound))
    }

    /// `proxy_set_property`. Envoy stores anything in filter state and answers OK (docs/hosts.md §7). Kong
    /// knows only its setters, the `ngx.*` variables declared with `set`, and free `kong.*`
    /// scratch names; anything else is NOT_FOUND, which makes the SDK panic (docs/hosts.md §7).
    pub fn set_property(&mut self, parts: &[String], value: &[u8]) -> HostResult<()> {
        let path = parts.join(".");
        if self.profile() == Profile::Kong {
            let known = KONG_SETTABLE.contains(&path.as_str());
            let scratch = path.starts_with("kong.") && !known;
            if !known && !scratch {
                self.host_log(format!(
                    "[kong] set_property: unknown property '{path}' (NOT_FOUND)"
                ));
                return Err(Fail::Status(Status::NotFound));
            }
            if !self.in_http_context() {
                self.host_log(format!(
                    "[kong] cannot set scoped property '{path}' outside of a request"
                ));
                return Err(Fail::Status(Status::InternalFailure));
            }
            if path == "kong.service.target"
                && !matches!(self.phase, Phase::RequestHeaders | Phase::HttpCallResponse)
            {
                // docs/hosts.md §8: `kong.service.set_target` is only legal in access/rewrite/balancer; the
                // body step runs in the content phase **(inferred)**. The call still succeeds.
                self.host_log("[kong] [warn] kong.service.target set outside the access phase: it may have no effect");
            }
        }
        match self.stream_mut() {
            Some(s) => {
                s.properties.insert(path, value.to_vec());
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// `proxy_http_call` (docs/hosts.md §11; Kong: host[:port] target; Envoy: cluster name, `:method`,
    /// `:path` and `:authority` required).
    pub fn http_call(
        &mut self,
        upstream: &str,
        headers: HeaderPairs,
        body: Vec<u8>,
        trailers: HeaderPairs,
        timeout_ms: u32,
    ) -> HostResult<u32> {
        let has = |n: &str| headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
        match self.profile() {
            Profile::Envoy => {
                if let Some(clusters) = &self.opts.clusters {
                    if !clusters.iter().any(|c| c == upstream) {
                        self.host_log(format!(
                            "[envoy] dispatch_http_call: unknown cluster '{upstream}'"
                        ));
                        return Err(Fail::Status(Status::BadArgument));
                    }
                }
                if !has(":method") || !has(":path") || !(has(":authority") || has("host")) {
                    self.host_log(
                        "[envoy] dispatch_http_call: :method, :path and :authority are required",
                    );
                    return Err(Fail::Status(Status::BadArgument));
                }
            }
            Profile::Kong => {
                if !matches!(
                    self.phase,
                    Phase::RequestHeaders
                        | Phase::RequestBody
                        | Phase::Tick
                        | Phase::HttpCallResponse
                ) {
                    self.host_log("[kong] can only send HTTP dispatch during on_request_headers, on_request_body, on_dispatch_response, on_tick");
                    return Err(Fail::Status(Status::BadArgument));
                }
                if !has(":method") || !has(":path") {
                    self.host_log("[kong] dispatch_http_call: :method and :path are required");
                    return Err(Fail::Status(Status::BadArgument));
                }
                let bad_pseudo = headers.iter().any(|(k, _)| {
                    k.starts_with(':')
                        && ![":method", ":path", ":authority", ":scheme"].contains(&k.as_str())
                });
                if bad_pseudo {
                    self.host_log("[kong] dispatch_http_call: NYI pseudo-header");
                    return Err(Fail::Status(Status::BadArgument));
                }
                if upstream.is_empty() || upstream.contains('|') || upstream.contains('/') {
                    self.host_log(format!("[kong] dispatch_http_call: invalid target '{upstream}' (host[:port] expected)"));
                    return Err(Fail::Status(Status::BadArgument));
                }
            }
        }
        let token = self.next_token;
        self.next_token += 1;
        let context_id = self.current;
        self.calls.push(HttpCall {
            token,
            context_id,
            upstream: upstream.to_string(),
            headers,
            body,
            trailers,
            timeout_ms,
        });
        Ok(token)
    }

    /// `proxy_set_tick_period_milliseconds`: root context only (Kong, docs/hosts.md §13).
    pub fn set_tick_period(&mut self, ms: u32) -> HostResult<()> {
        if self.profile() == Profile::Kong && self.in_http_context() {
            self.host_log("[kong] tick_period can only be set in the root context");
            return Err(Fail::Status(Status::BadArgument));
        }
        self.tick_period_ms = if ms == 0 { None } else { Some(ms) };
        Ok(())
    }

    /// `proxy_get_shared_data`: Kong without an `shm_kv` zone traps (docs/hosts.md §13); Envoy works.
    pub fn get_shared_data(&mut self, key: &str) -> HostResult<(Vec<u8>, u32)> {
        if self.profile() == Profile::Kong {
            self.host_log("[kong] trap: could not resolve namespace (no shm_kv zone)");
            return Err(Fail::Trap(format!(
                "could not resolve namespace for key '{key}'"
            )));
        }
        self.shared_data
            .get(key)
            .cloned()
            .ok_or(Fail::Status(Status::NotFound))
    }

    /// `proxy_set_shared_data` with compare-and-swap.
    pub fn set_shared_data(&mut self, key: &str, value: &[u8], cas: u32) -> HostResult<()> {
        if self.profile() == Profile::Kong {
            self.host_log("[kong] trap: could not resolve namespace (no shm_kv zone)");
            return Err(Fail::Trap(format!(
                "could not resolve namespace for key '{key}'"
            )));
        }
        let cur = self.shared_data.get(key).map(|(_, c)| *c).unwrap_or(0);
        if cas != 0 && cas != cur {
            return Err(Fail::Status(Status::CasMismatch));
        }
        self.shared_data
            .insert(key.to_string(), (value.to_vec(), cur + 1));
        Ok(())
    }

    /// `proxy_register_shared_queue`.
    pub fn register_queue(&mut self, name: &str) -> u32 {
        if let Some(i) = self.queues.iter().position(|(n, _)| n == name) {
            return i as u32 + 1;
        }
        self.queues.push((name.to_string(), Vec::new()));
        self.queues.len() as u32
    }

    /// `proxy_resolve_shared_queue`: Kong NYI (docs/hosts.md §13).
    pub fn resolve_queue(&mut self, name: &str) -> HostResult<u32> {
        if self.profile() == Profile::Kong {
            return Err(Fail::Trap("NYI: proxy_resolve_shared_queue".into()));
        }
        self.queues
            .iter()
            .position(|(n, _)| n == name)
            .map(|i| i as u32 + 1)
            .ok_or(Fail::Status(Status::NotFound))
    }

    /// `proxy_enqueue_shared_queue`.
    pub fn enqueue(&mut self, id: u32, value: &[u8]) -> HostResult<()> {
        let q = self
            .queues
            .get_mut((id as usize).wrapping_sub(1))
            .ok_or(Fail::Status(Status::NotFound))?;
        q.1.push(value.to_vec());
        Ok(())
    }

    /// `proxy_dequeue_shared_queue`.
    pub fn dequeue(&mut self, id: u32) -> HostResult<Vec<u8>> {
        let q = self
            .queues
            .get_mut((id as usize).wrapping_sub(1))
            .ok_or(Fail::Status(Status::NotFound))?;
        if q.1.is_empty() {
            return Err(Fail::Status(Status::Empty));
        }
        Ok(q.1.remove(0))
    }

    /// `proxy_define_metric`.
    pub fn define_metric(&mut self, name: &str) -> u32 {
        if let Some(i) = self.metrics.iter().position(|(n, _)| n == name) {
            return i as u32 + 1;
        }
        self.metrics.push((name.to_string(), 0));
        self.metrics.len() as u32
    }

    /// `proxy_get_metric` / `record` / `increment`: `delta = None` reads, `Some((true, v))` sets,
    /// `Some((false, d))` adds.
    pub fn metric(&mut self, id: u32, op: Option<(bool, i64)>) -> HostResult<u64> {
        let m = self
            .metrics
            .get_mut((id as usize).wrapping_sub(1))
            .ok_or(Fail::Status(Status::NotFound))?;
        match op {
            None => {}
            Some((true, v)) => m.1 = v,
            Some((false, d)) => m.1 = m.1.saturating_add(d),
        }
        Ok(m.1.max(0) as u64)
    }

    /// `proxy_call_foreign_function`: Envoy knows `clear_route_cache` (docs/hosts.md §8; returns nothing);
    /// everything else is NOT_FOUND.
    pub fn foreign_function(&mut self, name: &str) -> HostResult<Vec<u8>> {
        match (self.profile(), name) {
            (Profile::Envoy, "clear_route_cache") => {
                self.host_log("[envoy] clear_route_cache");
                Ok(Vec::new())
            }
            _ => {
                self.host_log(format!(
                    "[{}] foreign function '{name}' not found",
                    self.profile().name()
                ));
                Err(Fail::Status(Status::NotFound))
            }
        }
    }

    /// `proxy_get_status`: Kong NYI (trap, docs/hosts.md §13); Envoy reports the last call's status.
    pub fn get_status(&mut self) -> HostResult<(u32, Vec<u8>)> {
        if self.profile() == Profile::Kong {
            return Err(Fail::Trap("NYI: proxy_get_status".into()));
        }
        let code = if self
            .call_response
            .as_ref()
            .is_some_and(|r| r.headers.is_empty())
        {
            14
        } else {
            0
        };
        Ok((code, Vec::new()))
    }

    /// `proxy_set_effective_context`.
    pub fn set_effective_context(&mut self, id: u32) -> HostResult<()> {
        if id == self.root_id || self.streams.contains_key(&id) {
            self.current = id;
            Ok(())
        } else {
            Err(Fail::Status(Status::BadArgument))
        }
    }

    /// `proxy_done`: Kong NYI (docs/hosts.md §13).
    pub fn done(&mut self) -> HostResult<()> {
        if self.profile() == Profile::Kong {
            return Err(Fail::Trap("NYI: proxy_done".into()));
        }
        Ok(())
    }
}
