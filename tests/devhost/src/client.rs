//! A minimal HTTP/1.1 client for the gateway (upstream requests and dispatched calls): plain
//! TCP or TLS (rustls with the webpki roots), one connection per request.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `http` or `https`.
    pub scheme: String,
    /// Host name or IP.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Target {
    /// Parses `scheme` + `host[:port]` (default port from the scheme).
    pub fn new(scheme: &str, authority: &str) -> Result<Self, String> {
        let scheme = if scheme.is_empty() { "http" } else { scheme };
        let default = if scheme == "https" { 443 } else { 80 };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => {
                match p.parse::<u16>() {
                    Ok(p) => (h.to_string(), p),
                    Err(_) => (authority.to_string(), default),
                }
            }
            _ => (authority.to_string(), default),
        };
        if host.is_empty() {
            return Err(format!("no upstream host (authority {authority:?})"));
        }
        Ok(Self {
            scheme: scheme.to_string(),
            host: host.trim_matches(['[', ']']).to_string(),
            port,
        })
    }

    /// Parses a URL like `http://127.0.0.1:9000` (path ignored).
    pub fn from_url(url: &str) -> Result<Self, String> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("not a URL: {url}"))?;
        if scheme != "http" && scheme != "https" {
            return Err(format!("unsupported scheme in {url}"));
        }
        let authority = rest.split('/').next().unwrap_or("");
        Self::new(scheme, authority)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

fn tls_config() -> Arc<rustls::ClientConfig> {
    static CFG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CFG.get_or_init(|| {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut cfg = match rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
        {
            Ok(b) => b.with_root_certificates(roots).with_no_client_auth(),
            Err(_) => rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth(),
        };
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(cfg)
    })
    .clone()
}

/// Sends one request and returns the response head with a streaming body.
pub async fn send(
    target: &Target,
    req: hyper::Request<Full<Bytes>>,
) -> Result<hyper::Response<Incoming>, String> {
    let tcp = TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|e| format!("connect to {target}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    if target.scheme == "https" {
        let name = rustls::pki_types::ServerName::try_from(target.host.clone())
            .map_err(|e| format!("bad TLS name {}: {e}", target.host))?;
        let tls = tokio_rustls::TlsConnector::from(tls_config())
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake with {target}: {e}"))?;
        exchange(TokioIo::new(tls), req, target).await
    } else {
        exchange(TokioIo::new(tcp), req, target).await
    }
}

async fn exchange<I>(
    io: I,
    req: hyper::Request<Full<Bytes>>,
    target: &Target,
) -> Result<hyper::Response<Incoming>, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("HTTP handshake with {target}: {e}"))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender
        .send_request(req)
        .await
        .map_err(|e| format!("request to {target}: {e}"))
}
