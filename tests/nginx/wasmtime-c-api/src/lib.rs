//! Re-exports every `extern "C"` function of `wasmtime-c-api-impl` so that the static library
//! built from this crate is `libwasmtime.a` with the C API (headers: the crate's `include/`).
pub use wasmtime_c_api::*;
