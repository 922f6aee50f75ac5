//! `mock-upstream`: the mock providers as a process (for `make run`, SDK tests, manual tries).
//!
//! ```text
//! mock-upstream [--listen 127.0.0.1:0] [--chunk-size N] [--max-seconds S]
//! ```
//! Prints `mock-upstream listening on http://ADDR`, serves until `--max-seconds` (default
//! 3600) have passed, then exits.

use std::process::ExitCode;
use std::time::Duration;

use devhost::mock::{MockOptions, MockServer};

fn main() -> ExitCode {
    let mut listen = "127.0.0.1:0".to_string();
    let mut opts = MockOptions::default();
    let mut max_seconds = 3600u64;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let v = it.next();
        match (a.as_str(), v) {
            ("--listen", Some(v)) => listen = v,
            ("--chunk-size", Some(v)) => opts.chunk_size = v.parse().ok(),
            ("--max-seconds", Some(v)) => max_seconds = v.parse().unwrap_or(max_seconds),
            (other, _) => {
                eprintln!("mock-upstream: bad argument {other:?}\nusage: mock-upstream [--listen ADDR] [--chunk-size N] [--max-seconds S]");
                return ExitCode::from(2);
            }
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
