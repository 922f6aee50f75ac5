//! The proxy-wasm shell (placeholder).
