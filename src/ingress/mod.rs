//! Client formats other than OpenAI Chat Completions that the filter translates into the chat
//! pipeline and back: the OpenAI Responses API in front of chat-only providers
//! ([`responses`], docs/routes.md).

pub mod responses;
