//! The `ai-gateway` and `mock-upstream` binaries: flags, exit codes, `--check`, the listening
//! line and the per-request log line (interface of issue 3).

// Test helpers outside #[test] fns may unwrap/panic: a failure is the test failing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{BufRead, BufReader};
use std::process::{ChildStdout, Command, Stdio};

use devhost::testing::{self, http};

fn gateway() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ai-gateway"))
}

fn config_file(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("devhost-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn wasm() -> String {
    testing::build_test_filter().unwrap().display().to_string()
}

/// Reads stdout lines until one contains `needle`; returns it.
fn wait_line(r: &mut BufReader<ChildStdout>, needle: &str) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            r.read_line(&mut line).unwrap() > 0,
            "process ended before printing {needle:?}"
        );
        if line.contains(needle) {
            return line;
        }
    }
}

fn addr_of(line: &str) -> std::net::SocketAddr {
    let url = line.split("http://").nth(1).unwrap();
    url.split([' ', '\n', '/']).next().unwrap().parse().unwrap()
}

#[test]
fn bad_flag_is_exit_2_with_usage() {
    let o = gateway()
        .args(["--config", "x.json", "--frobnicate"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown argument") && err.contains("usage:"),
        "{err}"
    );
    let o = gateway()
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "--config is required");
    let o = gateway()
        .args(["--config", "x.json", "--profile", "nginx"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn missing_config_file_is_exit_1() {
    let o = gateway()
        .args(["--config", "/nonexistent/cfg.json", "--check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot read config"));
}

#[test]
fn missing_wasm_is_exit_1_with_build_hint() {
    let cfg = config_file("ok.json", "{}");
    let o = gateway()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--wasm",
            "/nonexistent/x.wasm",
            "--check",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("cargo build --release --target wasm32-wasip1")
    );
}

#[test]
fn check_accepts_and_refuses() {
    let w = wasm();
    let ok = config_file("ok.json", "{}");
    for profile in ["envoy", "kong"] {
        let o = gateway()
            .args([
                "--config",
                ok.to_str().unwrap(),
                "--wasm",
                &w,
                "--profile",
                profile,
                "--check",
            ])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let bad = config_file("bad.json", r#"{"configure":"refuse"}"#);
    let o = gateway()
        .args(["--config", bad.to_str().unwrap(), "--wasm", &w, "--check"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("refused") && err.contains("refusing config"),
        "{err}"
    );
}

#[test]
fn serves_prints_listen_line_and_one_log_line_per_request() {
    let mut mock = Command::new(env!("CARGO_BIN_EXE_mock-upstream"))
        .args(["--max-seconds", "60"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut mock_out = BufReader::new(mock.stdout.take().unwrap());
    let mock_line = wait_line(&mut mock_out, "listening on");
    let mock_addr = addr_of(&mock_line);
    let cfg = config_file(
        "route.json",
        r#"{"request_headers":{"ops":[{"op":"set_header","name":":path","value":"/v1/chat/completions"}]}}"#,
    );
    let mut gw = gateway()
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "--wasm",
            &wasm(),
            "--listen",
            "127.0.0.1:0",
            "--quiet",
            "--log-format",
            "json",
        ])
        .args(["--upstream-override", &format!("http://{mock_addr}")])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut gw_out = BufReader::new(gw.stdout.take().unwrap());
    let line = wait_line(&mut gw_out, "listening on http://");
    let addr = addr_of(&line);
    let r = http(
        addr,
        "POST",
        "/chat",
        &[("content-type", "application/json")],
        br#"{"model":"m","messages":[]}"#,
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let log = wait_line(&mut gw_out, "\"method\"");
    let v: serde_json::Value = serde_json::from_str(log.trim()).unwrap();
    assert_eq!(
        (
            v["method"].as_str(),
            v["path"].as_str(),
            v["status"].as_u64()
        ),
        (Some("POST"), Some("/chat"), Some(200))
    );
    assert!(v["latency_ms"].is_number());
    let _ = gw.kill();
    let _ = mock.kill();
    let _ = gw.wait();
    let _ = mock.wait();
}

#[test]
fn help_is_exit_0_with_usage_on_stdout() {
    for (bin, name) in [
        (env!("CARGO_BIN_EXE_ai-gateway"), "ai-gateway"),
        (env!("CARGO_BIN_EXE_mock-upstream"), "mock-upstream"),
    ] {
        for flag in ["--help", "-h"] {
            let o = Command::new(bin).arg(flag).output().unwrap();
            assert_eq!(o.status.code(), Some(0), "{name} {flag}");
            let out = String::from_utf8_lossy(&o.stdout);
            assert!(out.starts_with(&format!("usage: {name}")), "{name}: {out}");
            assert!(o.stderr.is_empty(), "{name}: nothing on stderr");
        }
    }
}

#[test]
fn argument_errors_are_exit_2() {
    let cases: [(&str, &[&str]); 5] = [
        (
            env!("CARGO_BIN_EXE_ai-gateway"),
            &["--buffer-limit", "lots", "--config", "x.json"],
        ),
        (env!("CARGO_BIN_EXE_ai-gateway"), &["--listen"]),
        (env!("CARGO_BIN_EXE_mock-upstream"), &["--frobnicate", "1"]),
        (
            env!("CARGO_BIN_EXE_mock-upstream"),
            &["--chunk-size", "many"],
        ),
        (env!("CARGO_BIN_EXE_mock-upstream"), &["--listen"]),
    ];
    for (bin, args) in cases {
        let o = Command::new(bin).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{bin} {args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("usage:"),
            "{bin} {args:?}"
        );
    }
}
