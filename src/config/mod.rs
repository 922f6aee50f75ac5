//! The filter config: Kong's `ai-proxy` config as JSON, parsed and validated once in
//! `on_configure` (kong-ai-proxy.md §2), then shared read-only by every request.

pub mod schema;
pub mod template;
pub mod validate;

use std::fmt;

pub use schema::{
    LlmFormat, ModelOptions, ParamLocation, ProviderName, RawConfig, ResponseStreaming,
};
pub use template::{RequestView, Template};

use crate::error::ProxyError;

/// A refused config: the field path (`model.options.temperature`) and Kong's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted field path, empty for entity-level checks.
    pub path: String,
    /// Human-readable reason (Kong's exact text for entity checks).
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A validated config.
#[derive(Debug, Clone)]
pub struct Config {
    /// The config as given (defaults filled in).
    pub raw: RawConfig,
    /// `model.name` as a template (`None` when unset).
    pub model_name: Option<Template>,
    /// Whether any string under `model.options` holds a placeholder.
    pub options_templated: bool,
    /// Compiled `uri_captures` regex (extension).
    pub uri_captures: Option<regex_lite::Regex>,
}

/// The model for one request: templates resolved against that request.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedModel {
    /// `model.name` after templating.
    pub name: Option<String>,
    /// `model.options` after templating (defaults when unset).
    pub options: ModelOptions,
}

impl Config {
    /// Parses and validates a config. The error names the field and gives Kong's text.
    pub fn parse(bytes: &[u8]) -> Result<Config, ConfigError> {
        let raw = validate::parse_raw(bytes)?;
        validate::check(&raw)?;
        let model_name = match raw.model.name.as_deref() {
            Some(n) => Some(Template::parse(n).map_err(|message| ConfigError {
                path: "model.name".into(),
                message,
            })?),
            None => None,
        };
        let options_templated = raw
            .model
            .options
            .as_ref()
            .map(template::options_have_placeholders)
            .unwrap_or(false);
        let uri_captures = match raw.uri_captures.as_deref() {
            Some(re) => Some(regex_lite::Regex::new(re).map_err(|e| ConfigError {
                path: "uri_captures".into(),
                message: format!("invalid regex: {e}"),
            })?),
            None => None,
        };
        Ok(Config {
            raw,
            model_name,
            options_templated,
            uri_captures,
        })
    }

    /// The provider (never templated: kong-ai-proxy.md §6).
    pub fn provider(&self) -> ProviderName {
        self.raw.model.provider
    }

    /// Resolves `model.name` and `model.options` for one request (kong-ai-proxy.md §6).
    pub fn resolve_model(&self, req: &RequestView<'_>) -> Result<ResolvedModel, ProxyError> {
        let name = match &self.model_name {
            Some(t) => Some(t.render(req)?),
            None => None,
        };
        let options = match &self.raw.model.options {
            Some(o) if self.options_templated => template::render_options(o, req)?,
            Some(o) => o.clone(),
            None => ModelOptions {
                azure_api_version: Some("2023-05-15".into()),
                ..ModelOptions::default()
            },
        };
        Ok(ResolvedModel { name, options })
    }
}
