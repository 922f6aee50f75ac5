//! Reading one text field of a `multipart/form-data` body (RFC 7578) without changing or
//! copying the body: the bytes go upstream unchanged, only the field's value is returned.

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

/// The value of the form field `name` (the first one), if it is present and valid UTF-8.
/// A part with a `filename` is a file, never a field value.
pub fn field(content_type: &str, body: &[u8], name: &str) -> Option<String> {
    let boundary = boundary(content_type)?;
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut rest = body;
    // Skip the preamble up to the first delimiter.
    let start = find(rest, delimiter)?;
    rest = rest.get(start + delimiter.len()..)?;
    loop {
        if rest.starts_with(b"--") {
            return None; // closing delimiter
        }
        let end = find(rest, delimiter)?;
        let part = rest.get(..end)?;
        rest = rest.get(end + delimiter.len()..)?;
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let split = find(part, b"\r\n\r\n")?;
        let head = std::str::from_utf8(part.get(..split)?).ok()?;
        let value = part.get(split + 4..)?;
        let value = value.strip_suffix(b"\r\n").unwrap_or(value);
        if part_name(head) == Some(name) && !head.to_ascii_lowercase().contains("filename") {
            return std::str::from_utf8(value).ok().map(str::to_string);
        }
    }
}

/// The `name` of a part from its `Content-Disposition` header.
fn part_name(head: &str) -> Option<&str> {
    head.split("\r\n").find_map(|line| {
        let (k, v) = line.split_once(':')?;
        if !k.trim().eq_ignore_ascii_case("content-disposition") {
            return None;
        }
        v.split(';').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k.trim() == "name").then(|| v.trim().trim_matches('"'))
        })
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
}
