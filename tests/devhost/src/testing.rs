//! Helpers for tests: locating and building the wasm modules, compiled once per test binary,
//! and a tiny blocking HTTP client. A missing module is a test failure, hence the panics.
#![allow(clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::wasm::FilterModule;

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("."))
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Builds the rule-test filter (`tests/devhost/test-filter`, its own workspace) for
/// `wasm32-wasip1` and returns the `.wasm` path. Same as `tests/devhost/build-test-filter.sh`.
pub fn build_test_filter() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test-filter");
    let out = Command::new(cargo())
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip1",
            "--manifest-path",
        ])
        .arg(dir.join("Cargo.toml"))
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "building the test filter failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(dir.join("target/wasm32-wasip1/release/devhost_test_filter.wasm"))
}

/// The rule-test filter, built and compiled once per test binary.
pub fn test_filter() -> FilterModule {
    static M: OnceLock<Result<FilterModule, String>> = OnceLock::new();
    match M.get_or_init(|| FilterModule::load(&build_test_filter()?)) {
        Ok(m) => m.clone(),
        Err(e) => panic!("{e}"),
    }
}

/// Path of the real filter: `$AI_PROXY_WASM` if set, else
/// `target/wasm32-wasip1/release/ai_proxy.wasm` under the workspace.
pub fn ai_proxy_path() -> PathBuf {
    if let Some(p) = std::env::var_os("AI_PROXY_WASM") {
        return PathBuf::from(p);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace_root().join("target"));
    target.join("wasm32-wasip1/release/ai_proxy.wasm")
}

/// The real filter, built if missing (`cargo build --release --target wasm32-wasip1 -p
/// ai-proxy`) and compiled once. `None` when the module has no proxy-wasm filter in it yet.
pub fn ai_proxy() -> Option<FilterModule> {
    static M: OnceLock<Result<FilterModule, String>> = OnceLock::new();
    let r = M.get_or_init(|| {
        let path = ai_proxy_path();
        if !path.exists() {
            let out = Command::new(cargo())
                .current_dir(workspace_root())
                .args([
                    "build",
                    "--release",
                    "--target",
                    "wasm32-wasip1",
                    "-p",
                    "ai-proxy",
                ])
                .output()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "building ai_proxy.wasm failed:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        FilterModule::load(&path)
    });
    match r {
        Ok(m) if m.is_proxy_wasm => Some(m.clone()),
        Ok(_) => None,
        Err(e) => panic!("{e}"),
    }
}

/// A response read by [`http`].
#[derive(Debug, Clone, Default)]
pub struct HttpResponse {
    /// Status.
    pub status: u16,
    /// Headers (names lowercase).
    pub headers: Vec<(String, String)>,
    /// Body (chunked encoding removed).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Body as JSON (panics with the body if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {}", self.text()))
    }

    /// A header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A blocking HTTP/1.1 request over a fresh connection (`Connection: close`), for tests.
pub fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<HttpResponse, String> {
    http_body_after(addr, method, path, headers, body, std::time::Duration::ZERO)
}

/// Same, the body written `delay` after the head (a slow client).
pub fn http_body_after(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    delay: std::time::Duration,
) -> Result<HttpResponse, String> {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(30)));
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    // Head and body in one write, as a client sending a small request does: two writes can
    // reach the gateway apart under load, which makes every request a slow client's; a slow
    // client is what `delay` asks for.
    let mut wire = req.into_bytes();
    if delay.is_zero() {
        wire.extend_from_slice(body);
    }
    let mut sent = s.write_all(&wire).map_err(|e| e.to_string());
    if sent.is_ok() && !delay.is_zero() {
        std::thread::sleep(delay);
        sent = s.write_all(body).map_err(|e| e.to_string());
    }
    read_answer(&mut s, Vec::new(), sent)
}

/// Reads the answer to the end, as curl does: a server that answers before the body is all
/// read (Envoy's 413 at the buffer limit) closes with unread bytes, so the kernel resets the
/// connection; the answer that came before the reset is still the answer, and a write the
/// reset cut short is not the failure.
fn read_answer(
    s: &mut std::net::TcpStream,
    mut raw: Vec<u8>,
    sent: Result<(), String>,
) -> Result<HttpResponse, String> {
    use std::io::Read;
    let mut buf = [0u8; 16 * 1024];
    let cut = loop {
        match s.read(&mut buf) {
            Ok(0) => break None,
            Ok(n) => raw.extend_from_slice(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Some(format!("read: {e}")),
        }
    };
    match cut {
        None => parse_response(&raw),
        Some(err) => match complete_response(&raw) {
            Some(r) => Ok(r),
            None => Err(sent.err().map_or(err.clone(), |w| format!("{w}; {err}"))),
        },
    }
}

/// The answer in `raw` when all of it arrived (its length or its last chunk).
fn complete_response(raw: &[u8]) -> Option<HttpResponse> {
    let r = parse_response(raw).ok()?;
    let chunked = r
        .header("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"));
    let whole = match r.header("content-length") {
        _ if chunked => true,
        Some(n) => n.trim().parse::<usize>().ok() == Some(r.body.len()),
        None => false,
    };
    whole.then_some(r)
}

/// How a test client frames its request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// HTTP/1.1 with `content-length`.
    ContentLength,
    /// HTTP/1.1 `transfer-encoding: chunked`, the body in two chunks.
    Chunked,
    /// HTTP/1.1 with `content-length` and `expect: 100-continue`: the body is sent after the
    /// server's `100 Continue`.
    Expect100,
    /// HTTP/2 over cleartext (prior knowledge), with `content-length`.
    H2cLength,
    /// HTTP/2 over cleartext without `content-length`, the body in two DATA frames.
    H2cNoLength,
}

impl Framing {
    /// Every framing.
    pub const ALL: [Framing; 5] = [
        Framing::ContentLength,
        Framing::Chunked,
        Framing::Expect100,
        Framing::H2cLength,
        Framing::H2cNoLength,
    ];

    /// Short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Framing::ContentLength => "http1-content-length",
            Framing::Chunked => "http1-chunked",
            Framing::Expect100 => "http1-expect-100",
            Framing::H2cLength => "h2c-content-length",
            Framing::H2cNoLength => "h2c-no-length",
        }
    }
}

/// A request with the given body framing (fresh connection each time).
pub fn send(
    addr: std::net::SocketAddr,
    framing: Framing,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<HttpResponse, String> {
    match framing {
        Framing::ContentLength => http(addr, method, path, headers, body),
        Framing::Chunked | Framing::Expect100 => {
            http1_framed(addr, framing, method, path, headers, body)
        }
        Framing::H2cLength => h2c(addr, method, path, headers, body, true),
        Framing::H2cNoLength => h2c(addr, method, path, headers, body, false),
    }
}

fn http1_framed(
    addr: std::net::SocketAddr,
    framing: Framing,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<HttpResponse, String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(30)));
    let mut req = format!("{method} {path} HTTP/1.1\r\nconnection: close\r\n");
    if framing == Framing::Chunked {
        req.push_str("transfer-encoding: chunked\r\n");
    } else {
        req.push_str(&format!(
            "content-length: {}\r\nexpect: 100-continue\r\n",
            body.len()
        ));
    }
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    if framing == Framing::Expect100 {
        // Wait for the interim answer (or a final one: then no body is sent).
        let mut buf = [0u8; 4096];
        while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(buf.get(..n).unwrap_or_default());
        }
    }
    let sent = if framing == Framing::Expect100 {
        if raw.starts_with(b"HTTP/1.1 100") {
            s.write_all(body)
        } else {
            Ok(())
        }
    } else {
        let half = body.len() / 2;
        [body.get(..half), body.get(half..)]
            .into_iter()
            .flatten()
            .filter(|part| !part.is_empty())
            .try_for_each(|part| {
                s.write_all(format!("{:x}\r\n", part.len()).as_bytes())?;
                s.write_all(part)?;
                s.write_all(b"\r\n")
            })
            .and_then(|()| s.write_all(b"0\r\n\r\n"))
    };
    read_answer(&mut s, raw, sent.map_err(|e| e.to_string()))
}

/// HTTP/2 over cleartext with prior knowledge, through `curl --http2-prior-knowledge`
/// (curl with nghttp2, as Debian ships it). Without a length the body is a stdin upload
/// (`-T -`): no `content-length`, DATA frames as curl reads them.
fn h2c(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    with_length: bool,
) -> Result<HttpResponse, String> {
    use std::io::Write;
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "--http2-prior-knowledge",
        "-m",
        "30",
        "-i",
        "-X",
        method,
    ]);
    for (k, v) in headers {
        cmd.arg("-H").arg(format!("{k}: {v}"));
    }
    if with_length {
        cmd.arg("--data-binary").arg("@-");
    } else {
        // `-T -`: a stdin upload of unknown length; no content-length goes out.
        cmd.arg("-T").arg("-");
    }
    cmd.arg(format!("http://{addr}{path}"));
    let mut child = cmd
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run curl (needed for h2c tests): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(body);
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "curl --http2-prior-knowledge failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse_response(&out.stdout)
}

/// Parses one HTTP/1.1 response (curl prints HTTP/2 answers in the same shape).
fn parse_response(raw: &[u8]) -> Result<HttpResponse, String> {
    // Interim answers (100 Continue) come before the final one.
    let mut raw = raw;
    while raw.starts_with(b"HTTP/1.1 1") || raw.starts_with(b"HTTP/2 1") {
        match raw.windows(4).position(|w| w == b"\r\n\r\n") {
            Some(e) => raw = raw.get(e + 4..).unwrap_or_default(),
            None => break,
        }
    }
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no header end in {:?}", String::from_utf8_lossy(raw)))?;
    let head = String::from_utf8_lossy(raw.get(..end).unwrap_or_default()).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("bad status line")?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        })
        .collect();
    let rest = raw.get(end + 4..).unwrap_or_default();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let nl = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunked body")?;
        let size_line = String::from_utf8_lossy(b.get(..nl).unwrap_or_default()).into_owned();
        let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("bad chunk size {size_line:?}: {e}"))?;
        b = b.get(nl + 2..).unwrap_or_default();
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(b.get(..size).ok_or("truncated chunk")?);
        b = b.get(size + 2..).ok_or("truncated chunk end")?;
    }
}

/// The mock provider's chat answer text (every provider's mock says the same).
pub const MOCK_CHAT_TEXT: &str = "Hello! How can I help you today?";

/// One provider of the end-to-end tables: a filter config whose OpenAI-format chat request the
/// mock provider answers, and what the upstream request's path starts with.
#[derive(Debug, Clone)]
pub struct ChatProvider {
    /// The provider's name (as in `model.provider`).
    pub name: &'static str,
    /// The filter config.
    pub config: serde_json::Value,
    /// The model the client names.
    pub model: &'static str,
    /// Upstream path prefix of a chat request.
    pub path: &'static str,
    /// Upstream path prefix of a streaming chat request.
    pub stream_path: &'static str,
}

/// Every provider the mock speaks, for the end-to-end tests (`e2e_providers`, `e2e_framing`).
pub fn chat_providers() -> Vec<ChatProvider> {
    use serde_json::json;
    let p = |name, config, model, path, stream_path| ChatProvider {
        name,
        config,
        model,
        path,
        stream_path,
    };
    vec![
        p(
            "openai",
            json!({"route_type": "llm/v1/chat", "auth": {"header_name": "Authorization", "header_value": "Bearer sk-test-key"},
            "model": {"provider": "openai", "name": "gpt-4o-mini"}}),
            "gpt-4o-mini",
            "/v1/chat/completions",
            "/v1/chat/completions",
        ),
        p(
            "anthropic",
            json!({"route_type": "llm/v1/chat", "auth": {"header_name": "x-api-key", "header_value": "k"},
            "model": {"provider": "anthropic", "name": "claude-sonnet-4-20250514", "options": {"anthropic_version": "2023-06-01", "max_tokens": 256}}}),
            "claude-sonnet-4-20250514",
            "/v1/messages",
            "/v1/messages",
        ),
        p(
            "gemini",
            json!({"route_type": "llm/v1/chat", "auth": {"param_name": "key", "param_value": "k", "param_location": "query"},
            "model": {"provider": "gemini", "name": "gemini-2.0-flash"}}),
            "gemini-2.0-flash",
            "/v1beta/models/gemini-2.0-flash:generateContent",
            "/v1beta/models/gemini-2.0-flash:streamGenerateContent",
        ),
        p(
            "bedrock",
            json!({"route_type": "llm/v1/chat", "auth": {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
            "model": {"provider": "bedrock", "name": "anthropic.claude-3-haiku-20240307-v1:0", "options": {"bedrock": {"aws_region": "us-east-1"}}}}),
            "anthropic.claude-3-haiku-20240307-v1:0",
            "/model/anthropic.claude-3-haiku-20240307-v1",
            "/model/anthropic.claude-3-haiku-20240307-v1",
        ),
        p(
            "cohere",
            json!({"route_type": "llm/v1/chat", "auth": {"header_name": "Authorization", "header_value": "Bearer k"},
            "model": {"provider": "cohere", "name": "command-r"}}),
            "command-r",
            "/v",
            "/v",
        ),
        p(
            "ollama",
            json!({"route_type": "llm/v1/chat", "model": {"provider": "ollama", "name": "llama3.2"}}),
            "llama3.2",
            "/api/chat",
            "/api/chat",
        ),
        p(
            "azure",
            json!({"route_type": "llm/v1/chat", "auth": {"header_name": "api-key", "header_value": "k"},
            "model": {"provider": "azure", "name": "gpt-4o", "options": {"azure_instance": "inst", "azure_deployment_id": "dep"}}}),
            "gpt-4o",
            "/openai/deployments/dep/chat/completions",
            "/openai/deployments/dep/chat/completions",
        ),
        p(
            "huggingface",
            json!({"route_type": "llm/v1/chat", "auth": {"header_name": "Authorization", "header_value": "Bearer hf_k"},
            "model": {"provider": "huggingface", "name": "meta-llama/Llama-3.3-70B-Instruct"}}),
            "meta-llama/Llama-3.3-70B-Instruct",
            "/v1/chat/completions",
            "/v1/chat/completions",
        ),
    ]
}

/// The providers of [`chat_providers`] with these names, in this order (a name not in the
/// table is a test failure).
pub fn chat_providers_named(names: &[&str]) -> Vec<ChatProvider> {
    let all = chat_providers();
    names
        .iter()
        .map(|n| {
            all.iter()
                .find(|p| p.name == *n)
                .cloned()
                .unwrap_or_else(|| panic!("no provider {n} in testing::chat_providers"))
        })
        .collect()
}

/// The text deltas of an OpenAI SSE body joined, and the last finish reason (panics on a chunk
/// that is not JSON).
pub fn openai_stream_text(body: &str) -> (String, Option<String>) {
    let mut text = String::new();
    let mut finish = None;
    for data in body
        .split("\n\n")
        .filter_map(|ev| ev.lines().find_map(|l| l.strip_prefix("data: ")))
        .filter(|d| *d != "[DONE]")
    {
        let v: serde_json::Value =
            serde_json::from_str(data).unwrap_or_else(|e| panic!("bad chunk {data}: {e}"));
        text.push_str(
            v.pointer("/choices/0/delta/content")
                .and_then(serde_json::Value::as_str)
                .unwrap_or(""),
        );
        if let Some(f) = v
            .pointer("/choices/0/finish_reason")
            .and_then(serde_json::Value::as_str)
        {
            finish = Some(f.to_string());
        }
    }
    (text, finish)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A server that answers after the head and closes with the body unread, as Envoy does at
    /// its buffer limit: the kernel resets the connection, and the answer is still read.
    #[test]
    fn an_answer_before_a_reset_is_the_answer() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = s.read(&mut buf).unwrap();
                head.extend_from_slice(&buf[..n]);
            }
            s.write_all(
                b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 17\r\n\r\nPayload Too Large",
            )
            .unwrap();
            // Let the rest of the body arrive unread, so that closing sends a reset.
            std::thread::sleep(std::time::Duration::from_millis(200));
        });
        let body = vec![b'x'; 256 * 1024];
        let r = http(addr, "POST", "/", &[], &body).unwrap();
        assert_eq!((r.status, r.text()), (413, "Payload Too Large".to_string()));
        server.join().unwrap();
    }

    /// A reset before the whole answer came is still a failure.
    #[test]
    fn a_cut_answer_is_an_error() {
        let raw = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc";
        assert!(complete_response(raw).is_none());
        let chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n";
        assert!(complete_response(chunked).is_none());
    }
}
