//! A scripted upstream with fault modes, for the hostile catalogue (docs/hostile-input.md) and
//! the soak under real Envoy: it answers every request with the [`Scripted`] reply set last,
//! written byte by byte on a raw TCP connection so it can break HTTP where a real upstream
//! breaks it (a reset mid-body, a stall, a `content-length` it does not keep).
//!
//! Framing of a reply: the pieces as written, each a chunk of `transfer-encoding: chunked`,
//! unless the reply's headers carry a `content-length` (then the pieces are the raw body), or
//! the fault says otherwise. Connections are kept alive between replies that end cleanly.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::Recorded;

/// How a scripted reply breaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Fault {
    /// No fault: the reply ends cleanly.
    #[default]
    None,
    /// Headers and pieces (chunked), then a TCP reset (`SO_LINGER` 0) before the last chunk.
    Reset,
    /// Headers and pieces, then nothing: the connection stays open and silent.
    StallAfterHeaders,
    /// The request is read, then nothing at all is sent.
    StallBeforeHeaders,
    /// `content-length` of the pieces plus 1,000 bytes, the pieces, then the connection closes.
    ShortBody,
    /// No length and no chunking (`connection: close`): the body ends when the connection
    /// closes, a clean end of the body for the proxy.
    CloseDelimited,
}

impl Fault {
    /// `reset`, `stall_after_headers`, `stall_before_headers`, `short_body`,
    /// `close_delimited`, `none`.
    pub fn parse(name: &str) -> Option<Fault> {
        Some(match name {
            "none" => Fault::None,
            "reset" => Fault::Reset,
            "stall_after_headers" => Fault::StallAfterHeaders,
            "stall_before_headers" => Fault::StallBeforeHeaders,
            "short_body" => Fault::ShortBody,
            "close_delimited" => Fault::CloseDelimited,
            _ => return None,
        })
    }
}

/// A reply: status, headers, body pieces, and how it breaks.
#[derive(Debug, Clone)]
pub struct Scripted {
    /// Status.
    pub status: u16,
    /// Headers as sent (framing headers are added per the fault).
    pub headers: Vec<(String, String)>,
    /// Body pieces, each its own write (and chunk).
    pub pieces: Vec<Vec<u8>>,
    /// The fault.
    pub fault: Fault,
}

impl Default for Scripted {
    fn default() -> Self {
        Scripted {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            pieces: vec![b"{}".to_vec()],
            fault: Fault::None,
        }
    }
}

struct Shared {
    script: Scripted,
    recorded: Vec<Recorded>,
}

/// A running scripted upstream on `127.0.0.1` (stops when dropped; stalled connections are
/// dropped with it).
pub struct FaultServer {
    /// Where it listens.
    pub addr: SocketAddr,
    shared: Arc<Mutex<Shared>>,
    _server: crate::background::Background,
}

impl FaultServer {
    /// Starts on `127.0.0.1:0` in a background thread, answering [`Scripted::default`].
    pub fn start() -> std::io::Result<FaultServer> {
        let shared = Arc::new(Mutex::new(Shared {
            script: Scripted::default(),
            recorded: Vec::new(),
        }));
        let sh = shared.clone();
        let server = crate::background::serve(move |l| accept_loop(l, sh))?;
        Ok(FaultServer {
            addr: server.addr,
            shared,
            _server: server,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The reply for every request from now on.
    pub fn set(&self, script: Scripted) {
        if let Ok(mut g) = self.shared.lock() {
            g.script = script;
        }
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared
            .lock()
            .map(|g| g.recorded.clone())
            .unwrap_or_default()
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Mutex<Shared>>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(connection(tcp, shared.clone()));
    }
}

/// Serves requests on one connection until a reply closes it or the peer goes away.
async fn connection(mut tcp: TcpStream, shared: Arc<Mutex<Shared>>) {
    let mut buf = Vec::new();
    loop {
        let Some(req) = read_request(&mut tcp, &mut buf).await else {
            return;
        };
        let script = match shared.lock() {
            Ok(mut g) => {
                g.recorded.push(req);
                g.script.clone()
            }
            Err(_) => return,
        };
        if !reply(&mut tcp, &script).await {
            return;
        }
    }
}

/// Writes one reply; `true` when the connection can serve another request.
async fn reply(tcp: &mut TcpStream, s: &Scripted) -> bool {
    if s.fault == Fault::StallBeforeHeaders {
        std::future::pending::<()>().await;
    }
    let total: usize = s.pieces.iter().map(Vec::len).sum();
    let has_length = s
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"));
    let mut head = format!("HTTP/1.1 {} {}\r\n", s.status, reason(s.status));
    for (k, v) in &s.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let chunked = match s.fault {
        Fault::ShortBody => {
            if !has_length {
                head.push_str(&format!("content-length: {}\r\n", total + 1000));
            }
            false
        }
        Fault::CloseDelimited => {
            head.push_str("connection: close\r\n");
            false
        }
        _ if has_length => false,
        _ => {
            head.push_str("transfer-encoding: chunked\r\n");
            true
        }
    };
    head.push_str("\r\n");
    if tcp.write_all(head.as_bytes()).await.is_err() {
        return false;
    }
    // A short pause between pieces so they leave as separate writes (long streams of tiny
    // pieces only yield, to keep tests fast).
    let pause = s.pieces.len() < 200;
    for p in &s.pieces {
        let ok = if chunked {
            let mut framed = format!("{:x}\r\n", p.len()).into_bytes();
            framed.extend_from_slice(p);
            framed.extend_from_slice(b"\r\n");
            tcp.write_all(&framed).await
        } else {
            tcp.write_all(p).await
        };
        if ok.is_err() {
            return false;
        }
        if pause {
            tokio::time::sleep(Duration::from_millis(1)).await;
        } else {
            tokio::task::yield_now().await;
        }
    }
    match s.fault {
        Fault::None if chunked => tcp.write_all(b"0\r\n\r\n").await.is_ok(),
        Fault::None => true,
        Fault::Reset => {
            let _ = tcp.flush().await;
            // Let the pieces leave before the reset discards what is unsent.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let _ = tcp.set_zero_linger();
            false
        }
        Fault::StallAfterHeaders | Fault::StallBeforeHeaders => {
            std::future::pending::<()>().await;
            false
        }
        Fault::ShortBody | Fault::CloseDelimited => {
            let _ = tcp.shutdown().await;
            false
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Reads one HTTP/1.1 request (head, then a `content-length` or chunked body) from `tcp`,
/// keeping bytes of the next request in `buf`. `None` when the peer closed or sent garbage.
async fn read_request(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Recorded> {
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        fill(tcp, buf).await?;
    };
    let head = String::from_utf8_lossy(buf.get(..head_end)?).into_owned();
    buf.drain(..head_end);
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let mut body = Vec::new();
    if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let line_end = loop {
                if let Some(i) = find(buf, b"\r\n") {
                    break i;
                }
                fill(tcp, buf).await?;
            };
            let size_text = String::from_utf8_lossy(buf.get(..line_end)?).into_owned();
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            buf.drain(..line_end + 2);
            while buf.len() < size + 2 {
                fill(tcp, buf).await?;
            }
            body.extend_from_slice(buf.get(..size)?);
            buf.drain(..size + 2);
            if size == 0 {
                break;
            }
        }
    } else if let Some(n) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
        while buf.len() < n {
            fill(tcp, buf).await?;
        }
        body.extend(buf.drain(..n));
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    Some(Recorded {
        method,
        path,
        query,
        headers,
        body,
    })
}

async fn fill(tcp: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 16384];
    let n = tcp.read(&mut chunk).await.ok()?;
    if n == 0 {
        return None;
    }
    buf.extend_from_slice(chunk.get(..n)?);
    Some(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
