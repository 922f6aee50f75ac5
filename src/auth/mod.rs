//! Credentials: header, query or body parameter with `allow_override` (kong-ai-proxy.md §4.9),
//! and AWS SigV4 signing (`sigv4`).

pub mod sigv4;
