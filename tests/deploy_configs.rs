//! The deploy artefacts stay true to the filter: every filter config we ship is loaded the way
//! `on_configure` loads it (`Config::parse` then `exchange::check_config`), and checked against
//! the config's JSON Schema (the one Kong validates with).
//!
//! What is covered:
//! - every `filter-config/*.json` (one per documented use case; `ai_proxy.schema.json` excluded);
//! - every `ai_proxy` filter config inside `kong/kong.yml` (`filter_chains[].filters[]` and 3.9+
//!   `plugins[]`, object or string form) and inside `filter-config/envoy/envoy.yaml`
//!   (`envoy.filters.http.wasm` with a `google.protobuf.StringValue` configuration);
//! - the YAML files parse and keep the shape the docs promise (Kong `_format_version: "3.0"`;
//!   Envoy: `allow_on_headers_stop_iteration`, filter order wasm → dynamic forward proxy →
//!   router, route timeouts, buffer limits);
//! - `kong/ai_proxy.meta.json` parses, and its `config_schema` equals
//!   `filter-config/ai_proxy.schema.json` once that file exists (fix drift with
//!   `kong/gen-meta.sh`);
//! - every config is valid against the schema (the schema file when it exists, else the meta
//!   file's copy) with a small draft-4 checker below;
//! - `filter-config/README.md` lists every config file and `docs/configuration.md` describes
//!   every field of the schema.
//!
//! PENDING PROVIDERS. Providers still being built refuse every route, so their configs fail
//! `check_config`. A config is reported (printed, not failed) as "pending provider" only when
//! `check_config` refuses it with exactly the not-supported message AND its provider key is in
//! [`PENDING_PROVIDERS`]. Keys are the provider name, or `provider/format` where the format picks
//! the implementation (`llama2/raw`, `llama2/ollama`, `mistral/ollama`).
//! **The lead empties this list at integration**; from then on every refusal fails the test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::fs;
use std::path::{Path, PathBuf};

use ai_proxy::config::schema::{Llama2Format, MistralFormat};
use ai_proxy::config::{Config, ProviderName};
use ai_proxy::exchange::check_config;
use serde_json::Value;

/// Provider keys whose implementation has not landed yet (see the module docs). Empty it at
/// integration.
const PENDING_PROVIDERS: &[&str] = &[];

/// The filter's name in Kong (`ai_proxy.wasm` → `ai_proxy`).
const KONG_FILTER: &str = "ai_proxy";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_yaml(path: &Path) -> Value {
    let text = String::from_utf8(read(path)).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `*.json` directly in `dir`, sorted (no recursion: `envoy/` is separate).
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "ai_proxy.schema.json"))
        .collect();
    out.sort();
    out
}

// ---------------------------------------------------------------- loading like on_configure

/// How one config fared.
#[derive(Debug)]
enum Outcome {
    /// Parsed and accepted.
    Loaded(Box<Config>),
    /// Refused only because its provider is still a placeholder (allow-listed).
    PendingProvider(String),
    /// Refused: the test fails.
    Refused(String),
}

fn provider_key(cfg: &Config) -> String {
    let provider = cfg.provider();
    let options = cfg.raw.model.options.as_ref();
    let format = match provider {
        ProviderName::Llama2 => options.and_then(|o| o.llama2_format).map(|f| match f {
            Llama2Format::Raw => "raw",
            Llama2Format::Openai => "openai",
            Llama2Format::Ollama => "ollama",
        }),
        ProviderName::Mistral => options.and_then(|o| o.mistral_format).map(|f| match f {
            MistralFormat::Openai => "openai",
            MistralFormat::Ollama => "ollama",
        }),
        _ => None,
    };
    match format {
        Some(f) => format!("{}/{f}", provider.as_str()),
        None => provider.as_str().to_string(),
    }
}

/// What `Root::on_configure` does with the bytes the host hands over.
fn load(bytes: &[u8]) -> Outcome {
    let cfg = match Config::parse(bytes) {
        Ok(c) => c,
        Err(e) => return Outcome::Refused(format!("Config::parse: {e}")),
    };
    match check_config(&cfg) {
        Ok(()) => Outcome::Loaded(Box::new(cfg)),
        Err(msg) => {
            let key = provider_key(&cfg);
            let not_supported = format!(
                "route_type '{}' is not supported by provider '{}'",
                cfg.raw.route_type.as_str(),
                cfg.provider().as_str()
            );
            if msg == not_supported && PENDING_PROVIDERS.contains(&key.as_str()) {
                Outcome::PendingProvider(key)
            } else {
                Outcome::Refused(format!("check_config: {msg}"))
            }
        }
    }
}

/// Loads every `(label, bytes)`; prints the pending ones, fails on any refusal. Returns the
/// loaded configs by label.
fn load_all(what: &str, items: &[(String, Vec<u8>)]) -> Vec<(String, Config)> {
    let mut loaded = Vec::new();
    let mut pending = Vec::new();
    let mut refused = Vec::new();
    for (label, bytes) in items {
        match load(bytes) {
            Outcome::Loaded(c) => loaded.push((label.clone(), *c)),
            Outcome::PendingProvider(key) => {
                pending.push(format!("{label} (pending provider {key})"))
            }
            Outcome::Refused(why) => refused.push(format!("{label}: {why}")),
        }
    }
    for p in &pending {
        println!("{what}: {p}");
    }
    assert!(
        refused.is_empty(),
        "{what}: {} config(s) refused:\n  {}",
        refused.len(),
        refused.join("\n  ")
    );
    loaded
}

// ---------------------------------------------------------------- filter-config/*.json

fn filter_config_items() -> Vec<(String, Vec<u8>)> {
    json_files(&root().join("filter-config"))
        .iter()
        .map(|p| (file_name(p), read(p)))
        .collect()
}

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_filter_config_loads() {
    let items = filter_config_items();
    assert!(
        items.len() >= 40,
        "expected one config per documented use case, found {}",
        items.len()
    );
    let loaded = load_all("filter-config", &items);
    // Each file is named <provider>-<route>[-variant].json: the name must not lie.
    for (name, cfg) in &loaded {
        let route = route_in_file_name(cfg.raw.route_type.as_str());
        let prefix = format!("{}-{route}", cfg.provider().as_str());
        assert!(
            name == &format!("{prefix}.json") || name.starts_with(&format!("{prefix}-")),
            "{name}: expected a name starting with {prefix}"
        );
    }
}

/// How a route type appears in a config's file name: `llm/v1/chat` → `chat`,
/// `audio/v1/audio/speech` → `audio-speech`, `realtime/v1/realtime` → `realtime`.
fn route_in_file_name(route: &str) -> String {
    route
        .replace("llm/v1/", "")
        .replace("audio/v1/audio/", "audio-")
        .replace("image/v1/images/", "images-")
        .replace("video/v1/videos/", "video-")
        .replace("realtime/v1/", "")
}

#[test]
fn filter_config_names_match_contents() {
    // Also for configs of pending providers, which `every_filter_config_loads` cannot see parsed.
    for p in json_files(&root().join("filter-config")) {
        let v = read_json(&p);
        let provider = v["model"]["provider"].as_str().unwrap();
        let route = v["route_type"].as_str().unwrap();
        let route = route_in_file_name(route);
        let name = file_name(&p);
        assert!(
            name.starts_with(&format!("{provider}-{route}")),
            "{name}: provider {provider}, route {route}"
        );
        // A native format is served only with its own provider (pass-through), except
        // `anthropic`, which goes in front of any provider (docs/claude-code.md).
        let format = v
            .get("llm_format")
            .and_then(|f| f.as_str())
            .unwrap_or("openai");
        assert!(
            format == "openai" || format == provider || format == "anthropic",
            "{name}: llm_format {format} is served by provider {format} only"
        );
    }
}

#[test]
fn filter_config_readme_lists_every_file() {
    let readme = String::from_utf8(read(&root().join("filter-config/README.md"))).unwrap();
    let files: Vec<String> = json_files(&root().join("filter-config"))
        .iter()
        .map(|p| file_name(p))
        .collect();
    let missing: Vec<&String> = files
        .iter()
        .filter(|f| !readme.contains(&format!("`{f}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "filter-config/README.md does not list {missing:?}"
    );
}

// ---------------------------------------------------------------- kong/kong.yml

/// `(label, config bytes)` for every `ai_proxy` filter and plugin in a Kong declarative file.
fn kong_filter_configs(doc: &Value) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let visit_entity = |kind: &str, entity: &Value, out: &mut Vec<(String, Vec<u8>)>| {
        let name = entity["name"].as_str().unwrap_or("?").to_string();
        for chain in entity["filter_chains"].as_array().into_iter().flatten() {
            for (i, f) in chain["filters"].as_array().unwrap().iter().enumerate() {
                assert_eq!(
                    f["name"], KONG_FILTER,
                    "{kind} {name}: filter {i} is not {KONG_FILTER}"
                );
                out.push((
                    format!("kong.yml {kind} {name} filter_chains filter {i}"),
                    kong_config_bytes(&f["config"]),
                ));
            }
        }
        for p in entity["plugins"].as_array().into_iter().flatten() {
            if p["name"] == KONG_FILTER {
                out.push((
                    format!("kong.yml {kind} {name} plugin {KONG_FILTER}"),
                    kong_config_bytes(&p["config"]),
                ));
            }
        }
    };
    for s in doc["services"].as_array().into_iter().flatten() {
        visit_entity("service", s, &mut out);
        for r in s["routes"].as_array().into_iter().flatten() {
            visit_entity("route", r, &mut out);
        }
    }
    for r in doc["routes"].as_array().into_iter().flatten() {
        visit_entity("route", r, &mut out);
    }
    // A Wasm filter plugin must hang off a service or a route (Kong's schema for filter
    // plugins: at_least_one_of service, route); a global one is refused.
    for p in doc["plugins"].as_array().into_iter().flatten() {
        assert_ne!(
            p["name"], KONG_FILTER,
            "a global {KONG_FILTER} plugin is refused by Kong"
        );
    }
    out
}

/// Kong hands an object config to the filter as JSON text, a string config as is
/// (docs/hosts.md §1).
fn kong_config_bytes(config: &Value) -> Vec<u8> {
    match config {
        Value::String(s) => s.clone().into_bytes(),
        other => serde_json::to_vec(other).unwrap(),
    }
}

#[test]
fn kong_yml_filter_configs_load() {
    let doc = read_yaml(&root().join("kong/kong.yml"));
    assert_eq!(doc["_format_version"], "3.0");
    let items = kong_filter_configs(&doc);
    let chains = items
        .iter()
        .filter(|(l, _)| l.contains("filter_chains"))
        .count();
    let plugins = items.iter().filter(|(l, _)| l.contains(" plugin ")).count();
    assert!(
        chains >= 4,
        "expected ≥ 4 filter_chains configs, found {chains}"
    );
    assert!(
        plugins >= 1,
        "expected the 3.9+ filters-as-plugins form, found none"
    );
    load_all("kong.yml", &items);
}

#[test]
fn kong_yml_routes_are_distinct() {
    // One chain per route and one per service (Kong's filter_chains uniqueness); route names
    // and paths must not collide either.
    let doc = read_yaml(&root().join("kong/kong.yml"));
    let mut names = Vec::new();
    let mut paths = Vec::new();
    for s in doc["services"].as_array().unwrap() {
        assert!(
            s["url"].as_str().is_some(),
            "service {} has no url",
            s["name"]
        );
        assert!(
            s["filter_chains"].as_array().map_or(0, Vec::len) <= 1,
            "service {}: at most one filter chain",
            s["name"]
        );
        for r in s["routes"].as_array().unwrap() {
            assert!(
                r["filter_chains"].as_array().map_or(0, Vec::len) <= 1,
                "route {}: at most one filter chain",
                r["name"]
            );
            names.push(r["name"].as_str().unwrap().to_string());
            for p in r["paths"].as_array().unwrap() {
                paths.push(p.as_str().unwrap().to_string());
            }
        }
    }
    let mut dedup = names.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), names.len(), "duplicate route names: {names:?}");
    let mut dedup = paths.clone();
    dedup.sort();
    dedup.dedup();
    assert_eq!(dedup.len(), paths.len(), "duplicate route paths: {paths:?}");
}

#[test]
fn kong_compose_mounts_filter_and_meta() {
    let doc = read_yaml(&root().join("kong/docker-compose.yml"));
    let kong = &doc["services"]["kong"];
    let image = kong["image"].as_str().unwrap();
    assert!(
        image.starts_with("kong:3.") || image.starts_with("kong/kong-gateway:3."),
        "{image}"
    );
    let volumes: Vec<&str> = kong["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mounts = |suffix: &str| volumes.iter().any(|v| v.contains(suffix));
    assert!(
        mounts("ai_proxy.wasm:/kong/filters/ai_proxy.wasm"),
        "{volumes:?}"
    );
    assert!(
        mounts("ai_proxy.meta.json:/kong/filters/ai_proxy.meta.json"),
        "{volumes:?}"
    );
    assert!(mounts("kong.conf:/etc/kong/kong.conf"), "{volumes:?}");
}

#[test]
fn kong_conf_has_the_keys_the_filter_needs() {
    let text = String::from_utf8(read(&root().join("kong/kong.conf"))).unwrap();
    let value = |key: &str| -> Option<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.starts_with('#'))
            .find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == key).then(|| v.split('#').next().unwrap_or("").trim().to_string())
            })
    };
    assert_eq!(value("wasm").as_deref(), Some("on"));
    assert_eq!(value("wasm_filters_path").as_deref(), Some("/kong/filters"));
    // The default 8k spools larger bodies to a file ngx_wasm_module cannot read (docs/hosts.md
    // docs/hosts.md §2): the buffer must hold the largest body the filter reads (1 MiB default limit).
    let buf = value("nginx_http_client_body_buffer_size").expect("body buffer size");
    let bytes = parse_nginx_size(&buf);
    assert!(
        bytes >= 1_048_576,
        "nginx_http_client_body_buffer_size {buf} < 1m"
    );
}

fn parse_nginx_size(s: &str) -> u64 {
    let s = s.trim().to_ascii_lowercase();
    let (num, mul) = match s.chars().last() {
        Some('k') => (&s[..s.len() - 1], 1024),
        Some('m') => (&s[..s.len() - 1], 1024 * 1024),
        Some('g') => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s.as_str(), 1),
    };
    num.parse::<u64>().unwrap() * mul
}

// ---------------------------------------------------------------- kong/ai_proxy.meta.json

fn schema_file() -> PathBuf {
    root().join("filter-config/ai_proxy.schema.json")
}

fn meta() -> Value {
    read_json(&root().join("kong/ai_proxy.meta.json"))
}

#[test]
fn kong_meta_json_is_kongs_shape_and_matches_the_schema() {
    let meta = meta();
    let obj = meta.as_object().expect("meta.json is an object");
    for k in obj.keys() {
        assert!(
            k == "config_schema" || k == "metrics",
            "unknown meta.json key {k} (Kong's meta-schema knows config_schema, metrics)"
        );
    }
    let schema = &meta["config_schema"];
    assert_eq!(schema["type"], "object");
    assert!(
        schema["$schema"]
            .as_str()
            .is_none_or(|s| s.contains("draft-04")),
        "Kong registers config schemas as draft 4"
    );
    check_known_keywords(schema, "config_schema");
    let path = schema_file();
    if path.exists() {
        if let Some(at) = first_difference(schema, &read_json(&path), "config_schema") {
            panic!(
                "kong/ai_proxy.meta.json drifted from filter-config/ai_proxy.schema.json at {at}: \
                 run kong/gen-meta.sh"
            );
        }
    } else {
        println!("filter-config/ai_proxy.schema.json not present yet: drift check skipped");
    }
}

/// The first path where two JSON values differ, if any.
fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(u), Some(v)) => first_difference(u, v, &format!("{path}.{k}")),
                _ => Some(format!("{path}.{k} (present on one side only)")),
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (u, v))| first_difference(u, v, &format!("{path}[{i}]"))),
        _ if a == b => None,
        _ => Some(format!("{path}: {a} vs {b}")),
    }
}

// ---------------------------------------------------------------- filter-config/envoy

fn envoy_doc() -> Value {
    read_yaml(&root().join("filter-config/envoy/envoy.yaml"))
}

/// Every HTTP connection manager in the file, with its listener name.
fn envoy_hcms(doc: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for l in doc["static_resources"]["listeners"].as_array().unwrap() {
        let lname = l["name"].as_str().unwrap().to_string();
        for fc in l["filter_chains"].as_array().unwrap() {
            for f in fc["filters"].as_array().unwrap() {
                if f["name"] == "envoy.filters.network.http_connection_manager" {
                    out.push((lname.clone(), f["typed_config"].clone()));
                }
            }
        }
    }
    out
}

#[test]
fn envoy_yaml_filter_configs_load() {
    let doc = envoy_doc();
    let mut items = Vec::new();
    for (listener, hcm) in envoy_hcms(&doc) {
        let filters = hcm["http_filters"].as_array().unwrap();
        let names: Vec<&str> = filters
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        // The wasm filter must rewrite :authority before the dynamic forward proxy reads it,
        // and the router must come last.
        let pos = |n: &str| names.iter().position(|x| *x == n);
        let wasm = pos("envoy.filters.http.wasm").unwrap_or_else(|| panic!("{listener}: no wasm"));
        let dfp = pos("envoy.filters.http.dynamic_forward_proxy")
            .unwrap_or_else(|| panic!("{listener}: no dynamic_forward_proxy"));
        assert!(
            wasm < dfp,
            "{listener}: wasm must run before dynamic_forward_proxy"
        );
        assert_eq!(
            names.last(),
            Some(&"envoy.filters.http.router"),
            "{listener}"
        );

        let tc = &filters[wasm]["typed_config"];
        assert_eq!(
            tc["@type"],
            "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm"
        );
        let plugin = &tc["config"];
        assert_eq!(
            plugin["allow_on_headers_stop_iteration"], true,
            "{listener}: the filter holds request headers until the body is read"
        );
        let file = plugin["vm_config"]["code"]["local"]["filename"]
            .as_str()
            .unwrap();
        assert!(file.ends_with("/ai_proxy.wasm"), "{listener}: {file}");
        let configuration = &plugin["configuration"];
        assert_eq!(
            configuration["@type"], "type.googleapis.com/google.protobuf.StringValue",
            "{listener}: the filter reads its config as a JSON string"
        );
        let value = configuration["value"].as_str().unwrap();
        items.push((
            format!("envoy.yaml listener {listener}"),
            value.as_bytes().to_vec(),
        ));

        // LLM answers take longer than Envoy's 15 s default route timeout.
        for vh in hcm["route_config"]["virtual_hosts"].as_array().unwrap() {
            for r in vh["routes"].as_array().unwrap() {
                let t = r["route"]["timeout"].as_str().unwrap_or("15s");
                assert_ne!(t, "15s", "{listener}: set a route timeout for LLM calls");
                assert!(
                    r["route"]["cluster"]
                        .as_str()
                        .is_some_and(|c| cluster_exists(&doc, c)),
                    "{listener}: route to an unknown cluster"
                );
            }
        }
    }
    assert!(
        items.len() >= 3,
        "expected several listeners, found {}",
        items.len()
    );
    load_all("envoy.yaml", &items);
}

fn cluster_exists(doc: &Value, name: &str) -> bool {
    doc["static_resources"]["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == name)
}

#[test]
fn envoy_clusters_are_dynamic_forward_proxies_with_buffer_limits() {
    let doc = envoy_doc();
    let mut tls = 0;
    for c in doc["static_resources"]["clusters"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        if name.starts_with("token_") || name == "vertex_ai" {
            // Where the filter's own calls go: cloud identity token endpoints
            // (docs/cloud-identity.md) and the Vertex AI video poll (docs/routes.md): fixed
            // addresses.
            assert!(c["load_assignment"]["endpoints"].is_array(), "{name}");
            continue;
        }
        assert_eq!(
            c["cluster_type"]["name"], "envoy.clusters.dynamic_forward_proxy",
            "{name}"
        );
        assert_eq!(c["lb_policy"], "CLUSTER_PROVIDED", "{name}");
        assert!(
            c["per_connection_buffer_limit_bytes"].as_u64().is_some(),
            "{name}"
        );
        if c["transport_socket"]["name"] == "envoy.transport_sockets.tls" {
            tls += 1;
            // Envoy refuses a DFP cluster whose HTTP options lack auto SNI / SAN validation.
            let o = &c["typed_extension_protocol_options"]
                ["envoy.extensions.upstreams.http.v3.HttpProtocolOptions"]
                ["upstream_http_protocol_options"];
            assert_eq!(o["auto_sni"], true, "{name}");
            assert_eq!(o["auto_san_validation"], true, "{name}");
        }
    }
    assert!(tls >= 1, "providers are reached over TLS");
    for l in doc["static_resources"]["listeners"].as_array().unwrap() {
        let limit = l["per_connection_buffer_limit_bytes"]
            .as_u64()
            .unwrap_or(1_048_576);
        // Buffered request bodies over the limit get 413 (docs/hosts.md §2): keep it ≥ the
        // filter's max_request_body_size default (1 MiB).
        assert!(limit >= 1_048_576, "{}: {limit}", l["name"]);
    }
}

#[test]
fn envoy_compose_mounts_filter_and_config() {
    let doc = read_yaml(&root().join("filter-config/envoy/docker-compose.yml"));
    let envoy = &doc["services"]["envoy"];
    let image = envoy["image"].as_str().unwrap();
    assert!(image.starts_with("envoyproxy/envoy:v1."), "{image}");
    let minor: u32 = image
        .trim_start_matches("envoyproxy/envoy:v1.")
        .split(['.', '-'])
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        minor >= 35,
        "allow_on_headers_stop_iteration needs Envoy 1.35+: {image}"
    );
    let volumes = envoy["volumes"].to_string();
    assert!(
        volumes.contains("ai_proxy.wasm:/etc/envoy/ai_proxy.wasm"),
        "{volumes}"
    );
    assert!(volumes.contains(":/etc/envoy/envoy.yaml"), "{volumes}");
}

// ---------------------------------------------------------------- JSON Schema validation

/// The schema to validate with: the schema file when it exists, else meta.json's copy.
fn schema() -> (Value, &'static str) {
    let path = schema_file();
    if path.exists() {
        (read_json(&path), "filter-config/ai_proxy.schema.json")
    } else {
        (
            meta()["config_schema"].clone(),
            "kong/ai_proxy.meta.json config_schema",
        )
    }
}

#[test]
fn every_config_is_valid_against_the_schema() {
    let (schema, source) = schema();
    let mut configs: Vec<(String, Value)> = Vec::new();
    for dir in ["filter-config"] {
        for p in json_files(&root().join(dir)) {
            configs.push((format!("{dir}/{}", file_name(&p)), read_json(&p)));
        }
    }
    for (label, bytes) in kong_filter_configs(&read_yaml(&root().join("kong/kong.yml"))) {
        configs.push((label, serde_json::from_slice(&bytes).unwrap()));
    }
    let doc = envoy_doc();
    for (listener, hcm) in envoy_hcms(&doc) {
        for f in hcm["http_filters"].as_array().unwrap() {
            if f["name"] == "envoy.filters.http.wasm" {
                let value = f["typed_config"]["config"]["configuration"]["value"]
                    .as_str()
                    .unwrap();
                configs.push((
                    format!("envoy.yaml listener {listener}"),
                    serde_json::from_str(value).unwrap(),
                ));
            }
        }
    }
    let mut errors = Vec::new();
    for (label, config) in &configs {
        let mut out = Vec::new();
        violations(config, &schema, "config", &mut out);
        errors.extend(out.into_iter().map(|e| format!("{label}: {e}")));
    }
    assert!(
        errors.is_empty(),
        "invalid against {source}:\n  {}",
        errors.join("\n  ")
    );
    assert!(configs.len() >= 60, "{}", configs.len());
}

#[test]
fn schema_checker_catches_mistakes() {
    // The checker must be able to fail, or the test above proves nothing.
    let (schema, _) = schema();
    let bad = [
        serde_json::json!({"route_type": "llm/v1/chat"}),
        serde_json::json!({"route_type": "llm/v1/chat", "model": {"provider": "nope"}}),
        serde_json::json!({"route_type": "llm/v1/chat", "model": {"provider": "openai"}, "typo": 1}),
        serde_json::json!({"route_type": "llm/v1/chat", "model": {"provider": "openai", "options": {"temperature": 9}}}),
        serde_json::json!({"route_type": "llm/v1/chat", "model": {"provider": "openai", "options": {"max_tokens": "many"}}}),
    ];
    for b in bad {
        let mut out = Vec::new();
        violations(&b, &schema, "config", &mut out);
        assert!(!out.is_empty(), "schema accepted {b}");
    }
}

/// Keywords the checker below understands; annotations it may ignore.
const VALIDATION_KEYWORDS: &[&str] = &[
    "type",
    "enum",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "pattern",
];
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "id",
    "title",
    "description",
    "default",
    "examples",
];

/// Fails on a keyword the checker does not know, so a schema feature is never skipped silently.
fn check_known_keywords(schema: &Value, path: &str) {
    let Some(obj) = schema.as_object() else {
        return;
    };
    for (k, v) in obj {
        assert!(
            VALIDATION_KEYWORDS.contains(&k.as_str()) || ANNOTATIONS.contains(&k.as_str()),
            "{path}: keyword {k} unknown to the test's draft-4 checker: extend it"
        );
        match k.as_str() {
            "properties" => {
                for (name, sub) in v.as_object().unwrap() {
                    check_known_keywords(sub, &format!("{path}.{name}"));
                }
            }
            "items" | "additionalProperties" => check_known_keywords(v, &format!("{path}[]")),
            _ => {}
        }
    }
}

/// A small draft-4 checker (the subset the config schema uses); pushes `path: problem`.
fn violations(value: &Value, schema: &Value, path: &str, out: &mut Vec<String>) {
    check_known_keywords(schema, path);
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.iter().any(|t| type_matches(value, t)) {
            out.push(format!("{path}: expected {types:?}, got {value}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(value) {
            out.push(format!("{path}: {value} not in {e:?}"));
        }
    }
    if let Some(n) = value.as_f64() {
        let excl_min = schema["exclusiveMinimum"] == true;
        let excl_max = schema["exclusiveMaximum"] == true;
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
            if n < min || (excl_min && n == min) {
                out.push(format!("{path}: {n} below minimum {min}"));
            }
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
            if n > max || (excl_max && n == max) {
                out.push(format!("{path}: {n} above maximum {max}"));
            }
        }
    }
    if let Some(s) = value.as_str() {
        let len = s.chars().count() as u64;
        if schema
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
        {
            out.push(format!("{path}: shorter than minLength"));
        }
        if schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| len > m)
        {
            out.push(format!("{path}: longer than maxLength"));
        }
        if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
            let re = regex_lite::Regex::new(p).unwrap();
            if !re.is_match(s) {
                out.push(format!("{path}: {s:?} does not match {p}"));
            }
        }
    }
    if let Some(a) = value.as_array() {
        let len = a.len() as u64;
        if schema
            .get("minItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| len < m)
        {
            out.push(format!("{path}: fewer than minItems"));
        }
        if schema
            .get("maxItems")
            .and_then(Value::as_u64)
            .is_some_and(|m| len > m)
        {
            out.push(format!("{path}: more than maxItems"));
        }
        if let Some(items) = schema.get("items") {
            for (i, v) in a.iter().enumerate() {
                violations(v, items, &format!("{path}[{i}]"), out);
            }
        }
    }
    if let Some(o) = value.as_object() {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap();
            if !o.contains_key(r) {
                out.push(format!("{path}: missing required {r}"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, v) in o {
            let sub = format!("{path}.{k}");
            match props.and_then(|p| p.get(k)) {
                Some(s) => violations(v, s, &sub, out),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => out.push(format!("{sub}: unknown property")),
                    Some(s @ Value::Object(_)) => violations(v, s, &sub, out),
                    _ => {}
                },
            }
        }
    }
}

fn type_matches(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        // draft 4: an integer is a number without a fractional part.
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => false,
    }
}

// ---------------------------------------------------------------- docs

/// Dotted property paths of a schema (`model.options.gemini.project_id`; array items as `[]`).
fn schema_paths(schema: &Value, prefix: &str, out: &mut Vec<String>) {
    for (k, v) in schema["properties"].as_object().into_iter().flatten() {
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        out.push(path.clone());
        schema_paths(v, &path, out);
        if v["items"].is_object() {
            schema_paths(&v["items"], &format!("{path}[]"), out);
        }
    }
}

#[test]
fn configuration_reference_covers_every_schema_field() {
    let (schema, source) = schema();
    let doc = String::from_utf8(read(&root().join("docs/configuration.md"))).unwrap();
    let mut paths = Vec::new();
    schema_paths(&schema, "", &mut paths);
    assert!(paths.len() > 50, "{}", paths.len());
    let missing: Vec<&String> = paths
        .iter()
        .filter(|p| !doc.contains(&format!("`{p}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md does not describe {missing:?} (fields of {source})"
    );
}
