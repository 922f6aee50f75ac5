//! `ai-gateway`: runs `ai_proxy.wasm` in the dev host in front of the upstream it chooses.
//!
//! ```text
//! ai-gateway --config FILE.json [--listen 127.0.0.1:8000] [--profile envoy|kong]
//!            [--upstream-override http://127.0.0.1:PORT] [--wasm PATH] [--log-format text|json]
//!            [--buffer-limit BYTES]
//! ai-gateway --config FILE.json --check
//! ai-gateway --help
//! ```
//! `--help` prints the usage on stdout and exits 0; an argument error prints it on stderr and
//! exits 2.

use std::path::PathBuf;
use std::process::ExitCode;

use devhost::client::Target;
use devhost::gateway::{self, GatewayConfig};
use devhost::{FilterModule, HostOptions, Profile, StartError};

const USAGE: &str =
    "usage: ai-gateway --config FILE.json [--listen 127.0.0.1:8000] [--profile envoy|kong]
                  [--upstream-override http://127.0.0.1:PORT] [--wasm PATH] [--log-format text|json]
                  [--cluster NAME=URL]... [--buffer-limit BYTES] [--quiet]
       ai-gateway --config FILE.json --check
       ai-gateway --help

  --buffer-limit BYTES  Envoy profile: the listener/cluster per_connection_buffer_limit_bytes
                        (413 for a larger buffered request, 500 for a larger buffered
                        response); default 16777216, as filter-config/envoy/envoy.yaml";

struct Args {
    config: PathBuf,
    listen: String,
    profile: Profile,
    upstream_override: Option<Target>,
    wasm: PathBuf,
    log_json: bool,
    check: bool,
    clusters: Vec<(String, Target)>,
    quiet: bool,
    buffer_limit: usize,
}

/// What the command line asks for.
enum Parsed {
    Run(Args),
    Help,
}

fn parse() -> Result<Parsed, String> {
    let mut it = std::env::args().skip(1);
    let mut config = None;
    let mut a = Args {
        config: PathBuf::new(),
        listen: "127.0.0.1:8000".into(),
        profile: Profile::Envoy,
        upstream_override: None,
        wasm: devhost::testing::workspace_root().join("target/wasm32-wasip1/release/ai_proxy.wasm"),
        log_json: false,
        check: false,
        clusters: Vec::new(),
        quiet: false,
        buffer_limit: devhost::envoy::SHIPPED_BUFFER_LIMIT,
    };
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "--config" => config = Some(PathBuf::from(value("--config")?)),
            "--listen" => a.listen = value("--listen")?,
            "--profile" => {
                let v = value("--profile")?;
                a.profile = Profile::parse(&v)
                    .ok_or_else(|| format!("--profile must be envoy or kong, not {v:?}"))?;
            }
            "--upstream-override" => {
                a.upstream_override = Some(Target::from_url(&value("--upstream-override")?)?)
            }
            "--wasm" => a.wasm = PathBuf::from(value("--wasm")?),
            "--log-format" => {
                a.log_json = match value("--log-format")?.as_str() {
                    "json" => true,
                    "text" => false,
                    v => return Err(format!("--log-format must be text or json, not {v:?}")),
                }
            }
            "--cluster" => {
                let v = value("--cluster")?;
                let (n, u) = v.split_once('=').ok_or("--cluster takes NAME=URL")?;
                a.clusters.push((n.to_string(), Target::from_url(u)?));
            }
            "--check" => a.check = true,
            "--quiet" => a.quiet = true,
            "--buffer-limit" => {
                let v = value("--buffer-limit")?;
                a.buffer_limit = v
                    .parse()
                    .map_err(|_| format!("--buffer-limit takes a byte count, not {v:?}"))?;
            }
            "-h" | "--help" => return Ok(Parsed::Help),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    a.config = config.ok_or("--config is required")?;
    Ok(Parsed::Run(a))
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(Parsed::Run(a)) => a,
        Ok(Parsed::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("ai-gateway: {e}");
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let config = match std::fs::read(&args.config) {
        Ok(b) => b,
        Err(e) => {
            eprintln!(
                "ai-gateway: cannot read config {}: {e}",
                args.config.display()
            );
            return ExitCode::from(1);
        }
    };
    if !args.wasm.exists() {
        eprintln!(
            "ai-gateway: no filter at {} (build it: cargo build --release --target wasm32-wasip1 -p ai-proxy, or pass --wasm)",
            args.wasm.display()
        );
        return ExitCode::from(1);
    }
    let module = match FilterModule::load(&args.wasm) {
        Ok(m) if m.is_proxy_wasm => m,
        Ok(_) => {
            eprintln!(
                "ai-gateway: {} is not a proxy-wasm filter (no proxy_abi_version_0_2_1 export)",
                args.wasm.display()
            );
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("ai-gateway: {e}");
            return ExitCode::from(1);
        }
    };
    let listen: std::net::SocketAddr = match args.listen.parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("ai-gateway: bad --listen {:?}: {e}", args.listen);
            return ExitCode::from(2);
        }
    };
    let mut opts = HostOptions::with_config(args.profile, config);
    opts.listen_port = listen.port();
    opts.envoy_buffer_limit = args.buffer_limit;
    // As if the operator raised nginx_http_client_body_buffer_size (docs/hosts.md §2).
    opts.client_body_buffer_size = 64 * 1024 * 1024;
    let cfg = GatewayConfig {
        module,
        opts,
        upstream_override: args.upstream_override,
        clusters: args.clusters,
        log_json: args.log_json,
        quiet: args.quiet,
    };
    let vm = match gateway::start_vm(&cfg) {
        Ok(vm) => vm,
        Err(StartError::Refused { logs }) => {
            eprintln!(
                "ai-gateway: the filter refused the config {}:\n{logs}",
                args.config.display()
            );
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("ai-gateway: {e}");
            return ExitCode::from(1);
        }
    };
    if args.check {
        println!(
            "config OK: {} ({} profile)",
            args.config.display(),
            args.profile.name()
        );
        return ExitCode::SUCCESS;
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ai-gateway: cannot start runtime: {e}");
            return ExitCode::from(1);
        }
    };
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("ai-gateway: cannot listen on {listen}: {e}");
                return ExitCode::from(1);
            }
        };
        let shown = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| listen.to_string());
        let over = cfg
            .upstream_override
            .as_ref()
            .map(|t| format!(", upstream override {t}"))
            .unwrap_or_default();
        println!(
            "ai-gateway listening on http://{shown} ({} profile, wasm {}{over})",
            args.profile.name(),
            args.wasm.display()
        );
        gateway::serve(cfg, vm, listener).await;
        ExitCode::SUCCESS
    })
}
