//! Request-chosen text in the places it lands: URL path segments, query components, host names
//! and header values (docs/hostile-input.md "Injection").
//!
//! A value taken from the request (a header, a query argument, a URI capture, a client-chosen
//! model) must never reach another path, host, query parameter or header. Values for a path
//! segment or a query component are percent-encoded with RFC 3986's strict rule (every byte
//! outside the unreserved set `A-Z a-z 0-9 - . _ ~`, `%` included, so `%2F` cannot be smuggled
//! in already encoded); values that cannot be made safe by encoding are refused: control
//! characters anywhere (CR/LF would split a header), a host fragment outside `A-Z a-z 0-9 - .`,
//! and a whole path segment that is `.` or `..` (a dot segment is removed by every path
//! normaliser, including the upstream's and SigV4's, so it would climb out of its place).

/// Where a request-chosen value lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Part of a host name (or a port after `:`): `A-Z a-z 0-9 - .` only.
    Host,
    /// Part of one path segment: percent-encoded; `.` and `..` refused.
    Path,
    /// Part of a query name or value: percent-encoded.
    Query,
    /// A value the provider code encodes itself at its site (a Vertex project id, say):
    /// control characters and dot segments refused, the text kept as is.
    Segment,
    /// Anything else (a header value, a body field): control characters refused.
    Text,
}

/// Whether `s` holds an ASCII control character (CR, LF, NUL, TAB, DEL, …).
pub fn has_control(s: &str) -> bool {
    s.bytes().any(|b| b < 0x20 || b == 0x7f)
}

/// Whether `s` is a whole dot segment (`.` or `..`), which path normalisation removes.
pub fn is_dot_segment(s: &str) -> bool {
    s == "." || s == ".."
}

/// Whether `s` may be (part of) a host name: non-empty, `A-Z a-z 0-9 - .` only, no empty
/// label (`..`, or a `.` at either end).
pub fn is_host_fragment(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !s.contains("..")
        && !s.starts_with('.')
        && !s.ends_with('.')
}

/// RFC 3986 strict percent-encoding: every byte outside `A-Z a-z 0-9 - . _ ~` becomes `%XX`
/// (upper-case hex), so the result is one path segment or one query component.
pub fn component(s: &str) -> String {
    component_keeping(s, b"")
}

/// [`component`], keeping the listed bytes too (e.g. `@` in a Gemini model, `/` in a Hugging
/// Face `org/model` path).
pub fn component_keeping(s: &str, keep: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') || keep.contains(&b)
        {
            out.push(char::from(b));
        } else {
            out.push('%');
            for nibble in [b >> 4, b & 0x0f] {
                if let Some(d) = HEX.get(usize::from(nibble)) {
                    out.push(char::from(*d));
                }
            }
        }
    }
    out
}

/// The value made safe for `place`, or `None` when it must be refused.
pub fn for_place(value: &str, place: Place) -> Option<String> {
    if has_control(value) {
        return None;
    }
    match place {
        Place::Host => is_host_fragment(value).then(|| value.to_string()),
        Place::Path => (!is_dot_segment(value)).then(|| component(value)),
        Place::Query => Some(component(value)),
        Place::Segment => (!is_dot_segment(value)).then(|| value.to_string()),
        Place::Text => Some(value.to_string()),
    }
}

/// Where a placeholder sits in a URL template, from the text rendered before it (values
/// already rendered are escaped, so they cannot move the position). `start` is where the
/// template begins: [`UrlStart::Url`] for `scheme://…`, [`UrlStart::Host`] for a bare
/// `host[:port][/path]`, [`UrlStart::Path`] for a path.
pub fn place_in_url(before: &str, start: UrlStart) -> Place {
    let after_scheme = match start {
        UrlStart::Url => match before.find("://") {
            Some(i) => before.get(i + 3..).unwrap_or(""),
            // Still in the scheme (configs with a placeholder there are refused at configure
            // time); only a host fragment could be meant.
            None => return Place::Host,
        },
        UrlStart::Host => before,
        UrlStart::Path => {
            return if before.contains('?') {
                Place::Query
            } else {
                Place::Path
            }
        }
    };
    match after_scheme.find(['/', '?', '#']) {
        None => Place::Host,
        Some(_) if after_scheme.contains('?') || after_scheme.contains('#') => Place::Query,
        Some(_) => Place::Path,
    }
}

/// How a URL template starts (see [`place_in_url`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlStart {
    /// `scheme://host…`
    Url,
    /// `host[:port][/path]`
    Host,
    /// `/path[?query]`
    Path,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_strictly() {
        assert_eq!(component("a/b?c#d"), "a%2Fb%3Fc%23d");
        assert_eq!(component("%2F"), "%252F");
        assert_eq!(component("é "), "%C3%A9%20");
        assert_eq!(component_keeping("org/m@1", b"/@"), "org/m@1");
    }

    #[test]
    fn refuses_what_encoding_cannot_fix() {
        assert_eq!(for_place("a\r\nb", Place::Text), None);
        assert_eq!(for_place("..", Place::Path), None);
        assert_eq!(for_place("..", Place::Segment), None);
        assert_eq!(for_place("x.evil.com/", Place::Host), None);
        assert_eq!(for_place("a@b", Place::Host), None);
        assert_eq!(for_place("", Place::Host), None);
        assert_eq!(
            for_place("eastus-2", Place::Host).as_deref(),
            Some("eastus-2")
        );
        assert_eq!(for_place("..x", Place::Path).as_deref(), Some("..x"));
    }

    #[test]
    fn finds_the_place_in_a_url() {
        assert_eq!(place_in_url("http://", UrlStart::Url), Place::Host);
        assert_eq!(place_in_url("http://a.", UrlStart::Url), Place::Host);
        assert_eq!(place_in_url("http://a/v1/", UrlStart::Url), Place::Path);
        assert_eq!(place_in_url("http://a/v1?x=", UrlStart::Url), Place::Query);
        assert_eq!(place_in_url("http://a?x=", UrlStart::Url), Place::Query);
        assert_eq!(place_in_url("", UrlStart::Host), Place::Host);
        assert_eq!(place_in_url("h:8/", UrlStart::Host), Place::Path);
        assert_eq!(place_in_url("/v1/", UrlStart::Path), Place::Path);
        assert_eq!(place_in_url("/v1?a=", UrlStart::Path), Place::Query);
    }
}
