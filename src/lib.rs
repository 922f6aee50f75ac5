//! ai-proxy: Kong's `ai-proxy` plugin as one proxy-wasm filter.
//!
//! The crate is split into a host-free **core** and a thin **shell**:
//!
//! - core: [`config`], [`api`], [`providers`], [`stream`], [`auth`], [`analytics`],
//!   [`exchange`], [`error`], [`escape`], [`env`]. Plain functions and structs, no host calls, tested
//!   natively with `cargo test`.
//! - shell: `filter` (only on `wasm32`), the only module that names `proxy_wasm`. It reads
//!   headers and bodies from the host, hands them to an [`exchange::Exchange`] and applies the
//!   plain-data steps it returns, with each host's rules (`../shared/spec/hosts.md` §3).
//!
//! Nothing in the request or response path may panic: a trap fails the request on Kong and
//! the whole VM on Envoy. The workspace lints deny `unwrap`, `expect`, `panic!` and indexing.

pub mod analytics;
pub mod api;
pub mod auth;
pub mod config;
pub mod env;
pub mod error;
pub mod escape;
pub mod exchange;
pub mod providers;
pub mod stream;

pub mod filter;
