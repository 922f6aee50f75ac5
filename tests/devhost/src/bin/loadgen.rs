//! `loadgen`: a small closed-loop HTTP/1.1 load generator for the real-Envoy benchmark.
//!
//! ```text
//! loadgen --url http://127.0.0.1:PORT/PATH --body FILE [--header 'k: v']... \
//!         [--connections N] [--seconds S] [--warmup S]
//! ```
//! Each connection is one thread that sends the same POST again as soon as the previous answer
//! is read (keep-alive), so the load is bounded by the number of connections. Prints one JSON
//! line: `{"connections","requests","errors","seconds","rps","p50_us","p99_us","mean_us"}`.
//! Only loopback addresses are accepted: this is a benchmark tool, not a stress tool.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

struct Args {
    host: String,
    path: String,
    body: Vec<u8>,
    headers: Vec<String>,
    connections: usize,
    seconds: f64,
    warmup: f64,
    /// A process whose CPU time (user + system) is read at the start and end of the measured
    /// window: CPU per request of the proxy, steadier than throughput on a shared machine.
    cpu_pid: Option<u32>,
}

/// utime + stime of a process in clock ticks (Linux `/proc/PID/stat`).
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.get(stat.rfind(')')? + 2..)?;
    let f: Vec<&str> = after.split(' ').collect();
    // Fields 14 and 15 of stat(5); `after` starts at field 3.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn parse_args() -> Result<Args, String> {
    let mut url = None;
    let mut body = None;
    let mut headers = Vec::new();
    let mut connections = 1usize;
    let mut seconds = 5.0f64;
    let mut warmup = 1.0f64;
    let mut cpu_pid = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let v = it.next().ok_or_else(|| format!("{a} needs a value"))?;
        match a.as_str() {
            "--url" => url = Some(v),
            "--body" => body = Some(std::fs::read(&v).map_err(|e| format!("{v}: {e}"))?),
            "--header" => headers.push(v),
            "--connections" => connections = v.parse().map_err(|_| "bad --connections")?,
            "--seconds" => seconds = v.parse().map_err(|_| "bad --seconds")?,
            "--warmup" => warmup = v.parse().map_err(|_| "bad --warmup")?,
            "--cpu-pid" => cpu_pid = Some(v.parse().map_err(|_| "bad --cpu-pid")?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let url = url.ok_or("--url is required")?;
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are supported")?;
    let (host, path) = match rest.find('/') {
        Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("/")),
        None => (rest, "/"),
    };
    if !(host.starts_with("127.") || host.starts_with("localhost")) {
        return Err("loadgen only targets loopback addresses".into());
    }
    Ok(Args {
        host: host.to_string(),
        path: path.to_string(),
        body: body.ok_or("--body is required")?,
        headers,
        connections: connections.clamp(1, 64),
        seconds,
        warmup,
        cpu_pid,
    })
}

/// Reads one HTTP/1.1 response; returns its status.
fn read_response(r: &mut BufReader<TcpStream>, line: &mut String) -> std::io::Result<u16> {
    line.clear();
    r.read_line(line)?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut length = None;
    let mut chunked = false;
    loop {
        line.clear();
        if r.read_line(line)? == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let lower = l.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
    if chunked {
        loop {
            line.clear();
            r.read_line(line)?;
            let size = usize::from_str_radix(line.trim(), 16)
                .map_err(|_| std::io::Error::other("bad chunk size"))?;
            let mut skip = vec![0u8; size + 2];
            r.read_exact(&mut skip)?;
            if size == 0 {
                break;
            }
        }
    } else if let Some(n) = length {
        std::io::copy(&mut r.by_ref().take(n as u64), &mut std::io::sink())?;
    }
    Ok(status)
}

struct Worker {
    latencies: Vec<u32>,
    errors: usize,
}

fn worker(args: &Args, start: Instant, measure_from: Instant, stop: Instant) -> Worker {
    let mut head = format!(
        "POST {} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        args.path,
        args.host,
        args.body.len()
    );
    for h in &args.headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend_from_slice(&args.body);
    let mut out = Worker {
        latencies: Vec::with_capacity(1 << 16),
        errors: 0,
    };
    let _ = start;
    let mut line = String::new();
    'connect: while Instant::now() < stop {
        let Ok(stream) = TcpStream::connect(&args.host) else {
            out.errors += 1;
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let Ok(mut w) = stream.try_clone() else {
            out.errors += 1;
            continue;
        };
        let mut r = BufReader::with_capacity(64 * 1024, stream);
        loop {
            let t = Instant::now();
            if t >= stop {
                break 'connect;
            }
            if w.write_all(&request).is_err() {
                out.errors += 1;
                continue 'connect;
            }
            match read_response(&mut r, &mut line) {
                Ok(200) => {
                    if t >= measure_from {
                        out.latencies
                            .push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    }
                }
                Ok(_) => out.errors += 1,
                Err(_) => {
                    out.errors += 1;
                    continue 'connect;
                }
            }
        }
    }
    out
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("loadgen: {e}");
            return ExitCode::from(2);
        }
    };
    let start = Instant::now();
    let measure_from = start + Duration::from_secs_f64(args.warmup);
    let stop = measure_from + Duration::from_secs_f64(args.seconds);
    let mut cpu_used = None;
    let results: Vec<Worker> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.connections)
            .map(|_| s.spawn(|| worker(&args, start, measure_from, stop)))
            .collect();
        let cpu = args.cpu_pid.map(|pid| {
            std::thread::sleep(measure_from.saturating_duration_since(Instant::now()));
            let a = cpu_ticks(pid);
            std::thread::sleep(stop.saturating_duration_since(Instant::now()));
            (a, cpu_ticks(pid))
        });
        cpu_used = match cpu {
            Some((Some(a), Some(b))) => Some(b.saturating_sub(a)),
            _ => None,
        };
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut all: Vec<u32> = results
        .iter()
        .flat_map(|w| w.latencies.iter().copied())
        .collect();
    let errors: usize = results.iter().map(|w| w.errors).sum();
    all.sort_unstable();
    let pct = |p: f64| -> u32 {
        if all.is_empty() {
            return 0;
        }
        let i = ((all.len() as f64 - 1.0) * p).round() as usize;
        all.get(i).copied().unwrap_or(0)
    };
    let mean = if all.is_empty() {
        0.0
    } else {
        all.iter().map(|&x| f64::from(x)).sum::<f64>() / all.len() as f64
    };
    // Clock ticks are 1/100 s on Linux (USER_HZ).
    let cpu_us_per_request = match cpu_used {
        Some(t) if !all.is_empty() => format!("{:.1}", t as f64 * 10_000.0 / all.len() as f64),
        _ => "null".into(),
    };
    println!(
        "{{\"cpu_us_per_request\":{cpu_us_per_request},\"connections\":{},\"requests\":{},\"errors\":{},\"seconds\":{},\"rps\":{:.0},\"p50_us\":{},\"p99_us\":{},\"mean_us\":{:.1}}}",
        args.connections,
        all.len(),
        errors,
        args.seconds,
        all.len() as f64 / args.seconds,
        pct(0.50),
        pct(0.99),
        mean
    );
    if all.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
