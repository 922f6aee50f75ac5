//! The two host profiles (Envoy, Kong) and their tunables. Each knob names the host setting it
//! stands for (`docs/hosts.md`).

/// Which host the emulator behaves like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// Envoy 1.35+ with the Wasm HTTP filter (cpp-host ABI, `docs/hosts.md`).
    Envoy,
    /// Kong Gateway 3.4–3.10 with ngx_wasm_module (`docs/hosts.md`).
    Kong,
}

impl Profile {
    /// Both profiles, for tests that run every scenario under each.
    pub const ALL: [Profile; 2] = [Profile::Envoy, Profile::Kong];

    /// Lowercase name (`envoy` / `kong`), as the `--profile` flag spells it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Envoy => "envoy",
            Profile::Kong => "kong",
        }
    }

    /// Parses `envoy` / `kong`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "envoy" => Some(Profile::Envoy),
            "kong" => Some(Profile::Kong),
            _ => None,
        }
    }
}

/// Everything a VM needs to know about the host it runs in.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// Envoy or Kong rules.
    pub profile: Profile,
    /// Bytes handed to `on_configure` (Kong: the JSON-encoded filter config, docs/hosts.md §1; Envoy: the
    /// `StringValue` of `configuration`, docs/hosts.md §1).
    pub plugin_config: Vec<u8>,
    /// Bytes handed to `on_vm_start`.
    pub vm_config: Vec<u8>,
    /// Envoy ≥1.35 `allow_on_headers_stop_iteration` (docs/hosts.md §5): Pause in the headers step holds
    /// the headers but lets body callbacks run. On by default (docs/hosts.md §5, §14).
    pub allow_on_headers_stop_iteration: bool,
    /// Envoy: cluster names `dispatch_http_call` accepts (docs/hosts.md §11); `None` accepts any name.
    pub clusters: Option<Vec<String>>,
    /// Envoy: buffered body above this answers 413 (requests) / 500 (responses) (docs/hosts.md §9,
    /// listener `per_connection_buffer_limit_bytes`, default 1 MiB).
    pub envoy_buffer_limit: usize,
    /// Kong: `nginx_http_client_body_buffer_size` (default 8k): a larger request body is spooled
    /// to a file and the filter cannot read it (docs/hosts.md §2).
    pub client_body_buffer_size: usize,
    /// Kong: `wasm_response_body_buffers` total bytes (default 4 × 4096, docs/hosts.md §9).
    pub response_body_buffers: usize,
    /// Kong: value of the `kong.version` property (docs/hosts.md §7).
    pub kong_version: String,
    /// Kong: nginx `$hostname` (what `request.host` returns, docs/hosts.md §7).
    pub hostname: String,
    /// Kong: nginx `server_name` used to build `:authority` (docs/hosts.md §6).
    pub server_name: String,
    /// Kong: listening port, the other half of `:authority` (docs/hosts.md §6).
    pub listen_port: u16,
    /// Name of the plugin (`plugin_name` property).
    pub plugin_name: String,
    /// Fixed clock for tests (nanoseconds since the epoch); `None` reads the real clock.
    pub fixed_time_nanos: Option<u64>,
    /// The gateway's upstream timeout, from sending the request to the end of the answer
    /// (Envoy's route `timeout`, Kong's `read_timeout`; both 60 s by default).
    pub upstream_timeout: std::time::Duration,
}

impl HostOptions {
    /// Defaults of the given host, with an empty plugin configuration.
    pub fn new(profile: Profile) -> Self {
        Self {
            profile,
            plugin_config: Vec::new(),
            vm_config: Vec::new(),
            allow_on_headers_stop_iteration: true,
            clusters: None,
            envoy_buffer_limit: 1024 * 1024,
            client_body_buffer_size: 8 * 1024,
            response_body_buffers: 4 * 4096,
            kong_version: "3.9.1".to_string(),
            hostname: "devhost".to_string(),
            server_name: "localhost".to_string(),
            listen_port: 8000,
            plugin_name: "ai_proxy".to_string(),
            fixed_time_nanos: None,
            upstream_timeout: std::time::Duration::from_secs(60),
        }
    }

    /// Same, with a plugin configuration.
    pub fn with_config(profile: Profile, config: impl Into<Vec<u8>>) -> Self {
        let mut o = Self::new(profile);
        o.plugin_config = config.into();
        o
    }
}
