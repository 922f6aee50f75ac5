//! Plain data the exchange returns and the shell applies with each host's rules.

use crate::providers::UpstreamTarget;

/// The request head as the host delivered it.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// `:method`.
    pub method: &'a str,
    /// `:path` including the query string.
    pub path: &'a str,
    /// All headers (pseudo-headers may be included; they are ignored).
    pub headers: &'a [(String, String)],
}

/// What the host says, with the request headers, about a body to come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodySignal {
    /// The host tells it: `end_of_stream = false` at headers time means a body follows. Envoy
    /// hides `transfer-encoding` from filters, so a body without `content-length` (HTTP/1.1
    /// chunked, HTTP/2 without the header) is known only this way (docs/troubleshooting.md).
    Follows(bool),
    /// The host does not tell (Kong's headers step always says `end_of_stream = false`):
    /// decide from `content-length` / `transfer-encoding`.
    FromHeaders,
}

/// A response the filter produces itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalReply {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// Changes to the upstream request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEdits {
    /// Where the request goes (query complete, client args included).
    pub target: UpstreamTarget,
    /// Headers to set (replacing any value).
    pub set_headers: Vec<(String, String)>,
    /// Headers to remove.
    pub remove_headers: Vec<String>,
    /// New body (`None` = unchanged).
    pub body: Option<Vec<u8>>,
}

impl RequestEdits {
    /// `path?query` for the upstream request line.
    pub fn path_and_query(&self) -> String {
        let mut p = self.target.path.clone();
        if !self.target.query.is_empty() {
            p.push('?');
            let mut first = true;
            for (k, v) in &self.target.query {
                if !first {
                    p.push('&');
                }
                first = false;
                p.push_str(k);
                if !v.is_empty() {
                    p.push('=');
                    p.push_str(v);
                }
            }
        }
        p
    }
}

/// The outcome of the request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadStep {
    /// A body follows: wait for it. `early` is the upstream host already known (Kong must set
    /// its target in the access phase, before the body).
    WaitBody {
        /// Scheme/host/port known from config and headers.
        early: Option<UpstreamTarget>,
    },
    /// No body will be inspected: forward now with these edits.
    Forward(RequestEdits),
    /// Answer locally.
    Reply(LocalReply),
    /// Make this HTTP call (`dispatch_http_call`) instead of forwarding the request, and give
    /// its answer to [`Exchange::on_call_answer`](super::Exchange::on_call_answer), which
    /// makes the reply (Vertex AI's video job poll: a `POST` with a body that the client's
    /// bodiless `GET` cannot become).
    Call(HostCall),
}

/// An HTTP call the filter makes itself.
#[derive(Clone, PartialEq, Eq)]
pub struct HostCall {
    /// Envoy: the cluster to dispatch to.
    pub cluster: String,
    /// Kong: `host:port` to dispatch to.
    pub upstream: String,
    /// The config field that names the target (in errors).
    pub field: &'static str,
    /// Method.
    pub method: &'static str,
    /// The request: target, headers (auth included) and body. Built like a forwarded
    /// request's edits, so a credential that is not there yet is added the same way
    /// ([`Exchange::take_pending`](super::Exchange::take_pending)).
    pub edits: RequestEdits,
    /// Timeout, milliseconds.
    pub timeout_ms: u32,
}

impl std::fmt::Debug for HostCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The headers carry the credential.
        write!(f, "HostCall({} {})", self.method, self.edits.target.path)
    }
}

impl HostCall {
    /// All headers for `dispatch_http_call` of `edits` (this call's, or the same with the
    /// credential added): the pseudo-headers, then the others (`host` is `:authority`).
    pub fn dispatch_headers(&self, edits: &RequestEdits) -> Vec<(String, String)> {
        let mut h = vec![
            (":method".to_string(), self.method.to_string()),
            (":path".to_string(), edits.path_and_query()),
            (":authority".to_string(), edits.target.authority()),
            (
                ":scheme".to_string(),
                edits.target.scheme.as_str().to_string(),
            ),
        ];
        h.extend(
            edits
                .set_headers
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("host"))
                .cloned(),
        );
        h
    }

    /// A dispatch the host refused at once (Envoy: no cluster of that name), as an answer
    /// that never came.
    pub fn refused(&self, target: &str, reason: &str) -> CallAnswer {
        CallAnswer {
            status: None,
            failure: Some(format!(
                "the host refused the call ({reason}); on Envoy a cluster of that name must exist"
            )),
            target: target.to_string(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

/// The answer to a [`HostCall`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallAnswer {
    /// HTTP status, `None` when there was no answer (reset, timeout, unknown cluster).
    pub status: Option<u16>,
    /// Why there was no answer (the host's reason), when it says.
    pub failure: Option<String>,
    /// Where the call went (cluster or `host:port`).
    pub target: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// Header changes on the response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseHeadEdits {
    /// Headers to set.
    pub set_headers: Vec<(String, String)>,
    /// Headers to remove.
    pub remove_headers: Vec<String>,
}

/// The outcome of a response body chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BodyStep {
    /// Replace this chunk with these bytes (`None` = leave the chunk as it is).
    pub replace: Option<Vec<u8>>,
    /// Change the status (only possible where the host still holds the headers).
    pub status: Option<u16>,
    /// The final body length, when the whole body is known (for `content-length`).
    pub content_length: Option<usize>,
    /// The response is complete (analytics are ready).
    pub done: bool,
}
