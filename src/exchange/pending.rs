//! A request waiting for its cloud identity credential: everything needed to finish it once
//! the credential arrives, as plain data. The shell keeps it with the token cache's waiter
//! (`auth::identity::cache`) and, when the credential arrives, asks it for the final edits —
//! possibly from another request's callback, so it cannot refer to its [`Exchange`](super::Exchange).

use crate::api::RouteType;
use crate::auth::identity::{Credential, IdentityError};
use crate::config::{LlmFormat, ModelOptions};
use crate::env::FixedEnv;
use crate::error::ProxyError;
use crate::providers::{Credentials, Outgoing, Provider, RequestCtx};

use super::effects::{LocalReply, RequestEdits};

/// How the credential goes onto the request.
#[derive(Clone)]
pub enum PendingAuth {
    /// `Authorization: Bearer <token>` (GCP, Azure).
    Bearer,
    /// The provider's signature over the final request (Bedrock, SigV4 with a session token).
    Sign {
        /// The signing provider.
        provider: &'static dyn Provider,
        /// Method as sent.
        method: String,
        /// Body as sent.
        body: Vec<u8>,
        /// Route.
        route: RouteType,
        /// Model.
        model: String,
        /// Options (region).
        options: Box<ModelOptions>,
        /// Upstream stream flag.
        stream: bool,
        /// Client path.
        client_path: String,
    },
}

impl std::fmt::Debug for PendingAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PendingAuth::Bearer => f.write_str("Bearer"),
            PendingAuth::Sign { method, .. } => write!(f, "Sign({method})"),
        }
    }
}

/// The request's pending work.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    /// The edits computed without the credential. The body, if any, was already written by
    /// the shell in the body step (a body can only be written there on Envoy).
    pub edits: RequestEdits,
    /// How the credential is applied.
    pub auth: PendingAuth,
    /// The client's format, for error replies.
    pub format: LlmFormat,
}

impl PendingRequest {
    /// The final edits with the credential applied, or the reply for a failure.
    pub fn finish(&self, cred: &Credential, now_unix: u64) -> Result<RequestEdits, LocalReply> {
        let mut edits = self.edits.clone();
        let headers = authorize(&self.auth, &edits, cred, now_unix).map_err(|e| self.reply(&e))?;
        for (k, v) in headers {
            let k = k.to_ascii_lowercase();
            edits.set_headers.retain(|(n, _)| *n != k);
            edits.set_headers.push((k, v));
        }
        Ok(edits)
    }

    /// The reply for a failed fetch.
    pub fn failed(&self, e: &IdentityError) -> LocalReply {
        failure_reply(e, self.format)
    }

    fn reply(&self, e: &ProxyError) -> LocalReply {
        LocalReply {
            status: e.status(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: e.body(self.format),
        }
    }
}

/// The reply for a failed fetch, in the client's format: 502/503 with Kong's text and the
/// endpoint's reason.
pub fn failure_reply(e: &IdentityError, format: LlmFormat) -> LocalReply {
    let err = ProxyError::Identity {
        status: e.status,
        reason: e.message.clone(),
    };
    LocalReply {
        status: err.status(),
        headers: vec![("content-type".into(), "application/json".into())],
        body: err.body(format),
    }
}

/// The headers that carry `cred` for a request built as `edits`.
pub(crate) fn authorize(
    auth: &PendingAuth,
    edits: &RequestEdits,
    cred: &Credential,
    now_unix: u64,
) -> Result<Vec<(String, String)>, ProxyError> {
    match (auth, cred) {
        (PendingAuth::Bearer, Credential::Bearer { token, .. }) => Ok(vec![(
            "authorization".to_string(),
            format!("Bearer {token}"),
        )]),
        (
            PendingAuth::Sign {
                provider,
                method,
                body,
                route,
                model,
                options,
                stream,
                client_path,
            },
            Credential::Aws(keys),
        ) => {
            let env = FixedEnv {
                now: now_unix,
                id: String::new(),
            };
            let ctx = RequestCtx {
                route: *route,
                model,
                options,
                stream: *stream,
                client_path,
                env: &env,
                body_len: 0,
            };
            let out = Outgoing {
                method,
                target: &edits.target,
                headers: &edits.set_headers,
                body,
            };
            let creds = Credentials {
                aws_access_key_id: Some(&keys.access_key_id),
                aws_secret_access_key: Some(&keys.secret_access_key),
                aws_session_token: keys.session_token.as_deref(),
            };
            provider.sign(&out, &creds, &ctx)
        }
        _ => Err(ProxyError::Identity {
            status: 502,
            reason: "the identity endpoint gave a credential of the wrong kind".into(),
        }),
    }
}
