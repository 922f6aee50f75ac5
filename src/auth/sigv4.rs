//! Placeholder SigV4.
