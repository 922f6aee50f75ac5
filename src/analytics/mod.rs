//! Usage analytics (placeholder).
