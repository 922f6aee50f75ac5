//! Kong's `$(source.key)` templating in `model.name` and `model.options` (kong-ai-proxy.md §6).

use super::ModelOptions;
use crate::error::ProxyError;

/// What a template may read from the request.
pub struct RequestView<'a> {
    /// Header lookup (case-insensitive).
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// Query-argument lookup (decoded).
    pub query: &'a dyn Fn(&str) -> Option<String>,
    /// Named regex capture lookup.
    pub capture: &'a dyn Fn(&str) -> Option<String>,
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    raw: String,
}

impl Template {
    /// Parses a template string.
    pub fn parse(raw: &str) -> Result<Template, String> {
        Ok(Template {
            raw: raw.to_string(),
        })
    }

    /// Renders it for one request.
    pub fn render(&self, _req: &RequestView<'_>) -> Result<String, ProxyError> {
        Ok(self.raw.clone())
    }
}

/// Whether any string under the options holds `$(`.
pub fn options_have_placeholders(_o: &ModelOptions) -> bool {
    false
}

/// Renders every string under the options.
pub fn render_options(
    o: &ModelOptions,
    _req: &RequestView<'_>,
) -> Result<ModelOptions, ProxyError> {
    Ok(o.clone())
}
