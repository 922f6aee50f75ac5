//! Every shipped filter config (`filter-config/*.json`, the configs inside `kong/kong.yml` are
//! checked natively by `tests/deploy_configs.rs`) is accepted by the real filter's
//! `on_configure` under both profiles, and a refused one makes the host refuse the plugin.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use devhost::{testing, HostOptions, Profile, Vm};

#[test]
fn every_filter_config_passes_on_configure() {
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");
    let dir = testing::workspace_root().join("filter-config");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.extension().is_none_or(|e| e != "json") || name.ends_with(".schema.json") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for p in Profile::ALL {
            if let Err(e) = Vm::start(&module, HostOptions::with_config(p, bytes.clone())) {
                panic!("{name} refused under {p:?}: {e}");
            }
        }
        n += 1;
    }
    assert!(n >= 40, "configs loaded: {n}");
}

#[test]
fn a_bad_config_is_refused_by_on_configure() {
    let module = testing::ai_proxy().expect("ai_proxy.wasm (make wasm)");
    let bad = br#"{"route_type":"llm/v1/chat","model":{"provider":"anthropic"}}"#.to_vec();
    for p in Profile::ALL {
        assert!(
            Vm::start(&module, HostOptions::with_config(p, bad.clone())).is_err(),
            "{p:?}: anthropic without anthropic_version must be refused"
        );
    }
}
