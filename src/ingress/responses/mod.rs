//! `llm/v1/responses` in front of providers without a Responses API (Anthropic, Gemini,
//! Bedrock, Cohere, the OpenAI-compatible chat family, …): the request becomes a Chat
//! Completions request that the provider's chat translation handles, and the chat answer
//! (JSON or chunk stream) becomes a Responses answer (docs/routes.md, "Responses on chat
//! providers").
//!
//! The filter keeps no state between requests, so `previous_response_id` (and retrieving or
//! deleting stored responses) is refused with a 400 that says why.

pub mod request;
pub mod response;
pub mod stream;

pub use request::to_chat;
pub use response::from_chat;
pub use stream::ChatToResponses;
