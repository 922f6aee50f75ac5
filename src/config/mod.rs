//! The filter config: Kong's `ai-proxy` config as JSON, parsed and validated once in
//! `on_configure` (docs/kong-compatibility.md §2), then shared read-only by every request.
//!
//! Steps: JSON → structural check against the JSON Schema (`shape`, field-path refusals) →
//! typed mirror (`schema`) → Kong's entity checks (`validate`) → templates parsed (`template`).
//! Per request, [`Config::resolve_model`] renders the templates into a copy.

pub mod options;
pub mod schema;
pub mod shape;
pub mod template;
pub mod validate;

use std::fmt;

pub use schema::{
    LlmFormat, ModelOptions, ParamLocation, ProviderName, RawConfig, ResponseStreaming,
};
pub use template::{OptionTemplates, RequestView, Template};

use crate::api::RouteType;
use crate::error::ProxyError;

/// A refused config: the field path (`model.options.temperature`) and Kong's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted field path (`[i]` for array entries), empty for entity-level checks.
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
    /// The templated strings under `model.options`, parsed once.
    pub option_templates: OptionTemplates,
    /// Compiled `uri_captures` regex (extension).
    pub uri_captures: Option<regex_lite::Regex>,
    /// Things that are accepted (as Kong accepts them) but will fail or surprise on requests,
    /// for the shell to log once: malformed placeholders, unknown sources, captures that the
    /// `uri_captures` regex does not define, deprecated fields.
    pub warnings: Vec<String>,
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
        let mut raw = validate::parse_raw(bytes)?;
        validate::check(&raw)?;
        let uri_captures = match raw.uri_captures.as_deref() {
            Some(re) => Some(validate::compile_uri_captures(re)?),
            None => None,
        };
        let model_name = raw.model.name.as_deref().map(Template::parse);
        let option_templates = match raw.model.options.as_mut() {
            Some(o) => OptionTemplates::scan(o),
            None => OptionTemplates::default(),
        };
        let warnings = warnings(&raw, model_name.as_ref(), &option_templates, &uri_captures);
        Ok(Config {
            options_templated: !option_templates.is_empty(),
            raw,
            model_name,
            option_templates,
            uri_captures,
            warnings,
        })
    }

    /// The provider (never templated: docs/kong-compatibility.md §5).
    pub fn provider(&self) -> ProviderName {
        self.raw.model.provider
    }

    /// The route type.
    pub fn route_type(&self) -> RouteType {
        self.raw.route_type
    }

    /// The named groups of the `uri_captures` regex matched against `path` (the query string,
    /// if any, is cut off first); empty when unset or when the path does not match.
    pub fn captures_of(&self, path: &str) -> Vec<(String, String)> {
        let Some(re) = self.uri_captures.as_ref() else {
            return Vec::new();
        };
        let path = path.split('?').next().unwrap_or(path);
        let Some(caps) = re.captures(path) else {
            return Vec::new();
        };
        re.capture_names()
            .flatten()
            .filter_map(|name| {
                caps.name(name)
                    .map(|m| (name.to_string(), m.as_str().to_string()))
            })
            .collect()
    }

    /// Resolves `model.name` and `model.options` for one request (docs/kong-compatibility.md §5): 400 with
    /// Kong's text when a placeholder cannot be resolved. The shared config is not changed.
    pub fn resolve_model(&self, req: &RequestView<'_>) -> Result<ResolvedModel, ProxyError> {
        let name = match &self.model_name {
            Some(t) => Some(t.render(req)?),
            None => None,
        };
        let options = match &self.raw.model.options {
            Some(o) if self.options_templated => self.option_templates.render(o, req)?,
            Some(o) => o.clone(),
            None => ModelOptions::default(),
        };
        Ok(ResolvedModel { name, options })
    }
}

/// Configure-time notes about templates and deprecated fields (see [`Config::warnings`]).
fn warnings(
    raw: &RawConfig,
    model_name: Option<&Template>,
    options: &OptionTemplates,
    captures: &Option<regex_lite::Regex>,
) -> Vec<String> {
    let mut out = Vec::new();
    let named = model_name.map(|t| ("model.name".to_string(), t));
    let all = named
        .into_iter()
        .chain(options.iter().map(|(slot, t)| (slot.to_string(), t)));
    for (path, t) in all {
        for problem in t.problems() {
            out.push(format!("{path}: every request will get 400 '{problem}'"));
        }
        for key in t.capture_keys() {
            let defined = captures
                .as_ref()
                .is_some_and(|re| re.capture_names().flatten().any(|n| n == key));
            if !defined {
                out.push(format!(
                    "{path}: $(uri_captures.{key}) needs a named group '{key}' in the uri_captures regex"
                ));
            }
        }
    }
    if raw
        .model
        .options
        .as_ref()
        .is_some_and(|o| o.upstream_path.is_some())
    {
        // Kong's deprecation text for the field (kong/llm/schemas/init.lua).
        out.push(
            "llm: config.model.options.upstream_path is deprecated, please use config.model.options.upstream_url instead"
                .to_string(),
        );
    }
    out
}
