//! THE SHELL — the only module that names `proxy_wasm`. It reads headers and bodies from the
//! host, hands them to an [`Exchange`](crate::exchange::Exchange) and applies the plain data
//! it returns through the host adapter ([`host`]). No translation logic lives here.

pub mod host;
mod http;
mod identity;
pub mod metrics;
pub mod raw;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::UNIX_EPOCH;

use proxy_wasm::traits::{Context, HttpContext, RootContext};
use proxy_wasm::types::{ContextType, LogLevel};

use crate::config::Config;
use crate::env::{id_from_seed, Env};

#[cfg(target_arch = "wasm32")]
proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|id| -> Box<dyn RootContext> {
        Box::new(Root {
            id,
            ..Root::default()
        })
    });
}}

/// Keeps `LogLevel` used on native builds too (the entry point is wasm-only).
#[allow(dead_code)]
const DEFAULT_LOG_LEVEL: LogLevel = LogLevel::Info;

/// The root context: parses the config once, creates one HTTP context per request.
#[derive(Default)]
pub struct Root {
    id: u32,
    config: Option<Rc<Config>>,
    env: Rc<HostEnv>,
    /// Metric ids and model labels, shared by every request of this VM.
    metrics: Rc<RefCell<metrics::Registry>>,
    /// The token cache, when the config uses a cloud identity.
    identity: Option<Rc<identity::Shared>>,
}

impl Context for Root {
    fn on_http_call_response(
        &mut self,
        token_id: u32,
        _num_headers: usize,
        body_size: usize,
        _num_trailers: usize,
    ) {
        if let Some(shared) = self.identity.clone() {
            identity::on_answer(self, &shared, self.id, token_id, body_size);
        }
    }
}

impl RootContext for Root {
    fn on_configure(&mut self, _size: usize) -> bool {
        let bytes = self.get_plugin_configuration().unwrap_or_default();
        match Config::parse(&bytes) {
            Ok(cfg) => match crate::exchange::check_config(&cfg) {
                Ok(()) => {
                    for w in &cfg.warnings {
                        log::warn!("ai-proxy: {w}");
                    }
                    let spec = crate::auth::identity::IdentitySpec::from_config(&cfg.raw)
                        .ok()
                        .flatten();
                    self.identity = spec.map(|spec| {
                        log::info!(
                            "ai-proxy: credentials from a cloud identity: {}",
                            spec.source.kind()
                        );
                        if let Some(w) = spec.warning() {
                            log::warn!("ai-proxy: {w}");
                        }
                        Rc::new(identity::Shared::new(Rc::new(spec), cfg.raw.llm_format))
                    });
                    if self.identity.is_some() {
                        if let Err(e) = raw::set_tick_period(identity::TICK_MS) {
                            log::warn!(
                                "ai-proxy: host refused a tick period (status {}): credentials will not be refreshed before they expire",
                                e.0
                            );
                        }
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

    fn create_http_context(&self, context_id: u32) -> Option<Box<dyn HttpContext>> {
        let cfg = self.config.clone()?;
        Some(Box::new(http::Http::new(
            cfg,
            self.env.clone(),
            self.metrics.clone(),
            context_id,
            self.identity.clone(),
        )))
    }

    fn on_tick(&mut self) {
        let Some(shared) = self.identity.clone() else {
            return;
        };
        let work = shared.cache.borrow_mut().tick(identity::now_ms());
        for (e, waiters) in work.timed_out {
            identity::fail_waiters(&shared, self.id, &e, waiters);
        }
        if let Some((fetch, call)) = work.refresh {
            log::info!("ai-proxy: cloud identity: refreshing the credential before it expires");
            identity::dispatch(self, &shared, self.id, fetch, &call);
        }
    }

    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }
}

/// The host's clock and an id source (time + counter; ids need only be unique).
#[derive(Default)]
pub struct HostEnv {
    counter: Cell<u64>,
    /// The host's `plugin_name` property, read once (`ai.proxy.meta.plugin_id`).
    plugin_id: RefCell<Option<Option<String>>>,
    /// The host, detected by the first request (one property read per VM, not per request:
    /// on Envoy every host call crosses the V8 boundary, docs/performance.md).
    host: Cell<Option<host::Host>>,
}

impl HostEnv {
    /// The plugin id, read from the host the first time (`read` is the property read).
    fn plugin_id(&self, read: impl FnOnce() -> Option<String>) -> Option<String> {
        let Ok(mut cached) = self.plugin_id.try_borrow_mut() else {
            return None;
        };
        cached.get_or_insert_with(read).clone()
    }

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
