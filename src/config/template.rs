//! Kong's `$(source.key)` templating in `model.name` and in every string under `model.options`
//! (docs/kong-compatibility.md §5): parsed once when the filter is configured,
//! rendered per request into a copy, so the shared config never changes.
//!
//! Kong's rules: a placeholder is `$(` up to the first `)`; its inside must split on `.` into
//! exactly two parts, `source.key`; the text around it is kept; every placeholder of a value is
//! replaced (3.10.0.3/3.11+). Errors are the 400s Kong returns for the request, in the order the
//! placeholders appear, even when the problem is already visible at configure time.

use std::fmt;

use super::ModelOptions;
use crate::error::ProxyError;
use crate::escape::{self, Place, UrlStart};

/// How a template's values are made safe: one place for the whole value, or a URL in which
/// the place of each placeholder follows from the text before it (docs/hostile-input.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escaping {
    /// Every value lands in the same kind of place.
    Fixed(Place),
    /// The template is a URL (or host, or path): each value is escaped for where it sits.
    Url(UrlStart),
}

/// What a template may read from the request.
pub struct RequestView<'a> {
    /// Header lookup. Called with the name lowercased and `_` turned into `-` (Kong's
    /// `kong.request.get_header` rule), so an exact match on lowercase names suffices.
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// Query-argument lookup (case-sensitive name, percent-decoded value; `""` for `?flag`).
    pub query: &'a dyn Fn(&str) -> Option<String>,
    /// Named capture lookup (groups of the `uri_captures` regex matched against the path).
    pub capture: &'a dyn Fn(&str) -> Option<String>,
}

/// Where a placeholder reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `headers`
    Headers,
    /// `query_params`
    QueryParams,
    /// `uri_captures`
    UriCaptures,
    /// Anything else: 400 `source '<x>' is not supported` when rendered.
    Unsupported(String),
}

impl Source {
    fn from_name(name: &str) -> Source {
        match name {
            "headers" => Source::Headers,
            "query_params" => Source::QueryParams,
            "uri_captures" => Source::UriCaptures,
            other => Source::Unsupported(other.to_string()),
        }
    }
}

/// One piece of a template.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// Text kept as is.
    Text(String),
    /// `$(source.key)`; `lookup` is the key as handed to the lookup (headers normalised).
    Var {
        source: Source,
        source_name: String,
        key: String,
        lookup: String,
    },
    /// A placeholder whose inside is not `source.key`.
    Malformed,
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    raw: String,
    parts: Vec<Part>,
}

impl Template {
    /// Parses a value. Never fails: a malformed placeholder is kept and reported per request
    /// (as Kong does) and by [`Template::problems`] at configure time.
    pub fn parse(raw: &str) -> Template {
        let mut parts = Vec::new();
        let mut rest = raw;
        while let Some(start) = rest.find("$(") {
            let after = rest.get(start + 2..).unwrap_or("");
            // Without a closing `)` there is no placeholder (Kong's `%$%((.-)%)`).
            let Some(len) = after.find(')') else {
                break;
            };
            let before = rest.get(..start).unwrap_or("");
            if !before.is_empty() {
                parts.push(Part::Text(before.to_string()));
            }
            let inner = after.get(..len).unwrap_or("");
            let pieces: Vec<&str> = inner.split('.').collect();
            parts.push(match pieces.as_slice() {
                [source_name, key] => {
                    let source = Source::from_name(source_name);
                    let lookup = if source == Source::Headers {
                        key.to_ascii_lowercase().replace('_', "-")
                    } else {
                        (*key).to_string()
                    };
                    Part::Var {
                        source,
                        source_name: (*source_name).to_string(),
                        key: (*key).to_string(),
                        lookup,
                    }
                }
                _ => Part::Malformed,
            });
            rest = after.get(len + 1..).unwrap_or("");
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Template {
            raw: raw.to_string(),
            parts,
        }
    }

    /// The value as configured.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Whether the value holds at least one placeholder (well-formed or not).
    pub fn has_placeholders(&self) -> bool {
        self.parts.iter().any(|p| !matches!(p, Part::Text(_)))
    }

    /// The keys read from `uri_captures`, for configure-time warnings.
    pub fn capture_keys(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var {
                source: Source::UriCaptures,
                key,
                ..
            } => Some(key.as_str()),
            _ => None,
        })
    }

    /// What will fail on every request (malformed placeholder, unknown source): the 400 texts.
    pub fn problems(&self) -> Vec<String> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Malformed => Some(self.malformed()),
                Part::Var {
                    source: Source::Unsupported(name),
                    ..
                } => Some(unsupported(name)),
                _ => None,
            })
            .collect()
    }

    /// Renders the value for one request: 400 with Kong's text for the first placeholder that
    /// cannot be resolved. Values are plain text (control characters refused): for
    /// `model.name`, which the providers escape where it reaches a URL.
    pub fn render(&self, req: &RequestView<'_>) -> Result<String, ProxyError> {
        self.render_escaped(req, Escaping::Fixed(Place::Text), "model.name")
    }

    /// Renders the value for one request, each value made safe for where it lands (`at` names
    /// the field in the refusal): 400 when a value cannot be (a host fragment with `/`, a
    /// CR/LF, a `..` path segment), the value itself never echoed.
    pub fn render_escaped(
        &self,
        req: &RequestView<'_>,
        how: Escaping,
        at: &str,
    ) -> Result<String, ProxyError> {
        let mut out = String::with_capacity(self.raw.len());
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Malformed => return Err(ProxyError::bad_request(self.malformed())),
                Part::Var {
                    source,
                    source_name,
                    key,
                    lookup,
                } => {
                    let found = match source {
                        Source::Headers => (req.header)(lookup),
                        Source::QueryParams => (req.query)(lookup),
                        Source::UriCaptures => (req.capture)(lookup),
                        Source::Unsupported(name) => {
                            return Err(ProxyError::bad_request(unsupported(name)))
                        }
                    };
                    let Some(value) = found else {
                        return Err(ProxyError::bad_request(format!(
                            "{source_name} key {key} was not provided"
                        )));
                    };
                    let place = match how {
                        Escaping::Fixed(p) => p,
                        Escaping::Url(start) => escape::place_in_url(&out, start),
                    };
                    let Some(safe) = escape::for_place(&value, place) else {
                        return Err(ProxyError::bad_request(format!(
                            "{source_name} key {key} has a value that cannot be used in {at}"
                        )));
                    };
                    out.push_str(&safe);
                }
            }
        }
        Ok(out)
    }

    fn malformed(&self) -> String {
        format!("cannot parse expression for field '{}'", self.raw)
    }
}

fn unsupported(name: &str) -> String {
    format!("source '{name}' is not supported")
}

/// Where a string sits under `model.options`: `field`, `record.field` or `list[i].field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Top-level option name (`upstream_url`, `gemini`, `cache_write_cost_list`, …).
    pub field: &'static str,
    /// Array index, for the cost lists.
    pub index: Option<usize>,
    /// Field inside the sub-record or list entry (`""` for a top-level string).
    pub sub: &'static str,
}

impl Slot {
    /// How values rendered into this option are escaped (`raw` is the configured template).
    pub fn escaping(&self, raw: &str) -> Escaping {
        match (self.field, self.sub) {
            ("upstream_url", _) | ("bedrock", "aws_sts_endpoint_url") => {
                Escaping::Url(UrlStart::Url)
            }
            ("gemini", "api_endpoint") if raw.contains("://") => Escaping::Url(UrlStart::Url),
            ("gemini", "api_endpoint") => Escaping::Url(UrlStart::Host),
            ("upstream_path", _) => Escaping::Url(UrlStart::Path),
            ("azure_instance", _)
            | ("databricks", "workspace_instance_id")
            | ("bedrock", "aws_region") => Escaping::Fixed(Place::Host),
            ("azure_deployment_id", _) => Escaping::Fixed(Place::Path),
            ("azure_api_version", _) => Escaping::Fixed(Place::Query),
            // Encoded by the Gemini provider where it builds the Vertex path.
            ("gemini", _) => Escaping::Fixed(Place::Segment),
            _ => Escaping::Fixed(Place::Text),
        }
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "model.options.{}", self.field)?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        if !self.sub.is_empty() {
            write!(f, ".{}", self.sub)?;
        }
        Ok(())
    }
}

/// Calls `f` on every string under the options, in a fixed order (the order is what ties a
/// template found at configure time to the same string in a per-request copy).
/// `tests/template.rs` checks that every string field of the schema is visited.
pub fn visit_strings<E>(
    o: &mut ModelOptions,
    f: &mut dyn FnMut(Slot, &mut String) -> Result<(), E>,
) -> Result<(), E> {
    fn at(field: &'static str, sub: &'static str) -> Slot {
        Slot {
            field,
            index: None,
            sub,
        }
    }
    let mut one = |slot: Slot, v: &mut Option<String>| match v {
        Some(s) => f(slot, s),
        None => Ok(()),
    };
    one(at("upstream_url", ""), &mut o.upstream_url)?;
    one(at("upstream_path", ""), &mut o.upstream_path)?;
    one(at("anthropic_version", ""), &mut o.anthropic_version)?;
    one(at("azure_instance", ""), &mut o.azure_instance)?;
    one(at("azure_deployment_id", ""), &mut o.azure_deployment_id)?;
    one(at("azure_api_version", ""), &mut o.azure_api_version)?;
    if let Some(g) = o.gemini.as_mut() {
        one(at("gemini", "api_endpoint"), &mut g.api_endpoint)?;
        one(at("gemini", "project_id"), &mut g.project_id)?;
        one(at("gemini", "location_id"), &mut g.location_id)?;
        one(at("gemini", "endpoint_id"), &mut g.endpoint_id)?;
        one(at("gemini", "vertex_cluster"), &mut g.vertex_cluster)?;
    }
    if let Some(b) = o.bedrock.as_mut() {
        one(at("bedrock", "aws_region"), &mut b.aws_region)?;
        one(
            at("bedrock", "aws_assume_role_arn"),
            &mut b.aws_assume_role_arn,
        )?;
        one(
            at("bedrock", "aws_role_session_name"),
            &mut b.aws_role_session_name,
        )?;
        one(
            at("bedrock", "aws_sts_endpoint_url"),
            &mut b.aws_sts_endpoint_url,
        )?;
        one(
            at("bedrock", "performance_config_latency"),
            &mut b.performance_config_latency,
        )?;
        one(
            at("bedrock", "video_output_s3_uri"),
            &mut b.video_output_s3_uri,
        )?;
        one(
            at("bedrock", "batch_bucket_prefix"),
            &mut b.batch_bucket_prefix,
        )?;
        one(at("bedrock", "batch_role_arn"), &mut b.batch_role_arn)?;
    }
    if let Some(c) = o.cohere.as_mut() {
        one(
            at("cohere", "embedding_input_type"),
            &mut c.embedding_input_type,
        )?;
    }
    if let Some(d) = o.databricks.as_mut() {
        one(
            at("databricks", "workspace_instance_id"),
            &mut d.workspace_instance_id,
        )?;
    }
    let item = |field: &'static str, i: usize, sub: &'static str| Slot {
        field,
        index: Some(i),
        sub,
    };
    for (i, e) in o.cache_write_cost_list.iter_mut().flatten().enumerate() {
        f(item("cache_write_cost_list", i, "ttl"), &mut e.ttl)?;
    }
    for (i, e) in o.context_window_factor.iter_mut().flatten().enumerate() {
        f(item("context_window_factor", i, "above"), &mut e.above)?;
    }
    for (i, e) in o.service_tier_factor.iter_mut().flatten().enumerate() {
        f(item("service_tier_factor", i, "tier"), &mut e.tier)?;
    }
    Ok(())
}

/// The templated strings of `model.options`, found once: (visit ordinal, where, template).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OptionTemplates {
    entries: Vec<(usize, Slot, Template)>,
}

impl OptionTemplates {
    /// Finds every string with a placeholder.
    pub fn scan(options: &mut ModelOptions) -> OptionTemplates {
        let mut entries = Vec::new();
        let mut ordinal = 0usize;
        let _ = visit_strings::<()>(options, &mut |slot, s| {
            if s.contains("$(") {
                let t = Template::parse(s);
                if t.has_placeholders() {
                    entries.push((ordinal, slot, t));
                }
            }
            ordinal += 1;
            Ok(())
        });
        OptionTemplates { entries }
    }

    /// Whether no option is templated.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every templated option with its place.
    pub fn iter(&self) -> impl Iterator<Item = (Slot, &Template)> {
        self.entries.iter().map(|(_, slot, t)| (*slot, t))
    }

    /// A copy of `options` with every template rendered for this request.
    pub fn render(
        &self,
        options: &ModelOptions,
        req: &RequestView<'_>,
    ) -> Result<ModelOptions, ProxyError> {
        let mut out = options.clone();
        let mut pending = self.entries.iter().peekable();
        let mut ordinal = 0usize;
        visit_strings(&mut out, &mut |_, s| {
            if let Some((_, slot, t)) = pending.next_if(|(i, _, _)| *i == ordinal) {
                *s = t.render_escaped(req, slot.escaping(t.raw()), &slot.to_string())?;
            }
            ordinal += 1;
            Ok(())
        })?;
        Ok(out)
    }
}
