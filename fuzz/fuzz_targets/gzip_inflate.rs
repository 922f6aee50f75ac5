//! Any bytes, any chunking: the gzip inflater never panics and never returns more than its
//! per-call cap.
#![no_main]

use ai_proxy::stream::gzip::GzipInflater;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [step, rest @ ..] = data else { return };
    let cap = 4096;
    let mut inflater = GzipInflater::new(cap).with_total_limit(1 << 20);
    for chunk in rest.chunks(usize::from(*step).max(1)) {
        match inflater.feed(chunk) {
            Ok(out) => assert!(out.len() <= cap),
            Err(_) => return,
        }
    }
    let _ = inflater.finish();
});
