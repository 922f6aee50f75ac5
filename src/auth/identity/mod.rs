//! Cloud identity: tokens and temporary keys fetched from a token endpoint, host-free.
//!
//! The filter cannot hold long-lived secrets for Vertex, Azure managed identity or an assumed
//! AWS role: it asks a token endpoint (docs/cloud-identity.md). Everything that decides lives
//! here and is tested natively:
//!
//! - [`IdentitySpec`]: which flow a config asks for (built once, at configure time);
//! - [`flow::Flow`]: the HTTP calls of one fetch (request building, answer parsing, the
//!   multi-step IMDSv2 and assume-role chains), as plain data;
//! - [`jwt`]: the RS256-signed service-account assertion for Google's token exchange;
//! - [`cache::TokenCache`]: the root context's cache (one fetch in flight per credential,
//!   waiters, expiry, refresh before expiry, timeouts).
//!
//! The shell (`src/filter/identity.rs`) only dispatches the calls, pauses and resumes requests.
//! Secrets never appear in `Debug` output, logs or error texts.

pub mod cache;
pub mod flow;
pub mod jwt;
mod parse;

use std::fmt;

use crate::config::schema::{AuthConfig, RawConfig};
use crate::config::{ConfigError, ProviderName};
use crate::upstream::UpstreamTarget;

/// Scope of Azure OpenAI / Cognitive Services tokens (Entra v2 endpoint).
pub const AZURE_SCOPE: &str = "https://cognitiveservices.azure.com/.default";
/// Resource of Azure OpenAI / Cognitive Services tokens (managed identity endpoints).
pub const AZURE_RESOURCE: &str = "https://cognitiveservices.azure.com/";
/// Scope of Vertex AI tokens.
pub const GCP_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// Google's OAuth 2.0 token endpoint (used when the key file names none).
pub const GCP_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
/// The GCE/GKE metadata server's token endpoint for the default service account.
pub const GCP_METADATA_URL: &str =
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token";
/// Azure's instance metadata service (IMDS) token endpoint.
pub const AZURE_IMDS_URL: &str = "http://169.254.169.254/metadata/identity/oauth2/token";
/// Entra ID (Azure AD) authority.
pub const AZURE_AUTHORITY: &str = "https://login.microsoftonline.com";
/// EC2 instance metadata service (IMDSv2).
pub const AWS_IMDS_URL: &str = "http://169.254.169.254";
/// Default dispatch timeout of one token call.
pub const DEFAULT_TIMEOUT_MS: u32 = 10_000;

/// A credential fetched from a token endpoint. `Debug` never shows a secret.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// An OAuth 2.0 access token (GCP, Azure): `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: String,
        /// Unix seconds after which it is no longer valid.
        expires_at: u64,
    },
    /// Temporary AWS keys (STS, container or instance metadata).
    Aws(AwsKeys),
}

/// AWS keys with their expiry.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsKeys {
    /// Access key id (not a secret: it appears in the `Authorization` header).
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token of temporary keys.
    pub session_token: Option<String>,
    /// Unix seconds of expiry (`u64::MAX` for keys that do not expire).
    pub expires_at: u64,
}

impl Credential {
    /// Unix seconds after which the credential is no longer valid.
    pub fn expires_at(&self) -> u64 {
        match self {
            Credential::Bearer { expires_at, .. } => *expires_at,
            Credential::Aws(k) => k.expires_at,
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Bearer { expires_at, .. } => f
                .debug_struct("Bearer")
                .field("token", &"<redacted>")
                .field("expires_at", expires_at)
                .finish(),
            Credential::Aws(k) => k.fmt(f),
        }
    }
}

impl fmt::Debug for AwsKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsKeys")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Where a token call goes: the dispatch target (Envoy cluster name, or Kong `host:port`) and
/// the URL it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Envoy: the cluster to dispatch to (default: the URL's host name).
    pub cluster: String,
    /// Kong: `host:port` to dispatch to (default: from the URL; a configured cluster wins).
    pub upstream: String,
    /// The URL (scheme, authority, path, query).
    pub url: UpstreamTarget,
}

impl Endpoint {
    /// From a URL and an optional configured cluster / upstream name.
    pub fn new(url: &str, cluster: Option<&str>, field: &str) -> Result<Endpoint, ConfigError> {
        let target = UpstreamTarget::from_url(url)
            .ok_or_else(|| ConfigError::new(field, format!("not a valid http(s) URL: {url}")))?;
        let (cluster, upstream) = dispatch_targets(&target, cluster);
        Ok(Endpoint {
            cluster,
            upstream,
            url: target,
        })
    }

    /// What names this endpoint in errors and logs: the URL without its query.
    pub fn describe(&self) -> String {
        format!(
            "{}://{}{}",
            self.url.scheme.as_str(),
            self.url.authority(),
            self.url.path
        )
    }
}

/// Where the filter's own calls to `target` go: the Envoy cluster (the configured name, or the
/// target's host name) and the Kong `host:port` (the configured name, or the target's).
pub fn dispatch_targets(target: &UpstreamTarget, configured: Option<&str>) -> (String, String) {
    let configured = configured.map(str::trim).filter(|c| !c.is_empty());
    (
        configured.unwrap_or(&target.host).to_string(),
        configured
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}:{}", target.host, target.port)),
    )
}

/// Which flow a config asks for.
#[derive(Clone)]
pub enum Source {
    /// GCP: a service-account key → RS256 JWT → OAuth 2.0 token exchange.
    GcpServiceAccount {
        /// The key and its email.
        key: Box<jwt::ServiceAccount>,
        /// The token endpoint (`token_uri` of the key, or `gcp_oauth_token_url`).
        endpoint: Endpoint,
    },
    /// GCP: the metadata server's token for the workload's service account.
    GcpMetadata {
        /// The token endpoint.
        endpoint: Endpoint,
    },
    /// Azure managed identity through IMDS (`Metadata: true`).
    AzureImds {
        /// The IMDS token endpoint.
        endpoint: Endpoint,
        /// User-assigned identity (`client_id`).
        client_id: Option<String>,
    },
    /// Azure App Service / Functions managed identity (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`).
    AzureAppService {
        /// `IDENTITY_ENDPOINT`.
        endpoint: Endpoint,
        /// `IDENTITY_HEADER`, sent as `X-IDENTITY-HEADER`.
        header: String,
        /// User-assigned identity (`client_id`).
        client_id: Option<String>,
    },
    /// Azure app registration: Entra client-credentials grant.
    AzureClientCredentials {
        /// `{authority}/{tenant}/oauth2/v2.0/token`.
        endpoint: Endpoint,
        /// Application (client) id.
        client_id: String,
        /// Client secret.
        client_secret: String,
    },
    /// AWS: base keys from somewhere, then optionally an assumed role.
    Aws(AwsChain),
    /// A flow whose settings cannot work (e.g. a key file that is not one). Accepted at
    /// configure time, as Kong accepts it, with a warning; every request gets a 500 naming the
    /// field (Kong: `LLM request failed before proxying`).
    Broken {
        /// The flow's name.
        kind: &'static str,
        /// Field and reason (never a value).
        reason: String,
    },
}

/// The AWS credential chain of one config.
#[derive(Clone)]
pub struct AwsChain {
    /// Where the first keys come from.
    pub base: AwsBase,
    /// `bedrock.aws_assume_role_arn`, with the STS endpoint.
    pub assume_role: Option<AssumeRole>,
    /// Region for STS signing.
    pub region: String,
}

/// Where the first AWS keys come from.
#[derive(Clone)]
pub enum AwsBase {
    /// `auth.aws_access_key_id` / `aws_secret_access_key` (/ `aws_session_token`).
    Static(AwsKeys),
    /// `AssumeRoleWithWebIdentity` with a token carried in the config (EKS IRSA, any OIDC).
    WebIdentity {
        /// The OIDC token.
        token: String,
    },
    /// ECS/EKS container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI` equivalent).
    Container {
        /// The credentials URL.
        endpoint: Endpoint,
        /// `AWS_CONTAINER_AUTHORIZATION_TOKEN` equivalent, sent as `Authorization`.
        authorization: Option<String>,
    },
    /// EC2 instance metadata (IMDSv2: session token PUT, role name, keys).
    Imds {
        /// The IMDS base URL.
        endpoint: Endpoint,
    },
}

/// STS `AssumeRole` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRole {
    /// Role ARN.
    pub role_arn: String,
    /// Session name.
    pub session_name: String,
    /// The STS endpoint.
    pub endpoint: Endpoint,
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind())
    }
}

impl fmt::Debug for AwsChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsChain")
            .field("base", &self.base.kind())
            .field("assume_role", &self.assume_role)
            .field("region", &self.region)
            .finish()
    }
}

impl AwsBase {
    fn kind(&self) -> &'static str {
        match self {
            AwsBase::Static(_) => "static keys",
            AwsBase::WebIdentity { .. } => "web identity",
            AwsBase::Container { .. } => "container credentials",
            AwsBase::Imds { .. } => "instance metadata (IMDSv2)",
        }
    }
}

impl Source {
    /// A short name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::GcpServiceAccount { .. } => "GCP service account",
            Source::GcpMetadata { .. } => "GCP metadata server",
            Source::AzureImds { .. } => "Azure managed identity (IMDS)",
            Source::AzureAppService { .. } => "Azure managed identity (App Service)",
            Source::AzureClientCredentials { .. } => "Azure Entra client credentials",
            Source::Aws(c) if c.assume_role.is_some() => "AWS assumed role",
            Source::Aws(c) => c.base.kind(),
            Source::Broken { kind, .. } => kind,
        }
    }

    /// Every secret this source holds, to scrub from any text that leaves the filter.
    pub fn secrets(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        match self {
            Source::GcpServiceAccount { key, .. } => out.push(key.private_key_pem.as_str()),
            Source::AzureAppService { header, .. } => out.push(header),
            Source::AzureClientCredentials { client_secret, .. } => out.push(client_secret),
            Source::Aws(c) => match &c.base {
                AwsBase::Static(k) => {
                    out.push(&k.secret_access_key);
                    if let Some(t) = &k.session_token {
                        out.push(t);
                    }
                }
                AwsBase::WebIdentity { token } => out.push(token),
                AwsBase::Container {
                    authorization: Some(a),
                    ..
                } => out.push(a),
                _ => {}
            },
            _ => {}
        }
        out.retain(|s| s.len() >= 4);
        out
    }
}

/// The identity flow of a config, with its call timeout.
#[derive(Debug, Clone)]
pub struct IdentitySpec {
    /// The flow.
    pub source: Source,
    /// Timeout of one token call, milliseconds.
    pub timeout_ms: u32,
}

/// A failed fetch: a message naming the endpoint and what went wrong, never a secret, and the
/// status the waiting requests get: 502 when the endpoint answered an error or something
/// unusable, 503 when it did not answer (refused, reset, timeout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityError {
    /// What went wrong.
    pub message: String,
    /// 502 or 503.
    pub status: u16,
}

impl IdentityError {
    /// The endpoint answered, but not with a credential (or the request could not be built).
    pub fn bad(message: impl Into<String>) -> IdentityError {
        IdentityError {
            message: message.into(),
            status: 502,
        }
    }

    /// The config cannot work (500, as Kong answers a failed identity).
    pub fn config(message: impl Into<String>) -> IdentityError {
        IdentityError {
            message: message.into(),
            status: 500,
        }
    }

    /// The endpoint did not answer.
    pub fn unreachable(message: impl Into<String>) -> IdentityError {
        IdentityError {
            message: message.into(),
            status: 503,
        }
    }
}

impl fmt::Display for IdentityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn field_err(path: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::new(path, message)
}

impl IdentitySpec {
    /// The flow a config asks for, or `None` when its credentials are static (or absent).
    /// Refuses what cannot work (bad key JSON, a missing role ARN for a web identity, …) with
    /// the field's path.
    pub fn from_config(raw: &RawConfig) -> Result<Option<IdentitySpec>, ConfigError> {
        let auth = raw.auth.clone().unwrap_or_default();
        let timeout_ms = auth
            .identity_timeout_ms
            .map(|t| t.clamp(1, 600_000) as u32)
            .unwrap_or(DEFAULT_TIMEOUT_MS);
        let source = match raw.model.provider {
            ProviderName::Gemini => gcp_source(&auth)?,
            ProviderName::Azure => azure_source(&auth)?,
            ProviderName::Bedrock => aws_source(raw, &auth)?,
            _ => None,
        };
        Ok(source.map(|source| IdentitySpec { source, timeout_ms }))
    }

    /// A configure-time note when the flow cannot work (accepted, as Kong accepts it).
    pub fn warning(&self) -> Option<String> {
        match &self.source {
            Source::Broken { kind, reason } => Some(format!(
                "{kind}: {reason}: every request will get 500 'LLM request failed before proxying'"
            )),
            _ => None,
        }
    }
}

fn gcp_source(auth: &AuthConfig) -> Result<Option<Source>, ConfigError> {
    if !auth.gcp_use_service_account {
        return Ok(None);
    }
    let cluster = set(&auth.gcp_token_cluster);
    if let Some(json) = set(&auth.gcp_service_account_json) {
        let key = match jwt::ServiceAccount::from_json(json) {
            Ok(k) => k,
            Err(e) => {
                return Ok(Some(Source::Broken {
                    kind: "GCP service account",
                    reason: format!("auth.gcp_service_account_json: {e}"),
                }))
            }
        };
        let url = set(&auth.gcp_oauth_token_url)
            .map(str::to_string)
            .or_else(|| key.token_uri.clone())
            .unwrap_or_else(|| GCP_TOKEN_URL.to_string());
        let endpoint = Endpoint::new(&url, cluster, "auth.gcp_oauth_token_url")?;
        return Ok(Some(Source::GcpServiceAccount {
            key: Box::new(key),
            endpoint,
        }));
    }
    let url = set(&auth.gcp_metadata_url).unwrap_or(GCP_METADATA_URL);
    let mut endpoint = Endpoint::new(url, cluster, "auth.gcp_metadata_url")?;
    if endpoint.url.path == "/" {
        // A bare base URL (`http://metadata.google.internal`) gets the token path.
        if let Some(default) = UpstreamTarget::from_url(GCP_METADATA_URL) {
            endpoint.url.path = default.path;
        }
    }
    Ok(Some(Source::GcpMetadata { endpoint }))
}

fn azure_source(auth: &AuthConfig) -> Result<Option<Source>, ConfigError> {
    if !auth.azure_use_managed_identity {
        return Ok(None);
    }
    let cluster = set(&auth.azure_token_cluster);
    let client_id = set(&auth.azure_client_id).map(str::to_string);
    if let (Some(id), Some(secret), Some(tenant)) = (
        client_id.as_deref(),
        set(&auth.azure_client_secret),
        set(&auth.azure_tenant_id),
    ) {
        let authority = set(&auth.azure_authority_url).unwrap_or(AZURE_AUTHORITY);
        // The tenant is a path segment: encoded, so it cannot change the path.
        let url = format!(
            "{}/{}/oauth2/v2.0/token",
            authority.trim_end_matches('/'),
            crate::auth::encode_query_value(tenant)
        );
        let endpoint = Endpoint::new(&url, cluster, "auth.azure_authority_url")?;
        return Ok(Some(Source::AzureClientCredentials {
            endpoint,
            client_id: id.to_string(),
            client_secret: secret.to_string(),
        }));
    }
    if let Some(header) = set(&auth.azure_identity_header) {
        let Some(url) = set(&auth.azure_identity_endpoint) else {
            return Err(field_err(
                "auth.azure_identity_endpoint",
                "required with auth.azure_identity_header (App Service IDENTITY_ENDPOINT)",
            ));
        };
        let endpoint = Endpoint::new(url, cluster, "auth.azure_identity_endpoint")?;
        return Ok(Some(Source::AzureAppService {
            endpoint,
            header: header.to_string(),
            client_id,
        }));
    }
    let url = set(&auth.azure_identity_endpoint).unwrap_or(AZURE_IMDS_URL);
    let endpoint = Endpoint::new(url, cluster, "auth.azure_identity_endpoint")?;
    Ok(Some(Source::AzureImds {
        endpoint,
        client_id,
    }))
}

fn aws_source(raw: &RawConfig, auth: &AuthConfig) -> Result<Option<Source>, ConfigError> {
    let bedrock = raw
        .model
        .options
        .as_ref()
        .and_then(|o| o.bedrock.clone())
        .unwrap_or_default();
    let region = set(&bedrock.aws_region).unwrap_or_default().to_string();
    let role_arn = set(&bedrock.aws_assume_role_arn);
    let static_keys = match (
        set(&auth.aws_access_key_id),
        set(&auth.aws_secret_access_key),
    ) {
        (Some(id), Some(secret)) => Some(AwsKeys {
            access_key_id: id.to_string(),
            secret_access_key: secret.to_string(),
            session_token: set(&auth.aws_session_token).map(str::to_string),
            expires_at: u64::MAX,
        }),
        _ => None,
    };
    let creds_cluster = set(&auth.aws_credentials_cluster);
    let base = if let Some(keys) = static_keys {
        AwsBase::Static(keys)
    } else if let Some(token) = set(&auth.aws_web_identity_token) {
        if role_arn.is_none() {
            return Err(field_err(
                "model.options.bedrock.aws_assume_role_arn",
                "required with auth.aws_web_identity_token (AssumeRoleWithWebIdentity)",
            ));
        }
        AwsBase::WebIdentity {
            token: token.to_string(),
        }
    } else if let Some(url) = set(&auth.aws_container_credentials_url) {
        AwsBase::Container {
            endpoint: Endpoint::new(url, creds_cluster, "auth.aws_container_credentials_url")?,
            authorization: set(&auth.aws_container_authorization_token).map(str::to_string),
        }
    } else if auth.aws_use_instance_metadata {
        let url = set(&auth.aws_imds_url).unwrap_or(AWS_IMDS_URL);
        AwsBase::Imds {
            endpoint: Endpoint::new(url, creds_cluster, "auth.aws_imds_url")?,
        }
    } else if role_arn.is_some() {
        return Err(field_err(
            "model.options.bedrock.aws_assume_role_arn",
            "needs first credentials to assume the role with: auth.aws_access_key_id/aws_secret_access_key, auth.aws_web_identity_token, auth.aws_container_credentials_url or auth.aws_use_instance_metadata",
        ));
    } else {
        return Ok(None);
    };
    let assume_role = match role_arn {
        Some(arn) => {
            let url = match set(&bedrock.aws_sts_endpoint_url) {
                Some(u) => u.to_string(),
                None if region.is_empty() => "https://sts.amazonaws.com/".to_string(),
                None => format!("https://sts.{region}.amazonaws.com/"),
            };
            let session_name = set(&bedrock.aws_role_session_name)
                .unwrap_or("kong-ai-proxy")
                .to_string();
            Some(AssumeRole {
                role_arn: arn.to_string(),
                session_name,
                endpoint: Endpoint::new(
                    &url,
                    set(&auth.aws_sts_cluster),
                    "model.options.bedrock.aws_sts_endpoint_url",
                )?,
            })
        }
        None => None,
    };
    if matches!(base, AwsBase::Static(_)) && assume_role.is_none() {
        return Ok(None); // signed with the static keys, as before
    }
    Ok(Some(Source::Aws(AwsChain {
        base,
        assume_role,
        region,
    })))
}
