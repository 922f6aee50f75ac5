//! `nginx-gateway`: one nginx + ngx_wasm_module running `ai_proxy.wasm` in front of an upstream,
//! as `devhost::nginx` starts it for the Rust tests (the SDK tests' "nginx" profile uses this).
//!
//! ```text
//! nginx-gateway --config FILE.json --upstream http://127.0.0.1:PORT [--body-buffer BYTES]
//! nginx-gateway --problems ERROR_LOG
//! ```
//! Prints `nginx-gateway listening on http://ADDR error_log=PATH` once the filter has started,
//! then serves
//! until it is killed (nginx stops with it: its watchdog holds a pipe from this process). Needs the engine
//! (`make nginx-engine`, or `$NGINX_WASM_BIN`) and the filter (`$AI_PROXY_WASM`, else the
//! release build). `--problems` prints the lines of an nginx error log that fail a test
//! (`devhost::nginx::problem_lines`). `--help` prints the usage; an argument error exits 2, a
//! start failure 1.

use std::process::ExitCode;

use devhost::envoy::GatewaySpec;
use devhost::nginx::NginxGateway;

const USAGE: &str = "usage: nginx-gateway --config FILE.json --upstream URL [--body-buffer BYTES]
       nginx-gateway --problems ERROR_LOG
       nginx-gateway --help

  --config FILE      the filter config (JSON)
  --upstream URL     where every request goes (http://127.0.0.1:PORT)
  --body-buffer N    client_body_buffer_size (default 1 MiB, as kong/kong.conf)";

fn bad(msg: &str) -> ExitCode {
    eprintln!("nginx-gateway: {msg}\n{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let (mut config, mut upstream, mut body_buffer) = (None, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        if a == "--help" || a == "-h" {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        let Some(v) = it.next() else {
            return bad(&format!("{a} needs a value"));
        };
        match a.as_str() {
            "--config" => config = Some(v),
            "--upstream" => upstream = Some(v),
            "--problems" => {
                let log = std::fs::read(&v).unwrap_or_default();
                for l in devhost::nginx::problem_lines(&String::from_utf8_lossy(&log)) {
                    println!("{l}");
                }
                return ExitCode::SUCCESS;
            }
            "--body-buffer" => match v.parse::<usize>() {
                Ok(n) => body_buffer = Some(n),
                Err(_) => return bad(&format!("--body-buffer takes a number, not {v:?}")),
            },
            other => return bad(&format!("bad argument {other:?}")),
        }
    }
    let (Some(config), Some(upstream)) = (config, upstream) else {
        return bad("--config and --upstream are required");
    };
    let text = match std::fs::read_to_string(&config) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("nginx-gateway: {config}: {e}");
            return ExitCode::from(1);
        }
    };
    let mut spec = GatewaySpec::new(&text, &upstream);
    if let Some(n) = body_buffer {
        spec.client_body_buffer_size = n;
    }
    let gw = match NginxGateway::start(&spec) {
        Ok(gw) => gw,
        Err(e) => {
            eprintln!("nginx-gateway: {e}");
            return ExitCode::from(1);
        }
    };
    println!(
        "nginx-gateway listening on http://{} error_log={}",
        gw.addr,
        gw.dir.join("logs/error.log").display()
    );
    // Serve until a signal ends this process; nginx's watchdog then stops nginx.
    loop {
        std::thread::park();
    }
}
