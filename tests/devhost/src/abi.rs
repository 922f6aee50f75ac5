//! proxy-wasm ABI 0.2.1 constants and the header-map wire encoding
//! (`proxy-wasm/spec:abi-versions/v0.2.1/README.md`, "Serialization"; the SDK 0.2.5
//! `src/types.rs` uses the same numbers).

/// Hostcall result codes (`proxy_status_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// The thing asked for does not exist (SDK getters map it to `None`).
    NotFound = 1,
    /// Arguments rejected (most SDK setters panic on it).
    BadArgument = 2,
    /// Value could not be serialized.
    SerializationFailure = 3,
    /// Value could not be parsed.
    ParseFailure = 4,
    /// Queue is empty.
    Empty = 7,
    /// Compare-and-swap mismatch on shared data.
    CasMismatch = 8,
    /// Host-side failure.
    InternalFailure = 10,
    /// The host does not implement the call.
    Unimplemented = 12,
}

/// `proxy_buffer_type_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferType {
    /// Request body.
    HttpRequestBody,
    /// Response body.
    HttpResponseBody,
    /// L4 downstream data.
    DownstreamData,
    /// L4 upstream data.
    UpstreamData,
    /// Body of a `dispatch_http_call` answer.
    HttpCallResponseBody,
    /// gRPC message.
    GrpcReceiveBuffer,
    /// VM configuration (`on_vm_start`).
    VmConfiguration,
    /// Plugin configuration (`on_configure`).
    PluginConfiguration,
    /// Foreign-function call data.
    CallData,
}

impl BufferType {
    /// Decodes the wire number.
    pub fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            0 => Self::HttpRequestBody,
            1 => Self::HttpResponseBody,
            2 => Self::DownstreamData,
            3 => Self::UpstreamData,
            4 => Self::HttpCallResponseBody,
            5 => Self::GrpcReceiveBuffer,
            6 => Self::VmConfiguration,
            7 => Self::PluginConfiguration,
            8 => Self::CallData,
            _ => return None,
        })
    }
}

/// `proxy_map_type_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapType {
    /// Request headers (pseudo-headers included).
    HttpRequestHeaders,
    /// Request trailers.
    HttpRequestTrailers,
    /// Response headers (`:status` included).
    HttpResponseHeaders,
    /// Response trailers.
    HttpResponseTrailers,
    /// gRPC initial metadata.
    GrpcReceiveInitialMetadata,
    /// gRPC trailing metadata.
    GrpcReceiveTrailingMetadata,
    /// Headers of a `dispatch_http_call` answer.
    HttpCallResponseHeaders,
    /// Trailers of a `dispatch_http_call` answer.
    HttpCallResponseTrailers,
}

impl MapType {
    /// Decodes the wire number.
    pub fn from_u32(v: u32) -> Option<Self> {
        Some(match v {
            0 => Self::HttpRequestHeaders,
            1 => Self::HttpRequestTrailers,
            2 => Self::HttpResponseHeaders,
            3 => Self::HttpResponseTrailers,
            4 => Self::GrpcReceiveInitialMetadata,
            5 => Self::GrpcReceiveTrailingMetadata,
            6 => Self::HttpCallResponseHeaders,
            7 => Self::HttpCallResponseTrailers,
            _ => return None,
        })
    }
}

/// Filter callback result (`proxy_action_t`): `Continue = 0`, `Pause = 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Let the stream go on.
    Continue,
    /// Stop here (meaning depends on host and step, see docs/hosts.md §5, §9).
    Pause,
}

impl Action {
    /// Decodes the wire number; anything but 0 is treated as Pause (as cpp-host does for
    /// non-Continue values).
    pub fn from_i32(v: i32) -> Self {
        if v == 0 {
            Self::Continue
        } else {
            Self::Pause
        }
    }
}

/// Log levels (`proxy_log_level_t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// trace
    Trace,
    /// debug
    Debug,
    /// info
    Info,
    /// warn
    Warn,
    /// error
    Error,
    /// critical
    Critical,
}

impl LogLevel {
    /// Decodes the wire number (unknown numbers are treated as critical so they are seen).
    pub fn from_u32(v: u32) -> Self {
        match v {
            0 => Self::Trace,
            1 => Self::Debug,
            2 => Self::Info,
            3 => Self::Warn,
            4 => Self::Error,
            _ => Self::Critical,
        }
    }

    /// Short lowercase name for log lines.
    pub fn name(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }
}

/// A header map as the host holds it: ordered (name, value) pairs, names lowercase.
pub type HeaderPairs = Vec<(String, Vec<u8>)>;

/// Serializes pairs as the ABI expects: u32 count, then (u32 key len, u32 value len) per pair,
/// then each key and value NUL-terminated; all integers little-endian.
pub fn serialize_map(pairs: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v);
        out.push(0);
    }
    out
}

/// Parses the ABI map encoding; `None` if the bytes are malformed.
pub fn deserialize_map(bytes: &[u8]) -> Option<HeaderPairs> {
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let u32_at = |at: usize| -> Option<usize> {
        let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(u32::from_le_bytes(b) as usize)
    };
    let n = u32_at(0)?;
    let mut sizes = Vec::with_capacity(n.min(1024));
    for i in 0..n {
        let base = 4 + i.checked_mul(8)?;
        sizes.push((u32_at(base)?, u32_at(base + 4)?));
    }
    let mut pos = 4 + n.checked_mul(8)?;
    let mut out = Vec::with_capacity(sizes.len());
    for (kl, vl) in sizes {
        let k = bytes.get(pos..pos.checked_add(kl)?)?;
        pos += kl + 1;
        let v = bytes.get(pos..pos.checked_add(vl)?)?;
        pos += vl + 1;
        out.push((String::from_utf8_lossy(k).into_owned(), v.to_vec()));
    }
    Some(out)
}

/// Splits a property path (parts separated by NUL, `proxy-wasm-rust-sdk` `serialize_property_path`).
pub fn split_path(path: &[u8]) -> Vec<String> {
    path.split(|b| *b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_roundtrip_matches_spec_layout() {
        let pairs = vec![
            ("a".to_string(), b"1".to_vec()),
            (":path".to_string(), b"".to_vec()),
        ];
        let bytes = serialize_map(&pairs);
        // count=2, sizes (1,1) (5,0), then "a\0" "1\0" ":path\0" "\0"
        let mut expected = vec![2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0];
        expected.extend_from_slice(b"a\x001\x00:path\x00\x00");
        assert_eq!(bytes, expected);
        assert_eq!(deserialize_map(&bytes).unwrap(), pairs);
    }

    #[test]
    fn malformed_map_is_none() {
        assert!(deserialize_map(&[5, 0, 0, 0, 1]).is_none());
    }
}
