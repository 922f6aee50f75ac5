//! The dev host (placeholder).
