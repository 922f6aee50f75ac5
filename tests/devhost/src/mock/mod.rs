//! Mock upstream speaking each provider's API shape with canned but realistic answers (shapes
//! from the providers' public API references), recording every request it receives.
//!
//! Streams can be cut at arbitrary byte boundaries: the `x-mock-chunk-size: N` request header
//! (or [`MockOptions::chunk_size`]) re-splits the streamed bytes into N-byte body chunks, sent
//! with a short pause between them so they arrive as separate reads.
//!
//! Routes (method POST unless noted):
//! - OpenAI / Hugging Face: `…/chat/completions`, `…/completions`, `…/embeddings`
//!   (Azure: `/openai/deployments/{d}/…?api-version=`); SSE with `data: [DONE]`, usage chunk
//!   when `stream_options.include_usage`.
//! - Anthropic: `/v1/messages` (JSON or SSE events).
//! - Cohere: `/v1/chat` (JSON, NDJSON stream), `/v2/chat` (JSON, SSE), `/v1/embed`, `/v2/embed`.
//! - Gemini / Vertex: `…/models/{m}:generateContent`, `:streamGenerateContent` (SSE with
//!   `alt=sse`, JSON array without), `:embedContent`, `:batchEmbedContents`, `:countTokens`.
//! - Bedrock: `/model/{id}/converse`, `/model/{id}/converse-stream` (AWS eventstream),
//!   `/model/{id}/invoke` (embeddings), `/model/{id}/count-tokens`.
//! - Ollama: `/api/chat` (JSON, NDJSON stream), `/api/generate`, `/api/embed`.
//! - Fault modes (`faults.rs`, [`faults::FaultServer`]): a scripted upstream that resets,
//!   stalls or breaks its `content-length` on demand (the hostile catalogue under real Envoy).
//! - Route groups (`routes.rs`): responses (JSON or SSE), files, batches, assistants, audio,
//!   images, videos, on OpenAI's and Azure's paths; binary answers for speech and content;
//!   Gemini's Veo operation flow (`:predictLongRunning`, `GET /v1beta/{operation}`, the file)
//!   and Vertex AI's (`:predictLongRunning`, `:fetchPredictOperation`).

pub mod faults;
pub mod identity;
mod providers;
mod routes;

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

pub use providers::{answer, eventstream_message};
pub use routes::large_video as vertex_large_video;
pub use routes::{
    DASHSCOPE_IMAGE_URL, FILE_CONTENT, IMAGE_B64, SPEECH_BYTES, VEO_FILE, VEO_REDIRECT,
    VEO_REDIRECT_FILE, VERTEX_GCS_URI, VERTEX_LARGE_VIDEO, VIDEO_BYTES,
};

/// A request the mock received.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// Method.
    pub method: String,
    /// Path without query.
    pub path: String,
    /// Query string (without `?`).
    pub query: String,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Recorded {
    /// First value of a header.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Body as JSON (Null if it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Mock settings.
#[derive(Debug, Clone, Default)]
pub struct MockOptions {
    /// Re-split streamed answers into chunks of this many bytes.
    pub chunk_size: Option<usize>,
}

/// A canned answer: status, headers, body pieces (one piece per natural frame for streams).
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status.
    pub status: u16,
    /// Content type.
    pub content_type: String,
    /// Body pieces.
    pub pieces: Vec<Vec<u8>>,
    /// Whether this is a stream (sent piece by piece, chunked encoding).
    pub stream: bool,
}

/// A running mock (stops when dropped).
pub struct MockServer {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    _server: crate::background::Background,
}

impl MockServer {
    /// Starts on `127.0.0.1:0` in a background thread.
    pub fn start(opts: MockOptions) -> std::io::Result<Self> {
        let l = std::net::TcpListener::bind("127.0.0.1:0")?;
        Self::start_on(l, opts)
    }

    /// Starts on a bound listener.
    pub fn start_on(l: std::net::TcpListener, opts: MockOptions) -> std::io::Result<Self> {
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let rec = recorded.clone();
        let server = crate::background::serve_on(l, move |l| serve(l, rec, opts))?;
        Ok(Self {
            addr: server.addr,
            recorded,
            _server: server,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.recorded.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// The last request received.
    pub fn last(&self) -> Option<Recorded> {
        self.requests().pop()
    }
}

/// Serves until the future is dropped.
pub async fn serve(listener: TcpListener, rec: Arc<Mutex<Vec<Recorded>>>, opts: MockOptions) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        // Each stream piece leaves as its own segment, as a provider's server sends its events.
        // With Nagle on, the pieces after the first waited for the proxy's delayed ACK (~40 ms)
        // and reached it as one chunk: a "15-event" stream was one body callback.
        let _ = tcp.set_nodelay(true);
        let (rec, opts) = (rec.clone(), opts.clone());
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| handle(req, rec.clone(), opts.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), svc)
                .await;
        });
    }
}

/// Body fed by a channel.
pub struct Chunks(mpsc::Receiver<Bytes>);

impl Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

async fn handle(
    req: Request<Incoming>,
    rec: Arc<Mutex<Vec<Recorded>>>,
    opts: MockOptions,
) -> Result<Response<Chunks>, Infallible> {
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let r = Recorded {
        method,
        path,
        query,
        headers,
        body,
    };
    let identity_n = if identity::is_identity(&r) {
        rec.lock()
            .map(|g| g.iter().filter(|x| identity::is_identity(x)).count() + 1)
            .ok()
    } else {
        None
    };
    if let Ok(mut g) = rec.lock() {
        g.push(r.clone());
    }
    let chunk = r
        .header("x-mock-chunk-size")
        .and_then(|v| v.parse::<usize>().ok())
        .or(opts.chunk_size)
        .filter(|n| *n > 0);
    let ans = match identity_n {
        Some(n) => {
            let d = identity::delay_ms(&r);
            if d > 0 {
                tokio::time::sleep(Duration::from_millis(d)).await;
            }
            identity::answer(&r, n)
        }
        None => providers::answer(&r),
    };
    let (tx, rx) = mpsc::channel(16);
    let mut b = Response::builder()
        .status(ans.status)
        .header("content-type", ans.content_type.as_str());
    if (300..400).contains(&ans.status) {
        // A redirect's body is its target (`routes.rs`, the Veo file download).
        let to = String::from_utf8_lossy(&ans.pieces.concat()).into_owned();
        b = b.header("location", to);
    }
    if !ans.stream {
        let all: Vec<u8> = ans.pieces.concat();
        b = b.header("content-length", all.len().to_string());
        let _ = tx.try_send(Bytes::from(all));
        drop(tx);
    } else {
        let pieces: Vec<Vec<u8>> = match chunk {
            Some(n) => ans.pieces.concat().chunks(n).map(|c| c.to_vec()).collect(),
            None => ans.pieces,
        };
        // A short pause between pieces so they leave as separate writes; long 1-byte streams
        // only yield, to keep tests fast.
        let pause = pieces.len() < 200;
        tokio::spawn(async move {
            for p in pieces {
                if tx.send(Bytes::from(p)).await.is_err() {
                    return;
                }
                if pause {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                } else {
                    tokio::task::yield_now().await;
                }
            }
        });
    }
    Ok(b.body(Chunks(rx))
        .unwrap_or_else(|_| Response::new(Chunks(mpsc::channel(1).1))))
}
