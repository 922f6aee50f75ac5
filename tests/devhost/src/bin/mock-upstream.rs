//! `mock-upstream`: the mock providers as a process (for `make run`, SDK tests, manual tries).
//!
//! ```text
//! mock-upstream [--listen 127.0.0.1:0] [--chunk-size N] [--max-seconds S]
//! ```
//! Prints `mock-upstream listening on http://ADDR`, serves until `--max-seconds` (default
//! 3600) have passed, then exits. `--help` prints the usage on stdout and exits 0; an argument
//! error prints it on stderr and exits 2.

use std::process::ExitCode;
use std::time::Duration;

use devhost::mock::{MockOptions, MockServer};

const USAGE: &str = "usage: mock-upstream [--listen 127.0.0.1:0] [--chunk-size N] [--max-seconds S]
       mock-upstream --help

  --listen ADDR      where to listen (default 127.0.0.1:0: a free port)
  --chunk-size N     cut every answer into N-byte writes (also per request: x-mock-chunk-size)
  --max-seconds S    exit after S seconds (default 3600)";

fn bad(msg: &str) -> ExitCode {
    eprintln!("mock-upstream: {msg}\n{USAGE}");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut listen = "127.0.0.1:0".to_string();
    let mut opts = MockOptions::default();
    let mut max_seconds = 3600u64;
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
            "--listen" => listen = v,
            "--chunk-size" => match v.parse() {
                Ok(n) => opts.chunk_size = Some(n),
                Err(_) => return bad(&format!("--chunk-size takes a number, not {v:?}")),
            },
            "--max-seconds" => match v.parse() {
                Ok(n) => max_seconds = n,
                Err(_) => return bad(&format!("--max-seconds takes a number, not {v:?}")),
            },
            other => return bad(&format!("bad argument {other:?}")),
        }
    }
    let listener = match std::net::TcpListener::bind(&listen) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("mock-upstream: cannot listen on {listen}: {e}");
            return ExitCode::from(1);
        }
    };
    let server = match MockServer::start_on(listener, opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("mock-upstream: {e}");
            return ExitCode::from(1);
        }
    };
    println!("mock-upstream listening on {}", server.url());
    std::thread::sleep(Duration::from_secs(max_seconds));
    ExitCode::SUCCESS
}
