//! The per-request state machine (placeholder).
