//! One VM: a fresh wasmtime `Store` + instance of the shared module, its root context, and the
//! calls into the filter's exports. The per-stream request/response driver is `crate::stream`.

use wasmtime::{Instance, Store, WasmParams, WasmResults};

use crate::profile::{HostOptions, Profile};
use crate::state::{CallResponse, HostState, LogLine, Phase};
use crate::wasm::FilterModule;

/// A trap (a Rust panic included) with everything the filter printed before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trap {
    /// Which callback trapped.
    pub callback: String,
    /// The engine's message.
    pub message: String,
    /// Captured log, panic message included.
    pub logs: String,
}

impl std::fmt::Display for Trap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "filter trapped in {}: {}\ncaptured log:\n{}",
            self.callback, self.message, self.logs
        )
    }
}

/// Why a VM could not start.
#[derive(Debug, Clone)]
pub enum StartError {
    /// The module could not be instantiated.
    Instantiate(String),
    /// `on_vm_start` or `on_configure` returned false: the filter refused its config.
    Refused {
        /// Captured log (the filter's reason is here).
        logs: String,
    },
    /// A start callback trapped.
    Trap(Trap),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Instantiate(m) => write!(f, "cannot instantiate the filter: {m}"),
            StartError::Refused { logs } => write!(f, "the filter refused its configuration (on_configure returned false)\ncaptured log:\n{logs}"),
            StartError::Trap(t) => write!(f, "{t}"),
        }
    }
}

/// A running filter VM (one per test, or one per gateway worker).
pub struct Vm {
    pub(crate) module: FilterModule,
    pub(crate) store: Store<HostState>,
    pub(crate) instance: Instance,
    pub(crate) next_ctx: u32,
    /// Envoy: the VM failed (a trap); every later stream gets 503 (docs/hosts.md §12).
    pub failed: Option<Trap>,
    /// Kong: an instance trapped; the next stream gets a fresh instance (ngx_wasm_module
    /// recycles a trapped instance; the trapping request got its 500).
    pub(crate) recycle: bool,
    pub(crate) drives: std::collections::HashMap<u32, crate::stream::Drive>,
}

impl std::fmt::Debug for Vm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vm")
            .field("profile", &self.profile())
            .field("failed", &self.failed.is_some())
            .finish()
    }
}

impl Vm {
    /// Instantiates the module, runs `_initialize`, creates the root context and runs
    /// `on_vm_start` and `on_configure`.
    pub fn start(module: &FilterModule, opts: HostOptions) -> Result<Vm, StartError> {
        let mut store = Store::new(&module.engine, HostState::new(opts));
        let instance = module
            .pre
            .instantiate(&mut store)
            .map_err(|e| StartError::Instantiate(format!("{e:#}")))?;
        let mut vm = Vm {
            module: module.clone(),
            store,
            instance,
            next_ctx: 2,
            failed: None,
            recycle: false,
            drives: Default::default(),
        };
        vm.boot()?;
        Ok(vm)
    }

    fn boot(&mut self) -> Result<(), StartError> {
        let root = self.state().root_id;
        self.call::<(), ()>(root, Phase::Idle, "_initialize", ())
            .map_err(StartError::Trap)?;
        self.call::<(u32, u32), ()>(root, Phase::Idle, "proxy_on_context_create", (root, 0))
            .map_err(StartError::Trap)?;
        let vm_len = self.state().opts.vm_config.len() as u32;
        let ok = self
            .call::<(u32, u32), u32>(root, Phase::VmStart, "proxy_on_vm_start", (root, vm_len))
            .map_err(StartError::Trap)?;
        if ok == Some(0) {
            return Err(StartError::Refused {
                logs: self.state().log_text(),
            });
        }
        let cfg_len = self.state().opts.plugin_config.len() as u32;
        let ok = self
            .call::<(u32, u32), u32>(
                root,
                Phase::Configure,
                "proxy_on_configure",
                (root, cfg_len),
            )
            .map_err(StartError::Trap)?;
        if ok == Some(0) {
            return Err(StartError::Refused {
                logs: self.state().log_text(),
            });
        }
        Ok(())
    }

    /// Kong: replaces a trapped instance by a fresh one with the same options (logs kept).
    pub(crate) fn reinstantiate(&mut self) -> Result<(), StartError> {
        let opts = self.state().opts.clone();
        let old_logs = std::mem::take(&mut self.store.data_mut().logs);
        let mut store = Store::new(&self.module.engine, HostState::new(opts));
        store.data_mut().logs = old_logs;
        store
            .data_mut()
            .host_log("[kong] instance recycled after a trap");
        let instance = self
            .module
            .pre
            .instantiate(&mut store)
            .map_err(|e| StartError::Instantiate(format!("{e:#}")))?;
        self.store = store;
        self.instance = instance;
        self.next_ctx = 2;
        self.drives.clear();
        self.recycle = false;
        self.boot()
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        self.store.data().opts.profile
    }

    /// Host state (read).
    pub fn state(&self) -> &HostState {
        self.store.data()
    }

    /// Host state (write), for tests that set up odd situations.
    pub fn state_mut(&mut self) -> &mut HostState {
        self.store.data_mut()
    }

    /// The size of the filter's linear memory (`memory` export), in bytes; 0 without one.
    pub fn memory_bytes(&mut self) -> usize {
        match self.instance.get_memory(&mut self.store, "memory") {
            Some(m) => m.data_size(&self.store),
            None => 0,
        }
    }

    /// Captured log lines so far.
    pub fn logs(&self) -> &[LogLine] {
        &self.store.data().logs
    }

    /// Host calls (`proxy_*` imports) the module made since the VM started.
    pub fn host_calls(&self) -> u64 {
        self.store.data().host_calls
    }

    /// Captured log as text (for assertion messages).
    pub fn log_text(&self) -> String {
        self.store.data().log_text()
    }

    /// Calls an export in context `ctx` during `phase`. `Ok(None)` if the module does not
    /// export it. A trap comes back with the captured log.
    pub(crate) fn call<P: WasmParams, Res: WasmResults>(
        &mut self,
        ctx: u32,
        phase: Phase,
        name: &str,
        params: P,
    ) -> Result<Option<Res>, Trap> {
        let Some(f) = self.instance.get_func(&mut self.store, name) else {
            return Ok(None);
        };
        let typed = f.typed::<P, Res>(&self.store).map_err(|e| Trap {
            callback: name.to_string(),
            message: format!("export has an unexpected signature: {e:#}"),
            logs: String::new(),
        })?;
        {
            let st = self.store.data_mut();
            st.current = ctx;
            st.phase = phase;
        }
        let r = typed.call(&mut self.store, params);
        let st = self.store.data_mut();
        st.phase = Phase::Idle;
        st.current = st.root_id;
        st.call_response = None;
        match r {
            Ok(v) => Ok(Some(v)),
            Err(e) => {
                st.flush_fds();
                let message = format!("{e:#}");
                st.host_log(format!(
                    "trap in {name}: {}",
                    message.lines().next().unwrap_or("")
                ));
                Err(Trap {
                    callback: name.to_string(),
                    message,
                    logs: st.log_text(),
                })
            }
        }
    }

    /// Runs `on_tick` on the root context (the embedder calls it every `tick_period_ms`).
    pub fn tick(&mut self) -> Result<(), Trap> {
        let root = self.state().root_id;
        let r = self.call::<u32, ()>(root, Phase::Tick, "proxy_on_tick", root);
        self.advance_all();
        self.after_root_trap(r.map(|_| ()))
    }

    fn after_root_trap(&mut self, r: Result<(), Trap>) -> Result<(), Trap> {
        if let Err(t) = &r {
            match self.profile() {
                Profile::Envoy => self.failed = Some(t.clone()),
                Profile::Kong => self.recycle = true,
            }
        }
        r
    }

    /// Tick period the filter asked for.
    pub fn tick_period_ms(&self) -> Option<u32> {
        self.state().tick_period_ms
    }

    /// Takes the dispatched calls the host has not answered yet.
    pub fn take_calls(&mut self) -> Vec<crate::state::HttpCall> {
        std::mem::take(&mut self.store.data_mut().calls)
    }

    /// Whether any dispatched call is waiting.
    pub fn has_calls(&self) -> bool {
        !self.state().calls.is_empty()
    }

    /// Delivers the answer to a dispatched call (`None` = the call failed: Kong adds a
    /// `:dispatch_status` pseudo-header, docs/hosts.md §11; Envoy gives no headers, §11).
    pub fn deliver_call(
        &mut self,
        call: &crate::state::HttpCall,
        answer: Option<CallResponse>,
    ) -> Result<(), Trap> {
        let (resp, nh) = match answer {
            Some(r) => {
                let n = r.headers.len() as u32;
                (r, n)
            }
            None => {
                let mut r = CallResponse::default();
                if self.profile() == Profile::Kong {
                    r.headers
                        .push((":dispatch_status".into(), b"broken connection".to_vec()));
                }
                (r, 0)
            }
        };
        let (nb, nt) = (resp.body.len() as u32, resp.trailers.len() as u32);
        let ctx = call.context_id;
        if ctx != self.state().root_id && !self.state().streams.contains_key(&ctx) {
            return Ok(()); // the stream is gone
        }
        self.store.data_mut().call_response = Some(resp);
        let r = self.call_with_response(ctx, call.token, nh, nb, nt);
        if ctx == self.state().root_id {
            self.advance_all();
            return self.after_root_trap(r);
        }
        match r {
            Ok(()) => {
                self.advance(ctx);
                // The callback may have resumed (or answered) other streams through
                // `proxy_set_effective_context` (a shared token fetch).
                self.advance_all();
                Ok(())
            }
            Err(t) => {
                self.stream_trapped(ctx, t.clone());
                Err(t)
            }
        }
    }

    fn call_with_response(
        &mut self,
        ctx: u32,
        token: u32,
        nh: u32,
        nb: u32,
        nt: u32,
    ) -> Result<(), Trap> {
        // Like `call`, but `call_response` must stay set while the callback runs.
        let Some(f) = self
            .instance
            .get_func(&mut self.store, "proxy_on_http_call_response")
        else {
            return Ok(());
        };
        let typed = f
            .typed::<(u32, u32, u32, u32, u32), ()>(&self.store)
            .map_err(|e| Trap {
                callback: "proxy_on_http_call_response".into(),
                message: format!("{e:#}"),
                logs: String::new(),
            })?;
        {
            let st = self.store.data_mut();
            st.current = ctx;
            st.phase = Phase::HttpCallResponse;
        }
        let r = typed.call(&mut self.store, (ctx, token, nh, nb, nt));
        let st = self.store.data_mut();
        st.phase = Phase::Idle;
        st.current = st.root_id;
        st.call_response = None;
        r.map_err(|e| {
            st.flush_fds();
            let message = format!("{e:#}");
            st.host_log(format!(
                "trap in proxy_on_http_call_response: {}",
                message.lines().next().unwrap_or("")
            ));
            Trap {
                callback: "proxy_on_http_call_response".into(),
                message,
                logs: st.log_text(),
            }
        })
    }
}

impl Vm {
    /// Takes the captured log lines (long-running embedders print and drop them).
    pub fn drain_logs(&mut self) -> Vec<LogLine> {
        std::mem::take(&mut self.store.data_mut().logs)
    }
}

impl Vm {
    /// Takes the unanswered calls made by context `ctx` only (concurrent streams keep theirs).
    pub fn take_calls_for(&mut self, ctx: u32) -> Vec<crate::state::HttpCall> {
        let calls = &mut self.store.data_mut().calls;
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(calls)
            .into_iter()
            .partition(|c| c.context_id == ctx);
        *calls = rest;
        mine
    }
}

impl Vm {
    /// Kong: the dispatches stream `ctx` made are all answered. ngx_wasm_module then resumes
    /// the request, whatever its step returned (the chain goes on as after `Continue`;
    /// `ngx_http_proxy_wasm_dispatch.c`, the resume handler's end): a headers step that paused
    /// on a token call gets its body step without `proxy_continue_stream` (docs/hosts.md §17).
    pub fn dispatches_done(&mut self, ctx: u32) {
        if self.profile() != Profile::Kong || ctx == self.state().root_id {
            return;
        }
        if self.state().calls.iter().any(|c| c.context_id == ctx) {
            return;
        }
        match self.store.data_mut().streams.get_mut(&ctx) {
            Some(s) => s.request_resumed = true,
            None => return,
        }
        self.advance(ctx);
    }

    /// Applies the resumes made on any stream (e.g. from another stream's callback).
    pub fn advance_all(&mut self) {
        let ids: Vec<u32> = self.state().streams.keys().copied().collect();
        for id in ids {
            self.advance(id);
        }
    }
}
