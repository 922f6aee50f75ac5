//! Golden fixtures of the OpenAI-compatible family (filled by the foundation work).
mod support;
