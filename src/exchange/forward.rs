//! Building the upstream request: where it goes (provider default, `upstream_url`,
//! `upstream_path`, preserve's client path) and what it carries (query, auth, the encoded
//! body, SigV4) — docs/kong-compatibility.md §7 and §8.

use serde_json::Value;

use super::effects::RequestEdits;
use super::{anthropic, native, Exchange, PendingAuth};
use crate::api::{LlmRequest, RouteType};
use crate::auth;
use crate::error::ProxyError;
use crate::providers::{Credentials, Encoded, Outgoing, RequestCtx, UpstreamTarget};
use crate::upstream::parse_query;

/// The body the upstream request carries.
pub(crate) enum Outbound<'a> {
    /// The client's, unchanged (streamed through by the host or already held); the bytes when
    /// the body has come (a signature covers them).
    Client(&'a [u8]),
    /// The parsed request, encoded by the provider.
    Translate(&'a LlmRequest, Value),
    /// A body encoded already (route types translated outside the providers, `crate::routes`).
    Encoded(Encoded),
}

impl Exchange {
    /// The upstream target: provider default, then `upstream_url`, then `upstream_path`,
    /// then preserve's client path (docs/kong-compatibility.md §8).
    pub(crate) fn target(
        &self,
        ctx: Option<&RequestCtx<'_>>,
    ) -> Result<UpstreamTarget, ProxyError> {
        let model = self.model.clone().unwrap_or_default();
        let fallback;
        let ctx = match ctx {
            Some(c) => c,
            None => {
                fallback = RequestCtx {
                    route: self.route,
                    model: &model,
                    options: &self.options,
                    stream: self.stream,
                    client_path: &self.client.path,
                    env: self.env.as_ref(),
                    body_len: self.body_len,
                };
                &fallback
            }
        };
        let provider_target = self.provider.upstream(ctx);
        let mut target = match self.options.upstream_url.as_deref() {
            Some(url) => {
                let mut t = UpstreamTarget::from_url(url).ok_or_else(|| {
                    ProxyError::Internal(format!("invalid model.options.upstream_url {url}"))
                })?;
                // A bare base URL gets the provider's operation path (what users expect from
                // `http://vllm:8000`); a URL with a path is used as is (Kong).
                if t.path == "/" {
                    if let Ok(p) = &provider_target {
                        t.path = p.path.clone();
                        for q in &p.query {
                            t.query.push(q.clone());
                        }
                    }
                }
                t
            }
            None => provider_target?,
        };
        if let Some(p) = self.options.upstream_path.as_deref() {
            target.path = normalize_path(p);
        } else if self.native {
            // The client's native path, from the API's own prefix on (a gateway route prefix
            // such as `/gemini` is dropped); the client's own query is kept by `forward`.
            target.path = native::upstream_path(self.cfg.raw.llm_format, &self.client.path);
            target.query.clear();
        } else if self.route == RouteType::Preserve {
            target.path = normalize_path(&self.client.path);
        }
        Ok(target)
    }

    /// What a provider reads of the exchange to build the upstream request.
    pub(crate) fn request_ctx<'a>(&'a self, model: &'a str) -> RequestCtx<'a> {
        RequestCtx {
            route: self.route,
            model,
            options: &self.options,
            stream: self.stream,
            client_path: &self.client.path,
            env: self.env.as_ref(),
            body_len: self.body_len,
        }
    }

    /// Builds the upstream request: target, query, auth, encoded body, signature.
    pub(crate) fn forward(&mut self, out: Outbound<'_>) -> Result<RequestEdits, ProxyError> {
        let model = self.model.clone().unwrap_or_default();
        let ctx = self.request_ctx(&model);
        let mut target = self.target(Some(&ctx))?;
        let auth_cfg = self.cfg.raw.auth.clone().unwrap_or_default();
        let signs = self.cfg.provider() == crate::config::ProviderName::Bedrock;

        // Query: the client's args, then the provider's (a client value wins for the same
        // name, as with Azure's api-version), then the auth param.
        let mut query: Vec<(String, String)> = parse_query(&self.client.query);
        for (k, v) in std::mem::take(&mut target.query) {
            if !query.iter().any(|(n, _)| *n == k) {
                query.push((k, v));
            }
        }
        auth::drop_foreign_query_keys(&auth_cfg, &mut query);
        if !signs {
            auth::apply_query(&auth_cfg, &mut query);
        }
        target.query = query;

        let mut set_headers: Vec<(String, String)> = Vec::new();
        let mut remove_headers: Vec<String> = Vec::new();
        let mut body = None;
        let mut client_bytes: &[u8] = &[];
        let encoded = match out {
            Outbound::Client(bytes) => {
                client_bytes = bytes;
                None
            }
            Outbound::Translate(typed, raw) => Some(self.provider.encode(typed, raw, &ctx)?),
            Outbound::Encoded(enc) => Some(enc),
        };
        let client_body = encoded.is_none();
        if let Some(enc) = encoded {
            let mut bytes = enc.body;
            if self.ingress {
                anthropic::request::apply_hints(self.cfg.provider(), &self.hints, &mut bytes);
            }
            if self.count_tokens {
                let vertex = crate::providers::gemini::vertex(&self.options).is_some();
                bytes = anthropic::count_tokens::request_body(
                    self.cfg.provider(),
                    vertex,
                    &model,
                    &bytes,
                )?;
                target.path = anthropic::count_tokens::upstream_path(&target.path);
            }
            if !signs {
                auth::apply_body(&auth_cfg, &mut bytes);
            }
            set_headers.push(("content-type".into(), "application/json".into()));
            set_headers.extend(enc.headers);
            body = Some(bytes);
            // We read every answer: keep brotli & co out, and ask for plain streams.
            let enc = if self.stream {
                "identity"
            } else {
                "gzip, identity"
            };
            set_headers.push(("accept-encoding".into(), enc.into()));
        }
        if client_body {
            set_headers.extend(self.provider.fixed_headers(&ctx));
        }
        if !signs {
            if let Some(h) = auth::header(&auth_cfg, |n| self.client.header(n).is_some()) {
                set_headers.push(h);
            }
        }
        remove_headers.extend(auth::foreign_key_headers(&auth_cfg));
        let identity = self.identity_required;
        // Work left for when the identity's credential arrives (set once `ctx` is done with).
        let mut pending = None;
        if identity && !signs {
            // Cloud identity (GCP, Azure): the fetched token, or later when there is none yet.
            match &self.identity {
                Some(crate::auth::identity::Credential::Bearer { token, .. }) => {
                    set_headers.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
                    set_headers.push(("authorization".into(), format!("Bearer {token}")));
                }
                _ => pending = Some(PendingAuth::Bearer),
            }
        }
        if self.ingress {
            // Anthropic's own headers (and the client's Anthropic key) stay here, unless the
            // config itself sets one of them as the provider's auth header.
            for h in anthropic::CLIENT_ONLY_HEADERS {
                if !set_headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(h)) {
                    remove_headers.push((*h).to_string());
                }
            }
        }
        set_headers.push(("host".into(), target.authority()));

        if signs {
            let fetched = match &self.identity {
                Some(crate::auth::identity::Credential::Aws(k)) => Some(k),
                _ => None,
            };
            let creds = match fetched {
                Some(k) => Credentials {
                    aws_access_key_id: Some(&k.access_key_id),
                    aws_secret_access_key: Some(&k.secret_access_key),
                    aws_session_token: k.session_token.as_deref(),
                },
                None => Credentials {
                    aws_access_key_id: auth_cfg.aws_access_key_id.as_deref(),
                    aws_secret_access_key: auth_cfg.aws_secret_access_key.as_deref(),
                    aws_session_token: auth_cfg.aws_session_token.as_deref(),
                },
            };
            // Client credentials must not leak upstream next to the signature.
            if !remove_headers.iter().any(|h| h == "authorization") {
                remove_headers.push("authorization".into());
            }
            let sent_body: &[u8] = body.as_deref().unwrap_or(client_bytes);
            let out = Outgoing {
                method: if self.client.method.is_empty() {
                    "POST"
                } else {
                    &self.client.method
                },
                target: &target,
                headers: &set_headers,
                body: sent_body,
            };
            if identity && fetched.is_none() {
                // Signed once the identity's keys arrive (the shell keeps the pending work).
                pending = Some(PendingAuth::Sign {
                    provider: self.provider,
                    method: out.method.to_string(),
                    body: sent_body.to_vec(),
                    route: self.route,
                    model: model.clone(),
                    options: Box::new(self.options.clone()),
                    stream: self.stream,
                    client_path: self.client.path.clone(),
                });
            } else {
                let signed = self.provider.sign(&out, &creds, &ctx)?;
                set_headers.extend(signed);
            }
        }
        // One spelling for every header name (HTTP/2 upstreams require lowercase anyway).
        for (name, _) in &mut set_headers {
            name.make_ascii_lowercase();
        }
        if pending.is_some() {
            self.pending = pending;
        }
        Ok(RequestEdits {
            target,
            set_headers,
            remove_headers,
            body,
        })
    }
}

fn normalize_path(p: &str) -> String {
    let trimmed = p.trim_start_matches('/');
    format!("/{trimmed}")
}
