//! Placeholder incremental gzip inflater.
