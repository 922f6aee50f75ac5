//! Every target of `fuzz/targets.rs` (config, template, `request/…`, `response/…`,
//! `stream/…` per provider config) under libFuzzer: `AI_PROXY_FUZZ_TARGET` names the target
//! (`fuzz/run.sh` runs them all in turn, each on its own corpus `fuzz/corpus/<target>/`, `/`
//! written `_`); `AI_PROXY_FUZZ_TARGET=list` prints the target names.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

include!("../targets.rs");

fn target() -> &'static str {
    static T: OnceLock<String> = OnceLock::new();
    T.get_or_init(|| {
        let t = std::env::var("AI_PROXY_FUZZ_TARGET").unwrap_or_else(|_| "config".into());
        if t == "list" {
            use std::io::Write;
            let mut out = std::io::stdout();
            let _ = writeln!(out, "{}", target_names().join("\n"));
            let _ = out.flush();
            std::process::exit(0);
        }
        assert!(target_names().contains(&t), "unknown AI_PROXY_FUZZ_TARGET {t}");
        t
    })
}

fuzz_target!(|data: &[u8]| {
    run_target(target(), data);
});
