//! The wasm glue: the compiled module (shared), linked with every `env.proxy_*` import the
//! Rust SDK 0.2.5 can reference (`imports.rs`) and the WASI preview1 calls a `wasm32-wasip1`
//! filter imports (`wasi.rs`), plus the guest-memory helpers those imports use.
//! Imports we do not implement are stubs that trap naming the import (`docs/hosts.md` §13).

use std::path::Path;
use std::sync::Arc;

use wasmtime::{Caller, Engine, Extern, InstancePre, Linker, Module};

use crate::abi::Status;
use crate::profile::Profile;
use crate::state::{Fail, HostResult, HostState};

/// The filter compiled once; cheap to clone, shared by every VM and test.
#[derive(Clone)]
pub struct FilterModule {
    pub(crate) engine: Engine,
    pub(crate) pre: Arc<InstancePre<HostState>>,
    /// Names of the module's imports (for reports).
    pub imports: Arc<Vec<String>>,
    /// Whether the module exports `proxy_abi_version_0_2_1` (an SDK filter is in it).
    pub is_proxy_wasm: bool,
}

impl std::fmt::Debug for FilterModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilterModule")
            .field("imports", &self.imports.len())
            .finish()
    }
}

impl FilterModule {
    /// Compiles a `.wasm` file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::from_bytes(&bytes)
    }

    /// Compiles module bytes and links every import.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let engine = Engine::default();
        let module =
            Module::new(&engine, bytes).map_err(|e| format!("cannot compile module: {e:#}"))?;
        let mut linker: Linker<HostState> = Linker::new(&engine);
        crate::imports::define(&mut linker).map_err(|e| format!("{e:#}"))?;
        crate::wasi::define(&mut linker).map_err(|e| format!("{e:#}"))?;
        let mut imports = Vec::new();
        let mut probe = wasmtime::Store::new(
            &engine,
            HostState::new(crate::HostOptions::new(Profile::Envoy)),
        );
        for imp in module.imports() {
            let (m, n) = (imp.module().to_string(), imp.name().to_string());
            imports.push(format!("{m}.{n}"));
            if linker.get_by_import(&mut probe, &imp).is_some() {
                continue;
            }
            if let wasmtime::ExternType::Func(ty) = imp.ty() {
                let label = format!("{m}.{n}");
                linker
                    .func_new(&m, &n, ty, move |_c, _p, _r| {
                        Err(wasmtime::format_err!(
                            "host trap: unimplemented import {label} called"
                        ))
                    })
                    .map_err(|e| format!("{e:#}"))?;
            }
        }
        let is_proxy_wasm = module
            .exports()
            .any(|e| e.name() == "proxy_abi_version_0_2_1");
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| format!("cannot link module: {e:#}"))?;
        Ok(Self {
            engine,
            pre: Arc::new(pre),
            imports: Arc::new(imports),
            is_proxy_wasm,
        })
    }
}

/// What an import's closure receives.
pub(crate) type C<'a> = Caller<'a, HostState>;
/// What an import returns (an `Err` is a trap).
pub(crate) type R<T> = wasmtime::Result<T>;

fn memory(c: &mut C<'_>) -> R<wasmtime::Memory> {
    match c.get_export("memory") {
        Some(Extern::Memory(m)) => Ok(m),
        _ => Err(wasmtime::format_err!("host trap: module exports no memory")),
    }
}

/// Reads guest bytes.
pub(crate) fn read(c: &mut C<'_>, ptr: u32, len: u32) -> R<Vec<u8>> {
    let mem = memory(c)?;
    let data = mem.data(&*c);
    let (s, e) = (ptr as usize, ptr as usize + len as usize);
    data.get(s..e)
        .map(|b| b.to_vec())
        .ok_or_else(|| wasmtime::format_err!("host trap: guest pointer out of bounds"))
}

/// Reads guest bytes as (lossy) UTF-8.
pub(crate) fn read_str(c: &mut C<'_>, ptr: u32, len: u32) -> R<String> {
    Ok(String::from_utf8_lossy(&read(c, ptr, len)?).into_owned())
}

/// Writes guest bytes.
pub(crate) fn write(c: &mut C<'_>, ptr: u32, bytes: &[u8]) -> R<()> {
    let mem = memory(c)?;
    mem.write(&mut *c, ptr as usize, bytes)
        .map_err(|_| wasmtime::format_err!("host trap: guest pointer out of bounds"))
}

pub(crate) fn write_u32(c: &mut C<'_>, ptr: u32, v: u32) -> R<()> {
    write(c, ptr, &v.to_le_bytes())
}

/// Allocates guest memory with the SDK's `proxy_on_memory_allocate` and copies `bytes` there,
/// writing the pointer and size where the guest asked.
pub(crate) fn give(c: &mut C<'_>, bytes: &[u8], ptr_ptr: u32, size_ptr: u32) -> R<()> {
    let alloc = match c.get_export("proxy_on_memory_allocate") {
        Some(Extern::Func(f)) => f.typed::<u32, u32>(&*c)?,
        _ => {
            return Err(wasmtime::format_err!(
                "host trap: module exports no proxy_on_memory_allocate"
            ))
        }
    };
    let p = alloc.call(&mut *c, bytes.len() as u32)?;
    write(c, p, bytes)?;
    write_u32(c, ptr_ptr, p)?;
    write_u32(c, size_ptr, bytes.len() as u32)
}

/// Turns a hostcall result into the status code, or a trap.
pub(crate) fn st<T>(c: &mut C<'_>, r: HostResult<T>) -> R<u32> {
    c.data_mut().host_calls += 1;
    match r {
        Ok(_) => Ok(Status::Ok as u32),
        Err(Fail::Status(s)) => Ok(s as u32),
        Err(Fail::Trap(m)) => {
            c.data_mut().host_log(format!("trap: {m}"));
            Err(wasmtime::format_err!("host trap: {m}"))
        }
    }
}
