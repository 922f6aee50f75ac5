#!/usr/bin/env python3
"""The native bench (benches/paths.rs) built for wasm32-wasip1 and run in wasmtime: the core's
own code in wasm, each case beside the `serde_json` floor measured in wasm in the same run, with
no proxy-wasm host around it (the dev host bench, tests/devhost/benches/paths_wasm.rs, adds the
host calls; Envoy runs the module in V8 and Kong's engine in wasmtime).

    python3 benches/wasm_core.py            (BENCH_QUICK=1 for a smoke run)

Builds the bench with cargo, installs the `wasmtime` package (PyPI, pinned in
benches/requirements.txt) in .venv-bench when it is missing, and re-runs itself there. The
workspace is the only directory the module sees (it reads target/bench-payloads/ and writes
target/bench-wasm.json). The filter's proxy-wasm imports are linked to traps: the bench drives
the exchange directly and never calls the host.
"""
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv-bench"


def module_path() -> str:
    out = subprocess.run(
        ["cargo", "bench", "--no-run", "--target", "wasm32-wasip1", "-p", "ai-proxy",
         "--bench", "paths", "--message-format=json"],
        cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "paths":
            exe = msg.get("executable") or next(
                (f for f in msg.get("filenames", []) if f.endswith(".wasm")), None)
            if exe:
                return exe
    sys.exit("wasm_core: cargo did not report the bench's .wasm")


def main() -> None:
    try:
        import wasmtime
    except ImportError:
        python = VENV / "bin" / "python"
        if os.environ.get("WASM_CORE_REEXEC"):
            sys.exit("wasm_core: the wasmtime package did not install")
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "-r",
                        str(ROOT / "benches" / "requirements.txt")], check=True)
        os.execve(str(python), [str(python), __file__, *sys.argv[1:]],
                  dict(os.environ, WASM_CORE_REEXEC="1"))
        return
    path = module_path()
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    wasi = wasmtime.WasiConfig()
    wasi.argv = ["paths", "--bench"]
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    wasi.env = [[k, v] for k, v in os.environ.items() if k.startswith("BENCH_")]
    wasi.preopen_dir(str(ROOT), str(ROOT))
    store.set_wasi(wasi)
    module = wasmtime.Module.from_file(engine, path)
    linker.define_unknown_imports_as_traps(module)
    print(f"wasmtime {version('wasmtime')}: {path}")
    sys.stdout.flush()
    linker.instantiate(store, module).exports(store)["_start"](store)


if __name__ == "__main__":
    main()
