//! Any bytes, any chunking: a decoder never panics, and feeding the bytes whole or in the
//! chunks the input describes gives the same frames (the property `tests/streams_framing.rs`
//! checks on fixtures, here on arbitrary input). The first byte picks the framing and the cap;
//! the second seeds the chunk sizes; for event streams its top bit asks to rewrite lengths and
//! CRCs so messages pass the checks and the header parser gets fuzzed too.
#![no_main]

use ai_proxy::stream::{Frame, FrameError, Framing};
use libfuzzer_sys::fuzz_target;

fn run(framing: Framing, max: usize, chunks: &[&[u8]]) -> Vec<Result<Frame, FrameError>> {
    let mut d = framing.decoder(max);
    let mut out = Vec::new();
    for c in chunks {
        d.feed(c);
        while let Some(r) = d.next_frame() {
            let stop = r.is_err();
            out.push(r);
            if stop {
                assert!(d.next_frame().is_none());
                return out;
            }
        }
        // Drained: only the unfinished event is held (data plus one line, each about the cap).
        assert!(d.buffered() <= 2 * max + 64);
    }
    if let Some(r) = d.finish() {
        out.push(r);
    }
    while let Some(r) = d.next_frame() {
        out.push(r);
    }
    out
}

/// Makes `bytes` a run of messages with consistent lengths and CRCs.
fn fix_eventstream(bytes: &mut [u8]) {
    let mut o = 0;
    while bytes.len() - o >= 16 {
        let rem = bytes.len() - o;
        let word =
            |b: &[u8], at: usize| u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
        let total = 16 + word(bytes, o) % (rem - 15);
        let headers = word(bytes, o + 4) % (total - 15);
        bytes[o..o + 4].copy_from_slice(&(total as u32).to_be_bytes());
        bytes[o + 4..o + 8].copy_from_slice(&(headers as u32).to_be_bytes());
        let crc = crc32fast::hash(&bytes[o..o + 8]);
        bytes[o + 8..o + 12].copy_from_slice(&crc.to_be_bytes());
        let crc = crc32fast::hash(&bytes[o..o + total - 4]);
        bytes[o + total - 4..o + total].copy_from_slice(&crc.to_be_bytes());
        o += total;
    }
}

fuzz_target!(|data: &[u8]| {
    let [sel, seed, rest @ ..] = data else { return };
    let mut fixed;
    let mut rest = rest;
    if sel & 3 == 3 && seed & 0x80 != 0 {
        fixed = rest.to_vec();
        fix_eventstream(&mut fixed);
        rest = &fixed;
    }
    let framing = match sel & 3 {
        0 => Framing::Sse,
        1 => Framing::Ndjson,
        2 => Framing::JsonArray,
        _ => Framing::EventStream,
    };
    let max = 16 + usize::from(sel >> 2) * 32;
    let whole = run(framing, max, &[rest]);
    let mut chunks = Vec::new();
    let mut left = rest;
    let mut s = u32::from(*seed) | 1;
    while !left.is_empty() {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        let n = (s % 17) as usize;
        let (a, b) = left.split_at(n.min(left.len()));
        chunks.push(a);
        left = b;
    }
    assert_eq!(run(framing, max, &chunks), whole);
});
