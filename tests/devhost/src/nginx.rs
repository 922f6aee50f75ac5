//! Kong's wasm engine in the tests: nginx with `ngx_wasm_module` (wasmtime 26), built from
//! sources by `tests/nginx/build.sh` into `target/nginx-wasm/` (`make nginx-engine`).
//!
//! [`TestHost::RealNginx`](crate::envoy::TestHost::RealNginx) runs a scenario through it: every
//! gateway is one nginx (master + one worker) on `127.0.0.1` at a free port, with the filter in
//! `location /` as Kong's Lua layer attaches it (`proxy_wasm_request_headers_in_access on`, the
//! access phase) and `proxy_pass` to the mock through `$upstream_uri`/`$upstream_host`, the
//! variables of Kong's nginx template. One process per gateway, not per test binary: a filter
//! config refused in `on_configure` stops that nginx's worker, and must not take the other
//! gateways of the binary with it. Startup is cheap (wasmtime's compilation cache, shared).
//!
//! Kong's Lua property handlers do not exist in plain nginx. The test build patches the module
//! (`tests/nginx/kong-properties.patch`): a `kong.*` property the filter did not set is read
//! from the nginx variable of the same name with `_` for `.` (`kong.version` → `$kong_version`),
//! and setting one also sets that variable when declared. [`nginx_conf`] declares exactly the
//! ones the filter uses (docs/hosts.md, "nginx + ngx_wasm_module").
//!
//! The binary: `$NGINX_WASM_BIN` (the Makefile sets it; then a missing file fails), else
//! `target/nginx-wasm/sbin/nginx` when built. Without either, [`TestHost::all`] leaves nginx
//! out (`cargo test` on a machine that never ran `make nginx-engine`).
//!
//! Cloud identity token calls: ngx_wasm_module dispatches to `host[:port]`, so the spec's
//! dispatch clusters become targets in the config ([`kong_dispatch_targets`]) or names its
//! resolver maps to listeners of this nginx ([`named_hosts`]).
//!
//! Dropping a gateway fails the test when nginx's error log has a wasm trap, a panic, a failed
//! filter or an `[alert]`/`[crit]`/`[emerg]` line; then the process is stopped. A watchdog shell
//! holding a pipe from the test process stops it too when the test binary dies.
// Test support: a failure to start is a failed test; the wall clock only names directories.
#![allow(clippy::panic, clippy::disallowed_methods)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::Target;
use crate::envoy::{temp_dir, GatewaySpec};
use crate::testing;

/// Value of `kong.version` in the test config (the emulator's Kong profile default).
pub const KONG_VERSION: &str = "3.9.1";

/// Where the engine is built (`$NGINX_WASM_DIR`, else `target/nginx-wasm`).
pub fn engine_dir() -> PathBuf {
    std::env::var_os("NGINX_WASM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| testing::workspace_root().join("target/nginx-wasm"))
}

/// The nginx binary: `Some(Ok)` when there is one, `Some(Err)` when `$NGINX_WASM_BIN` names a
/// missing file, `None` when the engine was never built.
pub fn nginx_bin() -> Option<Result<PathBuf, String>> {
    if let Some(p) = std::env::var_os("NGINX_WASM_BIN") {
        let p = PathBuf::from(p);
        return Some(if p.is_file() {
            Ok(p)
        } else {
            Err(format!(
                "NGINX_WASM_BIN={} does not exist (make nginx-engine)",
                p.display()
            ))
        });
    }
    let p = engine_dir().join("sbin/nginx");
    p.is_file().then_some(Ok(p))
}

/// Whether nginx scenarios run ([`nginx_bin`] is not `None`).
pub fn available() -> bool {
    nginx_bin().is_some()
}

/// The filter's path. An existing file is taken as is: nginx compiles it anyway, and checking
/// it with the dev host's wasmtime first costs ~12 s per `nginx-gateway` process.
fn filter_wasm() -> Result<PathBuf, String> {
    let p = testing::ai_proxy_path();
    if p.is_file() {
        return p
            .canonicalize()
            .map_err(|e| format!("{}: {e}", p.display()));
    }
    crate::envoy::built_wasm()
}

/// One nginx running the filter in front of a mock.
pub struct NginxGateway {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// Its prefix directory (config, logs, temp files; left in place for inspection).
    pub dir: PathBuf,
    watchdog: Mutex<Child>,
}

impl NginxGateway {
    /// Starts nginx for `spec` and waits until its worker has started the filter. `Err` when
    /// nginx refuses the config or the filter's `on_configure` fails.
    pub fn start(spec: &GatewaySpec) -> Result<NginxGateway, String> {
        let bin =
            nginx_bin().ok_or("nginx + ngx_wasm_module is not built (make nginx-engine)")??;
        let wasm = filter_wasm()?;
        let upstream = Target::from_url(&spec.upstream)?;
        let mut last = String::new();
        // A free port can be taken between probing and nginx's bind: try a few.
        for _ in 0..5 {
            let port = free_port()?;
            let dir = temp_dir("ai-proxy-nginx")?;
            for sub in ["logs", "conf"] {
                std::fs::create_dir_all(dir.join(sub)).map_err(|e| format!("{sub}: {e}"))?;
            }
            let cache = engine_dir().join("wasm-cache");
            let _ = std::fs::create_dir_all(&cache);
            let cache_toml = dir.join("conf/wasmtime-cache.toml");
            std::fs::write(
                &cache_toml,
                format!(
                    "[cache]\nenabled = true\ndirectory = \"{}\"\n",
                    cache.display()
                ),
            )
            .map_err(|e| format!("cache config: {e}"))?;
            let conf = nginx_conf(&NginxConf {
                port,
                wasm: wasm.display().to_string(),
                filter_config: kong_dispatch_targets(&spec.config, &spec.clusters)?,
                upstream: format!("{}:{}", upstream.host, upstream.port),
                client_body_buffer_size: spec.client_body_buffer_size,
                cache_config: Some(cache_toml.display().to_string()),
                named_hosts: named_hosts(&spec.config, &spec.clusters, port)?,
            });
            let conf_path = dir.join("conf/nginx.conf");
            std::fs::write(&conf_path, conf).map_err(|e| format!("nginx.conf: {e}"))?;
            let gw = spawn(&bin, &dir, port)?;
            match gw.wait_ready() {
                Ok(()) => return Ok(gw),
                Err(e) if e.contains("Address already in use") => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// nginx's error log (wasm logs included).
    pub fn error_log(&self) -> String {
        read_lossy(&self.dir.join("logs/error.log"))
    }

    /// The access log: one line per request with the `kong.*` variables the filter set
    /// (format `kong` of [`nginx_conf`]).
    pub fn access_log(&self) -> String {
        read_lossy(&self.dir.join("logs/access.log"))
    }

    /// Lines of the error log that mean the filter or the engine failed.
    pub fn problems(&self) -> Vec<String> {
        problem_lines(&self.error_log())
    }

    fn exited(&self) -> bool {
        self.watchdog
            .lock()
            .map(|mut c| matches!(c.try_wait(), Ok(Some(_))))
            .unwrap_or(true)
    }

    /// Ready when the port accepts and the worker logged the filter's start; failed when the
    /// log has a problem line or nginx exited.
    fn wait_ready(&self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let log = self.error_log();
            let p = problem_lines(&log);
            if !p.is_empty() || self.exited() {
                return Err(format!(
                    "nginx did not start ({}):\n{}",
                    self.dir.display(),
                    if p.is_empty() {
                        tail(&log)
                    } else {
                        p.join("\n")
                    }
                ));
            }
            if worker_started(&log) && TcpStream::connect(self.addr).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "nginx: no started worker after 120 s ({}):\n{}",
                    self.dir.display(),
                    tail(&log)
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops nginx (SIGQUIT: graceful) and waits for it.
    pub fn stop(&self) {
        if let Ok(mut c) = self.watchdog.lock() {
            drop(c.stdin.take());
            let _ = c.wait();
        }
    }
}

impl Drop for NginxGateway {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The worker has loaded (compiled, or taken from wasmtime's cache) the filter's module. The
/// root context starts with the worker; a failing `on_configure` shows in the log and in the
/// first answer (500).
fn worker_started(log: &str) -> bool {
    log.lines()
        .any(|l| l.contains("successfully loaded \"ai_proxy\" module"))
}

fn spawn(bin: &std::path::Path, dir: &std::path::Path, port: u16) -> Result<NginxGateway, String> {
    // nginx runs in the foreground (`daemon off`) under a shell that waits for its stdin, a
    // pipe this process holds: closing it (drop, or the test binary exiting) sends SIGQUIT.
    let script = "\"$0\" -p \"$1\" -e \"$1/logs/error.log\" -c \"$1/conf/nginx.conf\" \
                  >\"$1/logs/stdout.log\" 2>&1 & n=$!; cat >/dev/null; kill -QUIT $n 2>/dev/null; \
                  i=0; while kill -0 $n 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; \
                  for c in $(cat /proc/$n/task/$n/children 2>/dev/null); do kill -KILL $c; done; \
                  kill -KILL $n 2>/dev/null; wait $n";
    let child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(bin)
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    Ok(NginxGateway {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        dir: dir.to_path_buf(),
        watchdog: Mutex::new(child),
    })
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

fn read_lossy(p: &std::path::Path) -> String {
    String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned()
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    let from = lines.len().saturating_sub(40);
    lines.get(from..).unwrap_or_default().join("\n")
}

/// Error-log lines that mean a failure: a Rust panic (the SDK logs `panicked at`), a wasm trap
/// (wasmtime's or a host trap), a filter that failed to start or resume, nginx's own
/// `[alert]`/`[crit]`/`[emerg]`.
pub fn problem_lines(log: &str) -> Vec<String> {
    const MARKS: &[&str] = &[
        "panicked at",
        "trap",
        "failed initializing",
        "filter chain failed",
        "[alert]",
        "[crit]",
        "[emerg]",
    ];
    log.lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            MARKS.iter().any(|m| l.contains(m))
        })
        .map(str::to_string)
        .collect()
}

/// The filter config as a Kong deployment writes it for the spec's dispatch clusters.
///
/// ngx_wasm_module's `dispatch_http_call` goes to `host[:port]` (an IP address, or a name its
/// resolver knows), never to a named cluster: Kong's `*_cluster` fields hold that target.
/// So every `auth.*_cluster` value (and `model.options.gemini.vertex_cluster`) naming one of
/// `clusters` becomes that cluster URL's `host:port` (the emulator's Kong profile maps the
/// name itself, `--cluster NAME=URL`). A config that is not a JSON object, or names no
/// cluster, is passed as is.
pub fn kong_dispatch_targets(
    config: &str,
    clusters: &[(String, String)],
) -> Result<String, String> {
    let Ok(mut cfg) = serde_json::from_str::<serde_json::Value>(config) else {
        return Ok(config.to_string());
    };
    let mut changed = false;
    for place in ["/auth", "/model/options/gemini"] {
        let Some(serde_json::Value::Object(fields)) = cfg.pointer_mut(place) else {
            continue;
        };
        for (field, value) in fields.iter_mut() {
            let Some(name) = value.as_str().filter(|_| field.ends_with("_cluster")) else {
                continue;
            };
            if let Some((_, url)) = clusters.iter().find(|(n, _)| n == name) {
                let t = Target::from_url(url)?;
                *value = serde_json::Value::String(format!("{}:{}", t.host, t.port));
                changed = true;
            }
        }
    }
    Ok(if changed {
        cfg.to_string()
    } else {
        config.to_string()
    })
}

/// A token endpoint reached by its host name: the module's resolver gives `name` the loopback
/// address `ip`, where the test nginx listens on ports 80 and 443 and proxies to `upstream`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedHost {
    /// The host name the filter dispatches to (`oauth2.googleapis.com`).
    pub name: String,
    /// A loopback address of this gateway's own (`127.X.Y.N`).
    pub ip: String,
    /// `host:port` of the mock behind it.
    pub upstream: String,
}

/// The spec's clusters named after a host (a dotted name, not an IP address) that no
/// `auth.*_cluster` field names: without a cluster field Kong dispatches to the token URL's
/// `host:port` (`oauth2.googleapis.com:443`), so the name must resolve to something that
/// listens on that port. Each gets `127.X.Y.N` (X.Y: the gateway's port, N: its rank), so
/// gateways running side by side do not share an address. Binding ports 80 and 443 needs root
/// (the tests run as root; otherwise nginx refuses to start and says so).
pub fn named_hosts(
    config: &str,
    clusters: &[(String, String)],
    port: u16,
) -> Result<Vec<NamedHost>, String> {
    let cfg: serde_json::Value = serde_json::from_str(config).unwrap_or_default();
    let named_in_config = |name: &str| {
        cfg.get("auth")
            .and_then(|a| a.as_object())
            .is_some_and(|auth| {
                auth.iter()
                    .any(|(k, v)| k.ends_with("_cluster") && v.as_str() == Some(name))
            })
    };
    let mut out = Vec::new();
    for (name, url) in clusters {
        let is_host = name.contains('.') && name.parse::<std::net::IpAddr>().is_err();
        if !is_host || named_in_config(name) {
            continue;
        }
        let t = Target::from_url(url)?;
        out.push(NamedHost {
            name: name.clone(),
            ip: format!("127.{}.{}.{}", port >> 8, port & 0xff, out.len() + 1),
            upstream: format!("{}:{}", t.host, t.port),
        });
    }
    Ok(out)
}

/// What [`nginx_conf`] needs.
#[derive(Debug, Clone)]
pub struct NginxConf {
    /// Listening port on 127.0.0.1.
    pub port: u16,
    /// Absolute path of `ai_proxy.wasm`.
    pub wasm: String,
    /// The filter config (JSON text), as Kong passes it.
    pub filter_config: String,
    /// `host:port` every request goes to (the mock).
    pub upstream: String,
    /// `client_body_buffer_size` (Kong: `nginx_http_client_body_buffer_size`).
    pub client_body_buffer_size: usize,
    /// A wasmtime cache config file (compiled modules cached across starts).
    pub cache_config: Option<String>,
    /// Token endpoints reached by host name ([`named_hosts`]).
    pub named_hosts: Vec<NamedHost>,
}

/// Quotes `s` as one nginx config argument (single quotes; `\` and `'` escaped).
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The test nginx.conf: Kong's settings that matter to the filter, nothing else.
///
/// - `proxy_wasm ai_proxy '<json>'` in `location /`, on_request_headers in the access phase
///   (Kong attaches its filter chains from its access handler);
/// - `client_body_buffer_size` as `kong/kong.conf` raises it (1m), `client_max_body_size 0`
///   (Kong's default), `wasm_response_body_buffers` left at the default 4 × 4k (Kong's);
/// - Kong's template variables `$upstream_scheme`, `$upstream_host`, `$upstream_uri` (the
///   filter writes them through `ngx.*` properties), defaulting to the request's, and
///   `$upstream_upgrade`, `$upstream_connection` (WebSocket upgrades proxied, as in Kong);
/// - the `kong.*` properties Kong's Lua handlers serve that the filter reads or writes:
///   `kong.version` (read: host detection), `kong.service.target` and
///   `kong.service.request.scheme` (written: the upstream); `kong.ctx.shared.*` needs no
///   declaration (the module keeps what the filter sets);
/// - every request goes to `upstream` (the mock), as the emulator's upstream override does; the
///   access log records the target the filter chose;
/// - the module's resolver for token calls to a name: `127.0.0.1:1` (nothing answers; 2 s), so
///   the tests make no DNS queries;
/// - token endpoints reached by host name ([`named_hosts`]): a `resolver_add` entry in `http{}`
///   (the module applies it to the global wasm resolver too, which `on_tick` dispatches use) and
///   a server on that address's ports 80 and 443 proxying to the mock.
pub fn nginx_conf(c: &NginxConf) -> String {
    let cache = c
        .cache_config
        .as_deref()
        .map(|p| {
            format!(
                "    wasmtime {{\n        cache_config {};\n    }}\n",
                quote(p)
            )
        })
        .unwrap_or_default();
    let resolver_add: String = c
        .named_hosts
        .iter()
        .map(|h| format!("    resolver_add {} {};\n", h.ip, h.name))
        .collect();
    let name_servers: String = c
        .named_hosts
        .iter()
        .map(|h| {
            format!(
                "    # {name}: a token endpoint the filter reaches by its host name.\n    \
                 server {{\n        listen {ip}:80;\n        listen {ip}:443;\n        \
                 location / {{\n            proxy_set_header Host $http_host;\n            \
                 proxy_pass http://{upstream};\n        }}\n    }}\n\n",
                name = h.name,
                ip = h.ip,
                upstream = h.upstream
            )
        })
        .collect();
    format!(
        r#"daemon off;
# Workers as the test user (nginx ignores this with a warning when not started as root).
user root;
master_process on;
worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log info;

events {{
    worker_connections 256;
}}

wasm {{
    module ai_proxy {wasm};
    # Token calls to a name go to this resolver (the module's default is 8.8.8.8): nothing
    # answers there, so a name without a `resolver_add` entry fails within 2 s, offline.
    resolver 127.0.0.1:1 ipv6=off;
    resolver_timeout 2s;
{cache}}}

http {{
    client_body_temp_path client_body_temp;
    proxy_temp_path proxy_temp;
    log_format kong '$request_method $request_uri $status target=$kong_service_target scheme=$kong_service_request_scheme upstream=$upstream_scheme://$upstream_host$upstream_uri';
    access_log logs/access.log kong;

    client_body_buffer_size {body_buffer};
    client_max_body_size 0;

    # Kong's Lua property handlers, as variables (tests/nginx/kong-properties.patch).
    map $pid $kong_version {{ default {version}; }}
    map $pid $kong_service_target {{ default ''; }}
    map $pid $kong_service_request_scheme {{ default ''; }}

    # Kong's nginx template variables, with Kong's defaults (the request's own).
    map $scheme $upstream_scheme {{ default $scheme; }}
    map $http_host $upstream_host {{ default $http_host; }}
    map $request_uri $upstream_uri {{ default $request_uri; }}
    # Kong's Lua sets these from the request's Upgrade header; a map does the same here.
    map $http_upgrade $upstream_upgrade {{ default $http_upgrade; }}
    map $http_upgrade $upstream_connection {{ default upgrade; '' keep-alive; }}

    upstream kong_upstream {{
        server {upstream};
    }}

{resolver_add}{name_servers}    server {{
        listen 127.0.0.1:{port};
        server_name localhost;

        location / {{
            proxy_wasm_request_headers_in_access on;
            proxy_wasm ai_proxy {config};

            # As a Kong route with response_buffering=false: with nginx's buffered pipe, a
            # filter answer streamed in tiny upstream reads can spin the worker (docs/hosts.md).
            proxy_buffering off;
            proxy_http_version 1.1;
            proxy_set_header Host $upstream_host;
            proxy_set_header Upgrade $upstream_upgrade;
            proxy_set_header Connection $upstream_connection;
            proxy_read_timeout 60s;
            proxy_pass http://kong_upstream$upstream_uri;
        }}
    }}
}}
"#,
        wasm = quote(&c.wasm),
        cache = cache,
        resolver_add = resolver_add,
        name_servers = name_servers,
        body_buffer = c.client_body_buffer_size,
        version = quote(KONG_VERSION),
        upstream = c.upstream,
        port = c.port,
        config = quote(&c.filter_config),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_escapes_backslashes_and_quotes() {
        assert_eq!(quote(r#"{"a":"it's \"x\""}"#), r#"'{"a":"it\'s \\"x\\""}'"#);
    }

    #[test]
    fn cluster_fields_become_the_clusters_host_and_port() {
        let clusters = vec![
            (
                "gcp_token-1".to_string(),
                "http://127.0.0.1:4100".to_string(),
            ),
            (
                "aws_sts-1".to_string(),
                "http://127.0.0.1:4200/x".to_string(),
            ),
        ];
        let cfg = r#"{"auth":{"gcp_token_cluster":"gcp_token-1","aws_sts_cluster":"aws_sts-1",
                      "aws_credentials_cluster":"other","header_value":"gcp_token-1"},"n":1,
                      "model":{"options":{"gemini":{"vertex_cluster":"aws_sts-1"}}}}"#;
        let out: serde_json::Value =
            serde_json::from_str(&kong_dispatch_targets(cfg, &clusters).unwrap()).unwrap();
        assert_eq!(out["auth"]["gcp_token_cluster"], "127.0.0.1:4100");
        assert_eq!(
            out["model"]["options"]["gemini"]["vertex_cluster"],
            "127.0.0.1:4200"
        );
        assert_eq!(out["auth"]["aws_sts_cluster"], "127.0.0.1:4200");
        // Only `*_cluster` fields naming a known cluster change.
        assert_eq!(out["auth"]["aws_credentials_cluster"], "other");
        assert_eq!(out["auth"]["header_value"], "gcp_token-1");
        assert_eq!(out["n"], 1);
        // No cluster named, or no JSON: the text as given.
        let plain = r#"{"auth":{"header_value":"k"}}"#;
        assert_eq!(kong_dispatch_targets(plain, &clusters).unwrap(), plain);
        assert_eq!(
            kong_dispatch_targets("not json", &clusters).unwrap(),
            "not json"
        );
    }

    #[test]
    fn dotted_clusters_no_field_names_become_named_hosts() {
        let clusters = vec![
            (
                "oauth2.googleapis.com".to_string(),
                "http://127.0.0.1:4100".to_string(),
            ),
            (
                "169.254.169.254".to_string(),
                "http://127.0.0.1:4100".to_string(),
            ),
            (
                "sts.example.com".to_string(),
                "http://127.0.0.1:4200".to_string(),
            ),
            ("aws_creds".to_string(), "http://127.0.0.1:4300".to_string()),
        ];
        let cfg = r#"{"auth":{"aws_sts_cluster":"sts.example.com"}}"#;
        let hosts = named_hosts(cfg, &clusters, 0x9c41).unwrap();
        assert_eq!(
            hosts,
            vec![NamedHost {
                name: "oauth2.googleapis.com".into(),
                ip: "127.156.65.1".into(),
                upstream: "127.0.0.1:4100".into(),
            }]
        );
        let conf = nginx_conf(&NginxConf {
            port: 0x9c41,
            wasm: "/f.wasm".into(),
            filter_config: cfg.into(),
            upstream: "127.0.0.1:1".into(),
            client_body_buffer_size: 1,
            cache_config: None,
            named_hosts: hosts,
        });
        assert!(conf.contains("resolver_add 127.156.65.1 oauth2.googleapis.com;"));
        assert!(conf.contains("listen 127.156.65.1:443;"));
        assert!(conf.contains("proxy_pass http://127.0.0.1:4100;"));
    }

    #[test]
    fn problem_lines_catch_traps_panics_and_alerts() {
        let log = "2026/01/01 [info] 1#0: *1 [wasm] ok\n\
                   2026/01/01 [error] 1#0: *1 [wasm] error while executing at wasm backtrace: trap\n\
                   2026/01/01 [crit] 1#0: *2 panicked at src/x.rs:1:1\n\
                   2026/01/01 [alert] 1#0: worker process 7 exited on signal 11\n";
        assert_eq!(problem_lines(log).len(), 3);
        assert!(problem_lines("2026/01/01 [notice] 1#0: signal process started\n").is_empty());
    }
}
