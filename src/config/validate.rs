//! Parsing with field paths, and Kong's entity checks (docs/kong-compatibility.md §2.2; each
//! function below names its rule there as "§2.2 rule N"), one function per check, with Kong's
//! exact error texts (`kong/llm/schemas/init.lua`, `kong/plugins/ai-proxy/schema.lua` in
//! Kong's repository), plus this filter's own checks (vllm's `upstream_url`,
//! URL syntax, route types and formats it does not implement, the `uri_captures` regex).
//!
//! Kong's emptiness rule (`is_nonempty`) applies: an empty string counts as not set.

use serde_json::Value;

use super::schema::{LlmFormat, ProviderName, RawConfig};
use super::{shape, ConfigError};
use crate::api::RouteType;
use crate::upstream::UpstreamTarget;

/// Parses the JSON config: structure against the JSON Schema (path-named refusals), then the
/// typed mirror. Which provider serves which route type is checked by `exchange::check_config`.
pub fn parse_raw(bytes: &[u8]) -> Result<RawConfig, ConfigError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| ConfigError {
        path: String::new(),
        message: format!("config is not valid JSON: {e}"),
    })?;
    let value = shape::check(&value)?;
    serde_json::from_value(value).map_err(|e| ConfigError {
        path: String::new(),
        message: format!("config does not fit the filter's types: {e}"),
    })
}

/// Runs every check on a parsed config, first error wins. Order: field checks, then Kong's
/// entity checks in Kong's order, then the ai-proxy plugin checks, then this filter's own.
pub fn check(raw: &RawConfig) -> Result<(), ConfigError> {
    check_upstream_url_valid(raw)?;
    check_gemini_vertex_trio(raw)?;
    check_allow_override(raw)?;
    check_header_auth_pair(raw)?;
    check_param_auth_trio(raw)?;
    check_llama2_format(raw)?;
    check_mistral_format(raw)?;
    check_anthropic_version(raw)?;
    check_azure_options(raw)?;
    check_self_hosted_upstream_url(raw)?;
    check_log_statistics(raw)?;
    check_native_format_route(raw)?;
    check_native_format_bedrock(raw)?;
    check_native_format_gemini(raw)?;
    check_llm_format_supported(raw)?;
    check_uri_captures(raw)?;
    Ok(())
}

fn entity(message: impl Into<String>) -> ConfigError {
    ConfigError {
        path: String::new(),
        message: message.into(),
    }
}

fn field(path: &str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        path: path.to_string(),
        message: message.into(),
    }
}

fn set(v: &Option<String>) -> bool {
    v.as_deref().is_some_and(|s| !s.is_empty())
}

/// `model.options.upstream_url` must be an `http(s)://host[:port][/path][?query]` URL
/// (Kong: `typedefs.url`). Placeholders are allowed anywhere but in the scheme; an untemplated
/// URL must also be one the exchange can target.
pub fn check_upstream_url_valid(raw: &RawConfig) -> Result<(), ConfigError> {
    const PATH: &str = "model.options.upstream_url";
    let Some(url) = raw
        .model
        .options
        .as_ref()
        .and_then(|o| o.upstream_url.as_deref())
    else {
        return Ok(());
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(field(PATH, "missing scheme in url"));
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(field(
            PATH,
            format!("unsupported scheme '{scheme}' in url (expected http or https)"),
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() || authority.starts_with(':') {
        return Err(field(PATH, "missing host in url"));
    }
    if authority.contains('@') {
        return Err(field(PATH, "credentials in url are not supported"));
    }
    if !url.contains("$(") {
        let lowered = format!("{}://{rest}", scheme.to_ascii_lowercase());
        if UpstreamTarget::from_url(&lowered).is_none() {
            // The URL is not repeated: its query may carry a key.
            return Err(field(PATH, "invalid host or port in url"));
        }
    }
    Ok(())
}

/// §2.2 rule 9: `gemini.api_endpoint`, `project_id`, `location_id` are set together or not at all
/// (a `mutually_required` check on the `gemini` record, so Kong names the record's own fields).
pub fn check_gemini_vertex_trio(raw: &RawConfig) -> Result<(), ConfigError> {
    let Some(g) = raw.model.options.as_ref().and_then(|o| o.gemini.as_ref()) else {
        return Ok(());
    };
    let count = [&g.api_endpoint, &g.project_id, &g.location_id]
        .into_iter()
        .filter(|v| set(v))
        .count();
    if count == 0 || count == 3 {
        return Ok(());
    }
    Err(field(
        "model.options.gemini",
        "all or none of these fields must be set: 'api_endpoint', 'project_id', 'location_id'",
    ))
}

/// §2.2 rule 1: bedrock and gemini only support `auth.allow_override = false`.
pub fn check_allow_override(raw: &RawConfig) -> Result<(), ConfigError> {
    let provider = raw.model.provider;
    let override_on = raw.auth.as_ref().is_some_and(|a| a.allow_override);
    if matches!(provider, ProviderName::Bedrock | ProviderName::Gemini) && override_on {
        return Err(entity(
            "bedrock and gemini only support auth.allow_override = false",
        ));
    }
    Ok(())
}

/// §2.2 rule 2: `auth.header_name` and `auth.header_value` together or not at all.
pub fn check_header_auth_pair(raw: &RawConfig) -> Result<(), ConfigError> {
    let Some(a) = raw.auth.as_ref() else {
        return Ok(());
    };
    if set(&a.header_name) != set(&a.header_value) {
        return Err(entity(
            "all or none of these fields must be set: 'auth.header_name', 'auth.header_value'",
        ));
    }
    Ok(())
}

/// §2.2 rule 3: `auth.param_name`, `auth.param_value`, `auth.param_location` together or not at all.
pub fn check_param_auth_trio(raw: &RawConfig) -> Result<(), ConfigError> {
    let Some(a) = raw.auth.as_ref() else {
        return Ok(());
    };
    let count = [
        set(&a.param_name),
        set(&a.param_value),
        a.param_location.is_some(),
    ]
    .into_iter()
    .filter(|b| *b)
    .count();
    if count == 0 || count == 3 {
        return Ok(());
    }
    Err(entity(
        "all or none of these fields must be set: 'auth.param_name', 'auth.param_value', 'auth.param_location'",
    ))
}

/// §2.2 rule 4: llama2 needs `model.options.llama2_format`.
pub fn check_llama2_format(raw: &RawConfig) -> Result<(), ConfigError> {
    let has = raw
        .model
        .options
        .as_ref()
        .is_some_and(|o| o.llama2_format.is_some());
    if raw.model.provider == ProviderName::Llama2 && !has {
        return Err(entity(
            "must set 'model.options.llama2_format' for llama2 provider",
        ));
    }
    Ok(())
}

/// §2.2 rule 5: mistral needs `model.options.mistral_format`.
pub fn check_mistral_format(raw: &RawConfig) -> Result<(), ConfigError> {
    let has = raw
        .model
        .options
        .as_ref()
        .is_some_and(|o| o.mistral_format.is_some());
    if raw.model.provider == ProviderName::Mistral && !has {
        return Err(entity(
            "must set 'model.options.mistral_format' for mistral provider",
        ));
    }
    Ok(())
}

/// §2.2 rule 6: anthropic needs `model.options.anthropic_version`.
pub fn check_anthropic_version(raw: &RawConfig) -> Result<(), ConfigError> {
    let has = raw
        .model
        .options
        .as_ref()
        .is_some_and(|o| set(&o.anthropic_version));
    if raw.model.provider == ProviderName::Anthropic && !has {
        return Err(entity(
            "must set 'model.options.anthropic_version' for anthropic provider",
        ));
    }
    Ok(())
}

/// §2.2 rule 7: azure needs `azure_instance`, `azure_api_version` (its default counts) and
/// `azure_deployment_id`, checked in Kong's order.
pub fn check_azure_options(raw: &RawConfig) -> Result<(), ConfigError> {
    if raw.model.provider != ProviderName::Azure {
        return Ok(());
    }
    let o = raw.model.options.as_ref();
    let fields: [(&str, Option<&Option<String>>); 3] = [
        ("azure_instance", o.map(|o| &o.azure_instance)),
        ("azure_api_version", o.map(|o| &o.azure_api_version)),
        ("azure_deployment_id", o.map(|o| &o.azure_deployment_id)),
    ];
    for (name, value) in fields {
        if !value.is_some_and(set) {
            return Err(entity(format!(
                "must set 'model.options.{name}' for azure provider"
            )));
        }
    }
    Ok(())
}

/// §2.2 rule 8: llama2 (Kong) and vllm (the docs: "`upstream_url` must be set") need
/// `model.options.upstream_url`.
pub fn check_self_hosted_upstream_url(raw: &RawConfig) -> Result<(), ConfigError> {
    let self_hosted = matches!(
        raw.model.provider,
        ProviderName::Llama2 | ProviderName::Vllm
    );
    let has = raw
        .model
        .options
        .as_ref()
        .is_some_and(|o| set(&o.upstream_url));
    if self_hosted && !has {
        return Err(entity(
            "must set 'model.options.upstream_url' for self-hosted providers/models",
        ));
    }
    Ok(())
}

/// §2.2 rule 10: no statistics for anthropic on `llm/v1/completions`.
pub fn check_log_statistics(raw: &RawConfig) -> Result<(), ConfigError> {
    if raw.logging.log_statistics
        && raw.route_type == RouteType::Completions
        && raw.model.provider == ProviderName::Anthropic
    {
        return Err(entity(
            "anthropic does not support statistics when route_type is llm/v1/completions",
        ));
    }
    Ok(())
}

/// §2.2 rule 11: `llm_format` bedrock or gemini only with `route_type` `llm/v1/chat`.
pub fn check_native_format_route(raw: &RawConfig) -> Result<(), ConfigError> {
    if matches!(raw.llm_format, LlmFormat::Bedrock | LlmFormat::Gemini)
        && raw.route_type != RouteType::Chat
    {
        return Err(entity(
            "native provider options in llm_format can only be used with the 'llm/v1/chat' route_type",
        ));
    }
    Ok(())
}

/// §2.2 rule 11: `llm_format` bedrock only with provider bedrock.
pub fn check_native_format_bedrock(raw: &RawConfig) -> Result<(), ConfigError> {
    if raw.llm_format == LlmFormat::Bedrock && raw.model.provider != ProviderName::Bedrock {
        return Err(entity(
            "native llm_format 'bedrock' can only be used with the 'bedrock' model.provider",
        ));
    }
    Ok(())
}

/// §2.2 rule 11: `llm_format` gemini only with provider gemini.
pub fn check_native_format_gemini(raw: &RawConfig) -> Result<(), ConfigError> {
    if raw.llm_format == LlmFormat::Gemini && raw.model.provider != ProviderName::Gemini {
        return Err(entity(
            "native llm_format 'gemini' can only be used with the 'gemini' model.provider",
        ));
    }
    Ok(())
}

/// Native formats (docs/kong-compatibility.md §14): a client speaking the provider's own API is passed through (auth,
/// target, analytics, no translation), to the matching provider only. `anthropic` also goes
/// in front of every other provider on `llm/v1/chat` (the Messages ingress: docs/claude-code.md).
pub fn check_llm_format_supported(raw: &RawConfig) -> Result<(), ConfigError> {
    let matching = match raw.llm_format {
        LlmFormat::Openai => return Ok(()),
        LlmFormat::Anthropic if raw.model.provider != ProviderName::Anthropic => {
            if raw.route_type == RouteType::Chat {
                return Ok(());
            }
            return Err(field(
                "llm_format",
                format!(
                    "llm_format 'anthropic' with provider '{}' needs route_type 'llm/v1/chat'",
                    raw.model.provider.as_str()
                ),
            ));
        }
        LlmFormat::Anthropic => ProviderName::Anthropic,
        LlmFormat::Bedrock => ProviderName::Bedrock,
        LlmFormat::Gemini => ProviderName::Gemini,
        LlmFormat::Cohere => ProviderName::Cohere,
        LlmFormat::Huggingface => ProviderName::Huggingface,
    };
    if raw.model.provider == matching {
        return Ok(());
    }
    Err(field(
        "llm_format",
        format!(
            "llm_format '{}' with provider '{}' is not supported yet by this filter (a native format is passed through to its own provider only)",
            raw.llm_format.as_str(),
            raw.model.provider.as_str()
        ),
    ))
}

/// Extension: `uri_captures` must compile and name at least one group.
pub fn check_uri_captures(raw: &RawConfig) -> Result<(), ConfigError> {
    match raw.uri_captures.as_deref() {
        Some(re) => compile_uri_captures(re).map(|_| ()),
        None => Ok(()),
    }
}

/// Compiles the `uri_captures` regex (named groups `(?<name>…)` or `(?P<name>…)`).
pub fn compile_uri_captures(re: &str) -> Result<regex_lite::Regex, ConfigError> {
    let compiled = regex_lite::Regex::new(re)
        .map_err(|e| field("uri_captures", format!("not a valid regex: {e}")))?;
    if compiled.capture_names().flatten().next().is_none() {
        return Err(field(
            "uri_captures",
            "the regex has no named group, e.g. (?<model>[^/]+)",
        ));
    }
    Ok(compiled)
}
