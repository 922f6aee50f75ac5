//! Upstream addressing: where a request goes (`scheme://host:port/path?query`) and the
//! URL helpers shared by the config checks, the providers and the exchange.
//!
//! This module sits in the bottom layer of the core (see `docs/design.md` §2): it imports
//! nothing from the crate, so `config` can validate `upstream_url` without knowing providers.

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// TLS.
    Https,
}

impl Scheme {
    /// `http` / `https`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// Default port.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Where the upstream request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamTarget {
    /// Scheme.
    pub scheme: Scheme,
    /// Host name (no port).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Path, starting with `/`, without the query string.
    pub path: String,
    /// Query arguments the provider needs (e.g. Azure's `api-version`, Gemini's `alt=sse`),
    /// raw (already percent-encoded where needed). The client's own query args are kept too.
    pub query: Vec<(String, String)>,
}

impl UpstreamTarget {
    /// Parses `scheme://host[:port][/path][?query]` (used for `upstream_url` and base URLs).
    pub fn from_url(url: &str) -> Option<UpstreamTarget> {
        let (scheme, rest) = if let Some(r) = url.strip_prefix("https://") {
            (Scheme::Https, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (Scheme::Http, r)
        } else {
            return None;
        };
        let (authority, path_query) = match rest.find('/') {
            Some(i) => (rest.get(..i)?, rest.get(i..)?),
            None => match rest.find('?') {
                Some(i) => (rest.get(..i)?, rest.get(i..)?),
                None => (rest, ""),
            },
        };
        let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
            // IPv6 literal: `[::1]` or `[::1]:8080`; the brackets stay in the host.
            let (h, after) = rest.split_once(']')?;
            let port = match after.strip_prefix(':') {
                Some(p) => p.parse::<u16>().ok()?,
                None if after.is_empty() => scheme.default_port(),
                None => return None,
            };
            (format!("[{h}]"), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse::<u16>().ok()?),
                None => (authority.to_string(), scheme.default_port()),
            }
        };
        if host.is_empty() {
            return None;
        }
        let (path, query) = match path_query.split_once('?') {
            Some((p, q)) => (p, q),
            None => (path_query, ""),
        };
        let query = parse_query(query);
        Some(UpstreamTarget {
            scheme,
            host,
            port,
            path: if path.is_empty() {
                "/".into()
            } else {
                path.into()
            },
            query,
        })
    }

    /// `host` or `host:port` when the port is not the scheme's default (the `Host` header).
    pub fn authority(&self) -> String {
        if self.port == self.scheme.default_port() {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Splits a raw query string into (name, value) pairs, kept percent-encoded.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (kv.to_string(), String::new()),
        })
        .collect()
}

/// Percent-decoding (`+` is a space, as in forms); invalid escapes are kept as is.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let t = UpstreamTarget::from_url("http://[::1]:8080/v1?a=b").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("[::1]", 8080, "/v1")
        );
        assert_eq!(t.query, vec![("a".to_string(), "b".to_string())]);
        let t = UpstreamTarget::from_url("https://api.openai.com").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("api.openai.com", 443, "/")
        );
        // Kong's quirk (port 443 for http:// without a port) is not copied.
        assert_eq!(UpstreamTarget::from_url("http://ollama").unwrap().port, 80);
        assert_eq!(
            UpstreamTarget::from_url("http://h:notaport/").map(|t| t.port),
            None
        );
        assert!(UpstreamTarget::from_url("ftp://x").is_none());
        assert!(UpstreamTarget::from_url("http:///x").is_none());
    }
}
