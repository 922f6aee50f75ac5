//! Placeholder chunk emitter.
