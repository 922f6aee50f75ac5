//! ai-proxy: Kong's `ai-proxy` plugin as one proxy-wasm filter.
//!
//! The crate is split into a host-free **core** and a thin **shell**:
//!
//! - core: plain functions and structs, no host calls, tested natively with `cargo test`.
//!   It reads as layers; a module imports only from its own layer or those below it, and no
//!   two top-level modules import each other (`tests/architecture.rs` checks both):
//!
//!   | layer | modules |
//!   | ----- | ------- |
//!   | 0 | [`env`], [`error`], [`format`], [`upstream`] |
//!   | 1 | [`api`] |
//!   | 2 | [`config`], [`stream`] |
//!   | 3 | [`auth`], [`analytics`], [`routes`] |
//!   | 4 | [`providers`] |
//!   | 5 | [`exchange`] |
//!
//! - shell (layer 6): `filter` (only on `wasm32`), the only module that names `proxy_wasm`.
//!   It reads headers and bodies from the host, hands them to an [`exchange::Exchange`] and
//!   applies the plain-data steps it returns, with each host's rules (`docs/hosts.md`).
//!
//! Nothing in the request or response path may panic: a trap fails the request on Kong and
//! the whole VM on Envoy. The workspace lints deny `unwrap`, `expect`, `panic!` and indexing.

pub mod analytics;
pub mod api;
pub mod auth;
pub mod config;
pub mod env;
pub mod error;
pub mod exchange;
pub mod format;
pub mod providers;
pub mod routes;
pub mod stream;
pub mod upstream;

pub mod filter;
