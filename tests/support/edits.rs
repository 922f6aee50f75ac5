//! Reading the upstream request the exchange built (`RequestEdits`): its URL, a header it
//! sets, its JSON body.

use ai_proxy::exchange::RequestEdits;
use serde_json::Value;

/// `scheme://authority/path?query` of the upstream request.
pub fn url(e: &RequestEdits) -> String {
    format!(
        "{}://{}{}",
        e.target.scheme.as_str(),
        e.target.authority(),
        e.path_and_query()
    )
}

/// A header the exchange sets (names are lowercase).
pub fn header<'a>(e: &'a RequestEdits, name: &str) -> Option<&'a str> {
    e.set_headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The body the exchange sends, as JSON.
pub fn body(e: &RequestEdits) -> Value {
    serde_json::from_slice(e.body.as_ref().expect("body")).expect("json body")
}
