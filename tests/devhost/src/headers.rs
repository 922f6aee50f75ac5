//! Header-map hostcalls and who may use them when (`docs/hosts.md` §5 and §6, for Kong and for
//! Envoy), plus how each host builds the request map it shows the filter.

use crate::abi::{HeaderPairs, MapType, Status};
use crate::profile::{HostOptions, Profile};
use crate::state::{Fail, HostResult, HostState, Phase};

/// What the client sent, before any host shaping.
#[derive(Debug, Clone, Default)]
pub struct RequestHead {
    /// Method.
    pub method: String,
    /// Path with query.
    pub path: String,
    /// Headers as received (names any case; `host` included).
    pub headers: Vec<(String, String)>,
}

impl RequestHead {
    /// Convenience constructor.
    pub fn new(method: &str, path: &str, headers: &[(&str, &str)]) -> Self {
        Self {
            method: method.to_string(),
            path: path.to_string(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// First value of a header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The request header map each host shows the filter.
///
/// Envoy (HTTP/1 codec): `Host` becomes `:authority` and there is no `host` entry; `:scheme`
/// is the downstream scheme. Kong (docs/hosts.md §6): `host` stays a normal header, `:authority` is
/// `server_name:port` and `:scheme` is the listener's scheme, both read-only; pseudo-headers
/// are listed with the others **(inferred)**.
pub fn request_map(opts: &HostOptions, head: &RequestHead) -> HeaderPairs {
    let mut out: HeaderPairs = Vec::new();
    let host = head.header("host").unwrap_or("").to_string();
    match opts.profile {
        Profile::Envoy => {
            out.push((":authority".into(), host.into_bytes()));
            out.push((":path".into(), head.path.clone().into_bytes()));
            out.push((":method".into(), head.method.clone().into_bytes()));
            out.push((":scheme".into(), b"http".to_vec()));
            for (k, v) in &head.headers {
                if !k.eq_ignore_ascii_case("host") {
                    out.push((k.to_ascii_lowercase(), v.clone().into_bytes()));
                }
            }
        }
        Profile::Kong => {
            out.push((":method".into(), head.method.clone().into_bytes()));
            out.push((":path".into(), head.path.clone().into_bytes()));
            out.push((":scheme".into(), b"http".to_vec()));
            let authority = format!("{}:{}", opts.server_name, opts.listen_port);
            out.push((":authority".into(), authority.into_bytes()));
            for (k, v) in &head.headers {
                out.push((k.to_ascii_lowercase(), v.clone().into_bytes()));
            }
        }
    }
    out
}

/// Kong's read-only request pseudo-headers (docs/hosts.md §6: setting logs an error and does nothing).
fn kong_read_only(mt: MapType, key: &str) -> bool {
    mt == MapType::HttpRequestHeaders && (key == ":authority" || key == ":scheme")
}

/// How a map access is answered when the map is not reachable.
enum Denied {
    /// Pairs read: OK with an empty list (Envoy `getMap` on a dropped map).
    Empty,
    /// Return this.
    Fail(Fail),
}

impl HostState {
    /// Checks whether the current callback may read (`write=false`) or change a map.
    fn map_allowed(&mut self, mt: MapType, write: bool) -> Result<(), Denied> {
        let phase = self.phase;
        let profile = self.profile();
        if matches!(
            mt,
            MapType::HttpCallResponseHeaders | MapType::HttpCallResponseTrailers
        ) {
            return if self.call_response.is_some() && !write {
                Ok(())
            } else {
                Err(Denied::Fail(Fail::Status(Status::NotFound)))
            };
        }
        let Some(s) = self.stream() else {
            return match profile {
                Profile::Kong => Err(Denied::Fail(Fail::Trap(
                    "cannot access HTTP headers from the root context".into(),
                ))),
                Profile::Envoy => Err(Denied::Fail(Fail::Status(Status::BadArgument))),
            };
        };
        match profile {
            Profile::Envoy => {
                // docs/hosts.md §5: a map is reachable while its headers step runs or while the filter holds
                // the headers (Pause); after Continue the pointer is gone.
                let reachable = match mt {
                    MapType::HttpRequestHeaders => {
                        phase == Phase::RequestHeaders || s.request_headers_held
                    }
                    MapType::HttpResponseHeaders => {
                        phase == Phase::ResponseHeaders || s.response_headers_held
                    }
                    MapType::HttpRequestTrailers | MapType::HttpResponseTrailers => false,
                    _ => false,
                };
                if reachable {
                    Ok(())
                } else if write {
                    Err(Denied::Fail(Fail::Status(Status::BadArgument)))
                } else {
                    Err(Denied::Empty)
                }
            }
            Profile::Kong => {
                // docs/hosts.md §5: request headers can be changed in request steps and dispatch callbacks;
                // in response steps it traps. Response headers change only in their own step
                // (after that they were sent; trap **(inferred)**).
                if !write {
                    return Ok(());
                }
                match mt {
                    MapType::HttpRequestHeaders | MapType::HttpRequestTrailers => {
                        if matches!(
                            phase,
                            Phase::RequestHeaders | Phase::RequestBody | Phase::HttpCallResponse
                        ) && !s.response_headers_sent
                        {
                            Ok(())
                        } else {
                            Err(Denied::Fail(Fail::Trap(
                                "can only set request headers before response is produced".into(),
                            )))
                        }
                    }
                    _ => {
                        if phase == Phase::ResponseHeaders && !s.response_headers_sent {
                            Ok(())
                        } else {
                            Err(Denied::Fail(Fail::Trap(
                                "can only set response headers before response is sent".into(),
                            )))
                        }
                    }
                }
            }
        }
    }

    fn deny<T>(&mut self, d: Denied, empty: T) -> HostResult<T> {
        match d {
            Denied::Empty => Ok(empty),
            Denied::Fail(f) => {
                if let Fail::Trap(m) = &f {
                    self.host_log(format!("[kong] trap: {m}"));
                }
                Err(f)
            }
        }
    }

    fn map_ref(&mut self, mt: MapType) -> Option<&mut HeaderPairs> {
        if matches!(mt, MapType::HttpCallResponseHeaders) {
            return self.call_response.as_mut().map(|r| &mut r.headers);
        }
        if matches!(mt, MapType::HttpCallResponseTrailers) {
            return self.call_response.as_mut().map(|r| &mut r.trailers);
        }
        let s = self.stream_mut()?;
        HostState::map_of(s, mt)
    }

    /// `proxy_get_header_map_pairs`.
    pub fn get_map_pairs(&mut self, mt: MapType) -> HostResult<HeaderPairs> {
        if let Err(d) = self.map_allowed(mt, false) {
            return self.deny(d, Vec::new());
        }
        Ok(self.map_ref(mt).map(|m| m.clone()).unwrap_or_default())
    }

    /// `proxy_get_header_map_size`: number of bytes of the serialized map.
    pub fn get_map_size(&mut self, mt: MapType) -> HostResult<usize> {
        Ok(crate::abi::serialize_map(&self.get_map_pairs(mt)?).len())
    }

    /// `proxy_get_header_map_value`: Envoy answers BAD_ARGUMENT when the map is gone (the SDK
    /// panics, docs/hosts.md §5); a missing key is NOT_FOUND.
    pub fn get_map_value(&mut self, mt: MapType, key: &str) -> HostResult<Vec<u8>> {
        if let Err(d) = self.map_allowed(mt, false) {
            let d = match d {
                Denied::Empty => Denied::Fail(Fail::Status(Status::BadArgument)),
                other => other,
            };
            return self.deny(d, Vec::new());
        }
        let key = key.to_ascii_lowercase();
        self.map_ref(mt)
            .and_then(|m| m.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()))
            .ok_or(Fail::Status(Status::NotFound))
    }

    fn edit_map(
        &mut self,
        mt: MapType,
        key: &str,
        f: impl FnOnce(&mut HeaderPairs, String),
    ) -> HostResult<()> {
        if let Err(d) = self.map_allowed(mt, true) {
            return self.deny(d, ());
        }
        let key = key.to_ascii_lowercase();
        if self.profile() == Profile::Kong && kong_read_only(mt, &key) {
            self.host_log(format!(
                "[kong] [error] cannot set read-only '{key}' header"
            ));
            return Ok(());
        }
        let m = self.map_ref(mt).ok_or(Fail::Status(Status::NotFound))?;
        f(m, key);
        Ok(())
    }

    /// Kong: a request header removal hides the header from the filter, but nginx still
    /// forwards it with its value (see `Stream::cleared_request_headers`). Setting it to an
    /// empty value does replace the value.
    fn kong_clears(&mut self, mt: MapType, key: &str) -> bool {
        if !(mt == MapType::HttpRequestHeaders && self.profile() == Profile::Kong) {
            return false;
        }
        let key = key.to_ascii_lowercase();
        if kong_read_only(mt, &key) {
            return false;
        }
        if let Some(s) = self.stream_mut() {
            let (gone, kept): (HeaderPairs, HeaderPairs) = std::mem::take(&mut s.request_headers)
                .into_iter()
                .partition(|(k, _)| *k == key);
            s.request_headers = kept;
            s.cleared_request_headers.extend(gone);
        }
        true
    }

    /// `proxy_replace_header_map_value` (SDK `set_http_*_header(name, Some(v))`).
    pub fn replace_map_value(&mut self, mt: MapType, key: &str, value: &[u8]) -> HostResult<()> {
        self.edit_map(mt, key, |m, key| {
            if let Some(slot) = m.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = value.to_vec();
                let mut seen = false;
                m.retain(|(k, _)| {
                    if *k != key {
                        return true;
                    }
                    let keep = !seen;
                    seen = true;
                    keep
                });
            } else {
                m.push((key, value.to_vec()));
            }
        })
    }

    /// `proxy_add_header_map_value`.
    pub fn add_map_value(&mut self, mt: MapType, key: &str, value: &[u8]) -> HostResult<()> {
        self.edit_map(mt, key, |m, key| m.push((key, value.to_vec())))
    }

    /// `proxy_remove_header_map_value`.
    pub fn remove_map_value(&mut self, mt: MapType, key: &str) -> HostResult<()> {
        if let Err(d) = self.map_allowed(mt, true) {
            return self.deny(d, ());
        }
        if self.kong_clears(mt, key) {
            return Ok(());
        }
        self.edit_map(mt, key, |m, key| m.retain(|(k, _)| *k != key))
    }

    /// `proxy_set_header_map_pairs`: replaces the whole map (Kong keeps its read-only
    /// pseudo-headers).
    pub fn set_map_pairs(&mut self, mt: MapType, pairs: HeaderPairs) -> HostResult<()> {
        if let Err(d) = self.map_allowed(mt, true) {
            return self.deny(d, ());
        }
        let kong = self.profile() == Profile::Kong;
        let m = self.map_ref(mt).ok_or(Fail::Status(Status::NotFound))?;
        let kept: HeaderPairs = if kong {
            m.iter()
                .filter(|(k, _)| kong_read_only(mt, k))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        if kong && mt == MapType::HttpRequestHeaders {
            // Every header goes through a removal first (see `kong_clears`).
            let gone: HeaderPairs = m
                .iter()
                .filter(|(k, _)| !kong_read_only(mt, k) && !k.starts_with(':'))
                .cloned()
                .collect();
            if let Some(s) = self.stream_mut() {
                s.cleared_request_headers.extend(gone);
            }
        }
        let m = self.map_ref(mt).ok_or(Fail::Status(Status::NotFound))?;
        let mut new: HeaderPairs = kept;
        for (k, v) in pairs {
            let k = k.to_ascii_lowercase();
            if kong && kong_read_only(mt, &k) {
                continue;
            }
            new.push((k, v));
        }
        *m = new;
        Ok(())
    }
}

/// First value of `name` in a map.
pub fn map_get<'a>(m: &'a HeaderPairs, name: &str) -> Option<&'a str> {
    m.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
}
