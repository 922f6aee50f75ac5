//! The dev host: a proxy-wasm ABI 0.2.1 host on wasmtime 48 with an Envoy and a Kong profile
//! that follow `docs/hosts.md` rule by rule, plus the pieces built on it: the
//! `ai-gateway` dev binary, the mock providers (`mock`) and the end-to-end tests.
//!
//! Layers:
//! - [`state`], [`headers`], [`calls`]: hostcall semantics as plain Rust on [`HostState`]
//!   (unit-testable without wasm);
//! - [`wasm`], [`wasi`]: the glue that links those to a module's imports;
//! - [`vm`], [`stream`], [`response`], [`upstream`]: one VM, the per-request driver (which
//!   callback when, Pause, buffering, traps) and where the request goes;
//! - [`harness`]: a synchronous request runner for tests.
//!
//! No global state: a [`FilterModule`] is compiled once and shared; every [`Vm`] has its own
//! `Store`, so tests run in parallel.

pub mod abi;
pub mod background;
pub mod calls;
pub mod client;
pub mod envoy;
pub mod gateway;
pub mod harness;
pub mod headers;
mod imports;
pub mod mock;
pub mod nginx;
pub mod profile;
pub mod response;
pub mod state;
pub mod stream;
pub mod testing;
pub mod upstream;
pub mod vm;
pub mod wasi;
pub mod wasm;

pub use headers::RequestHead;
pub use profile::{HostOptions, Profile};
pub use response::Released;
pub use state::{CallResponse, HostState, HttpCall, LocalResponse, LogLine};
pub use stream::{Flow, UpstreamRequest};
pub use vm::{StartError, Trap, Vm};
pub use wasm::FilterModule;
