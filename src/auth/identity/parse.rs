//! Small parsers for token answers: RFC 3339 times, the few XML elements of an STS answer,
//! form encoding, and error summaries that never carry a secret.

use crate::auth::encode_query_value;

/// `application/x-www-form-urlencoded` body from pairs (RFC 3986 unreserved kept).
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_query_value(k), encode_query_value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Unix seconds of an RFC 3339 UTC time such as `2019-11-09T13:34:41Z` (fractions and an
/// offset of `Z`/`+00:00` accepted; other offsets applied).
pub fn rfc3339(s: &str) -> Option<u64> {
    let s = s.trim();
    let (date, time) = s.split_once(['T', 't', ' '])?;
    let mut d = date.split('-');
    let y: i64 = d.next()?.parse().ok()?;
    let mo: i64 = d.next()?.parse().ok()?;
    let da: i64 = d.next()?.parse().ok()?;
    let (clock, offset_s) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
        (c, 0i64)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let (c, off) = time.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off.get(1..)?.split_once(':')?;
        let o = oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60;
        (c, sign * o)
    } else {
        (time, 0)
    };
    let clock = clock.split('.').next()?;
    let mut c = clock.split(':');
    let h: i64 = c.next()?.parse().ok()?;
    let mi: i64 = c.next()?.parse().ok()?;
    let se: i64 = c.next().unwrap_or("0").parse().ok()?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, da);
    let t = days * 86_400 + h * 3600 + mi * 60 + se - offset_s;
    u64::try_from(t).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The text of the first `<name>…</name>` element (entities decoded), if any.
pub fn xml_text(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let rest = xml.get(start..)?;
    let end = rest.find(&close)?;
    let raw = rest.get(..end)?.trim();
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// Replaces every known secret in `text` and cuts it to a readable length.
pub fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if !s.is_empty() {
            out = out.replace(s, "<redacted>");
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().count() > 300 {
        let cut: String = out.chars().take(300).collect();
        format!("{cut}…")
    } else {
        out
    }
}

/// What a token endpoint said when it refused: OAuth's `error`/`error_description`, Google's
/// `error.message`, STS's `<Code>`/`<Message>`, else the start of the body.
pub fn error_summary(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let s = |p: &str| v.pointer(p).and_then(serde_json::Value::as_str);
        let code = s("/error")
            .or_else(|| s("/error/status"))
            .or_else(|| s("/Code"));
        let msg = s("/error_description")
            .or_else(|| s("/error/message"))
            .or_else(|| s("/message"))
            .or_else(|| s("/Message"));
        match (code, msg) {
            (Some(c), Some(m)) => return format!("{c}: {m}"),
            (Some(c), None) => return c.to_string(),
            (None, Some(m)) => return m.to_string(),
            (None, None) => {}
        }
    }
    if let Some(code) = xml_text(&text, "Code") {
        return match xml_text(&text, "Message") {
            Some(m) => format!("{code}: {m}"),
            None => code,
        };
    }
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        // 2019-11-09T13:34:41Z is the Expiration of the AssumeRole example in the STS API
        // reference; 1573306481 computed independently (date -u -d … +%s).
        assert_eq!(rfc3339("2019-11-09T13:34:41Z"), Some(1_573_306_481));
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339("2019-11-09T14:34:41+01:00"), Some(1_573_306_481));
        assert_eq!(rfc3339("2019-11-09T13:34:41.123Z"), Some(1_573_306_481));
        assert_eq!(rfc3339("not a time"), None);
        assert_eq!(rfc3339("2019-13-09T13:34:41Z"), None);
    }

    #[test]
    fn xml_and_errors() {
        let xml = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized &amp; so on</Message></Error></ErrorResponse>";
        assert_eq!(
            error_summary(xml.as_bytes()),
            "AccessDenied: User is not authorized & so on"
        );
        assert_eq!(
            error_summary(br#"{"error":"invalid_client","error_description":"AADSTS7000215"}"#),
            "invalid_client: AADSTS7000215"
        );
        assert_eq!(scrub("key s3cr3t here", &["s3cr3t"]), "key <redacted> here");
        assert_eq!(form(&[("a b", "c/d")]), "a%20b=c%2Fd");
    }
}
