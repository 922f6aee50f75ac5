//! Host calls that report their status instead of panicking.
//!
//! The SDK's wrappers `panic!` on any status they do not expect (docs/hosts.md §12): a header
//! write after Envoy released the headers, an unknown property on Kong, a body write outside a
//! body step. A panic is a trap (a 500 on Kong, a dead VM on Envoy), so the shell makes these
//! calls itself and turns a refusal into a logged, handled error. Same imports as the SDK
//! (`env.proxy_*`), declared with a plain `u32` status so an unexpected value is just a number.

#![allow(unsafe_code, clashing_extern_declarations)]

use proxy_wasm::types::{BufferType, MapType};

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "env")]
extern "C" {
    fn proxy_set_property(
        path: *const u8,
        path_len: usize,
        value: *const u8,
        value_len: usize,
    ) -> u32;
    fn proxy_replace_header_map_value(
        map: MapType,
        key: *const u8,
        key_len: usize,
        value: *const u8,
        value_len: usize,
    ) -> u32;
    fn proxy_remove_header_map_value(map: MapType, key: *const u8, key_len: usize) -> u32;
    fn proxy_set_buffer_bytes(
        buffer: BufferType,
        start: usize,
        size: usize,
        data: *const u8,
        data_len: usize,
    ) -> u32;
    fn proxy_send_local_response(
        status: u32,
        details: *const u8,
        details_len: usize,
        body: *const u8,
        body_len: usize,
        headers: *const u8,
        headers_len: usize,
        grpc_status: i32,
    ) -> u32;
    fn proxy_define_metric(
        metric_type: u32,
        name: *const u8,
        name_len: usize,
        return_id: *mut u32,
    ) -> u32;
    fn proxy_increment_metric(metric_id: u32, offset: i64) -> u32;
    fn proxy_record_metric(metric_id: u32, value: u64) -> u32;
    fn proxy_set_effective_context(context_id: u32) -> u32;
    fn proxy_continue_stream(stream_type: u32) -> u32;
    fn proxy_set_tick_period_milliseconds(period: u32) -> u32;
}

/// A non-OK host status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostRefused(pub u32);

fn check(status: u32) -> Result<(), HostRefused> {
    if status == 0 {
        Ok(())
    } else {
        Err(HostRefused(status))
    }
}

/// Property path as the ABI wants it: segments joined by NUL.
fn property_path(path: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, seg) in path.iter().enumerate() {
        if i > 0 {
            out.push(0);
        }
        out.extend_from_slice(seg.as_bytes());
    }
    out
}

/// Serialised header map (proxy-wasm map encoding: count, lengths, NUL-terminated pairs).
fn serialize_map(pairs: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k.as_bytes());
        out.push(0);
        out.extend_from_slice(v.as_bytes());
        out.push(0);
    }
    out
}

/// `proxy_set_property`.
pub fn set_property(path: &[&str], value: &[u8]) -> Result<(), HostRefused> {
    let p = property_path(path);
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: pointers and lengths describe live slices for the duration of the call.
        check(unsafe { proxy_set_property(p.as_ptr(), p.len(), value.as_ptr(), value.len()) })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (p, value);
        check(0)
    }
}

/// `proxy_replace_header_map_value`.
pub fn set_header(map: MapType, name: &str, value: &str) -> Result<(), HostRefused> {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: as above.
        check(unsafe {
            proxy_replace_header_map_value(
                map,
                name.as_ptr(),
                name.len(),
                value.as_ptr(),
                value.len(),
            )
        })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (map, name, value);
        check(0)
    }
}

/// `proxy_remove_header_map_value`.
pub fn remove_header(map: MapType, name: &str) -> Result<(), HostRefused> {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: as above.
        check(unsafe { proxy_remove_header_map_value(map, name.as_ptr(), name.len()) })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (map, name);
        check(0)
    }
}

/// Replaces a whole body buffer. `(0, usize::MAX)` means "replace everything" on both hosts
/// (docs/hosts.md §3: Envoy replaces when size ≥ length; Kong caps the new value at size).
pub fn replace_body(buffer: BufferType, data: &[u8]) -> Result<(), HostRefused> {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: as above.
        check(unsafe { proxy_set_buffer_bytes(buffer, 0, usize::MAX, data.as_ptr(), data.len()) })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (buffer, data);
        check(0)
    }
}

/// `proxy_send_local_response` (call once per request: a second call traps on Kong).
pub fn send_local_response(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), HostRefused> {
    let h = serialize_map(headers);
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: as above; no details string, no gRPC status (-1), like the SDK.
        check(unsafe {
            proxy_send_local_response(
                u32::from(status),
                std::ptr::null(),
                0,
                body.as_ptr(),
                body.len(),
                h.as_ptr(),
                h.len(),
                -1,
            )
        })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (status, h, body);
        check(0)
    }
}

/// `proxy_set_effective_context`: later host calls act on context `id` (a request waiting
/// for a token, from another context's callback). Envoy honours it; ngx_wasm_module accepts
/// it and does nothing (docs/cloud-identity.md).
pub fn set_effective_context(id: u32) -> Result<(), HostRefused> {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: no pointers.
        check(unsafe { proxy_set_effective_context(id) })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = id;
        check(0)
    }
}

/// `proxy_continue_stream(HttpRequest)`: resumes the paused request of the effective context.
pub fn continue_request() -> Result<(), HostRefused> {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: no pointers; 0 is the request stream (ABI 0.2.1 `StreamType::HttpRequest`).
        check(unsafe { proxy_continue_stream(0) })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        check(0)
    }
}

/// `proxy_set_tick_period_milliseconds` (root context only on Kong).
pub fn set_tick_period(ms: u32) -> Result<(), HostRefused> {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: no pointers.
        check(unsafe { proxy_set_tick_period_milliseconds(ms) })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = ms;
        check(0)
    }
}

/// `proxy_define_metric` (`kind`: 0 counter, 1 gauge, 2 histogram): the metric's id.
pub fn define_metric(kind: u32, name: &str) -> Result<u32, HostRefused> {
    #[cfg(target_arch = "wasm32")]
    {
        let mut id: u32 = 0;
        // SAFETY: as above; `id` outlives the call.
        check(unsafe { proxy_define_metric(kind, name.as_ptr(), name.len(), &mut id) })?;
        Ok(id)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (kind, name);
        Ok(0)
    }
}

/// `proxy_increment_metric` (counters).
pub fn increment_metric(id: u32, by: u64) -> Result<(), HostRefused> {
    let by = i64::try_from(by).unwrap_or(i64::MAX);
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: no pointers.
        check(unsafe { proxy_increment_metric(id, by) })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (id, by);
        check(0)
    }
}

/// `proxy_record_metric` (histograms: one observation).
pub fn record_metric(id: u32, value: u64) -> Result<(), HostRefused> {
    #[cfg(target_arch = "wasm32")]
    {
        // SAFETY: no pointers.
        check(unsafe { proxy_record_metric(id, value) })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (id, value);
        check(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_encoding_follows_the_abi() {
        let m = serialize_map(&[("a".into(), "bc".into())]);
        assert_eq!(
            m,
            [1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, b'a', 0, b'b', b'c', 0]
        );
        assert_eq!(
            property_path(&["kong", "service", "target"]),
            b"kong\0service\0target"
        );
    }
}
