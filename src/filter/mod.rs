//! THE SHELL — the only module that names `proxy_wasm`. It reads headers and bodies from the
//! host, hands them to an [`Exchange`](crate::exchange::Exchange) and applies the plain data
//! it returns through the host adapter ([`host`]). No translation logic lives here.

pub mod host;
mod http;
pub mod raw;

use std::cell::Cell;
use std::rc::Rc;
use std::time::UNIX_EPOCH;

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{ContextType, LogLevel};

use crate::config::Config;
use crate::env::{id_from_seed, Env};

#[cfg(target_arch = "wasm32")]
proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Root::default()) });
}}

/// Keeps `LogLevel` used on native builds too (the entry point is wasm-only).
#[allow(dead_code)]
const DEFAULT_LOG_LEVEL: LogLevel = LogLevel::Info;

/// The root context: parses the config once, creates one HTTP context per request.
#[derive(Default)]
pub struct Root {
    config: Option<Rc<Config>>,
    env: Rc<HostEnv>,
}

impl Context for Root {}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = self.get_plugin_configuration().unwrap_or_default();
        match Config::parse(&bytes) {
            Ok(cfg) => match crate::exchange::check_config(&cfg) {
                Ok(()) => {
                    for w in &cfg.warnings {
                        log::warn!("ai-proxy: {w}");
                    }
                    self.config = Some(Rc::new(cfg));
                    true
                }
                Err(e) => {
                    log::error!("ai-proxy: invalid configuration: {e}");
                    false
                }
            },
            Err(e) => {
                log::error!("ai-proxy: invalid configuration: {e}");
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        let cfg = self.config.clone()?;
        Some(Box::new(http::Http::new(cfg, self.env.clone())))
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// The host's clock and an id source (time + counter; ids need only be unique).
#[derive(Default)]
pub struct HostEnv {
    counter: Cell<u64>,
    /// The host, detected by the first request (one property read per VM, not per request:
    /// on Envoy every host call crosses the V8 boundary, docs/performance.md).
    host: Cell<Option<host::Host>>,
}

impl HostEnv {
    /// The host this VM runs in; `detect` runs once.
    fn host(&self, detect: impl FnOnce() -> host::Host) -> host::Host {
        if let Some(h) = self.host.get() {
            return h;
        }
        let h = detect();
        self.host.set(Some(h));
        h
    }

    fn nanos(&self) -> u64 {
        proxy_wasm::hostcalls::get_current_time()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
    }
}

impl Env for HostEnv {
    fn now_unix(&self) -> u64 {
        self.nanos() / 1_000_000_000
    }
    fn now_millis(&self) -> u64 {
        self.nanos() / 1_000_000
    }
    fn new_id(&self, prefix: &str) -> String {
        let n = self.counter.get().wrapping_add(1);
        self.counter.set(n);
        id_from_seed(prefix, self.nanos(), n)
    }
}
