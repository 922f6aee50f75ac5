//! Reading the parts of a `multipart/form-data` body (RFC 7578) without changing or copying
//! the body: a text field's value for pinning, or the files of an image edit to translate.

/// The `boundary` parameter of a `multipart/form-data` content type (quotes removed).
pub fn boundary(content_type: &str) -> Option<&str> {
    let mut parts = content_type.split(';');
    let base = parts.next()?.trim();
    if !base.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let v = v.trim().trim_matches('"');
        (!v.is_empty()).then_some(v)
    })
}

/// One part of a form: its field name, its file name when it is a file, its own
/// `Content-Type`, and its bytes (borrowed from the body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'a> {
    /// `name` of the `Content-Disposition`.
    pub name: &'a str,
    /// `filename`, for a file part.
    pub filename: Option<&'a str>,
    /// The part's `Content-Type`, if it has one.
    pub content_type: Option<&'a str>,
    /// The value.
    pub value: &'a [u8],
}

/// The parts of a form, in order, up to the closing delimiter or the first part that is not
/// well formed (a cut body yields the parts before the cut).
pub fn parts<'a>(content_type: &str, body: &'a [u8]) -> Vec<Part<'a>> {
    let mut out = Vec::new();
    let Some(boundary) = boundary(content_type) else {
        return out;
    };
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    // Skip the preamble up to the first delimiter.
    let Some(mut rest) = find(body, delimiter).and_then(|s| body.get(s + delimiter.len()..)) else {
        return out;
    };
    while !rest.starts_with(b"--") {
        let Some(part) = next_part(&mut rest, delimiter) else {
            break;
        };
        out.push(part);
    }
    out
}

/// The part at the start of `rest` (which follows a delimiter); `rest` moves past the next one.
fn next_part<'a>(rest: &mut &'a [u8], delimiter: &[u8]) -> Option<Part<'a>> {
    let end = find(rest, delimiter)?;
    let part = rest.get(..end)?;
    *rest = rest.get(end + delimiter.len()..)?;
    let part = part.strip_prefix(b"\r\n").unwrap_or(part);
    let split = find(part, b"\r\n\r\n")?;
    let head = std::str::from_utf8(part.get(..split)?).ok()?;
    let value = part.get(split + 4..)?;
    let value = value.strip_suffix(b"\r\n").unwrap_or(value);
    Some(Part {
        name: disposition_param(head, "name")?,
        filename: disposition_param(head, "filename"),
        content_type: header(head, "content-type"),
        value,
    })
}

/// The value of the form field `name` (the first one), if it is present and valid UTF-8.
/// A part with a `filename` is a file, never a field value.
pub fn field(content_type: &str, body: &[u8], name: &str) -> Option<String> {
    parts(content_type, body)
        .into_iter()
        .find(|p| p.name == name && p.filename.is_none())
        .and_then(|p| std::str::from_utf8(p.value).ok().map(str::to_string))
}

/// A header of a part's head, by name (any case).
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// A parameter (`name`, `filename`) of a part's `Content-Disposition` header.
fn disposition_param<'a>(head: &'a str, param: &str) -> Option<&'a str> {
    header(head, "content-disposition")?
        .split(';')
        .find_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k.trim() == param).then(|| v.trim().trim_matches('"'))
        })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    // The shape of RFC 7578 §4 examples, with the fields OpenAI's transcription API takes.
    const BODY: &[u8] = b"--AaB03x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.mp3\"\r\nContent-Type: audio/mpeg\r\n\r\nID3\x00\x01model\r\n--AaB03x\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1\r\n--AaB03x\r\nContent-Disposition: form-data; name=\"stream\"\r\n\r\ntrue\r\n--AaB03x--\r\n";

    #[test]
    fn reads_fields() {
        let ct = "multipart/form-data; boundary=AaB03x";
        assert_eq!(field(ct, BODY, "model").as_deref(), Some("whisper-1"));
        assert_eq!(field(ct, BODY, "stream").as_deref(), Some("true"));
        assert_eq!(field(ct, BODY, "file"), None);
        assert_eq!(field(ct, BODY, "language"), None);
        assert_eq!(
            field("multipart/form-data; boundary=\"AaB03x\"", BODY, "model").as_deref(),
            Some("whisper-1")
        );
        assert_eq!(field("application/json", BODY, "model"), None);
        assert_eq!(field(ct, &BODY[..40], "model"), None);
        for cut in 0..BODY.len() {
            let _ = field(ct, &BODY[..cut], "model");
        }
    }

    #[test]
    fn reads_file_parts() {
        let ct = "multipart/form-data; boundary=AaB03x";
        let all = parts(ct, BODY);
        assert_eq!(all.len(), 3);
        assert_eq!(
            all[0],
            Part {
                name: "file",
                filename: Some("a.mp3"),
                content_type: Some("audio/mpeg"),
                value: b"ID3\x00\x01model",
            }
        );
        assert_eq!((all[2].name, all[2].value), ("stream", &b"true"[..]));
        // A cut body: the parts before the cut.
        assert_eq!(parts(ct, &BODY[..BODY.len() - 40]).len(), 2);
    }
}
