//! API chunk types (placeholder).
