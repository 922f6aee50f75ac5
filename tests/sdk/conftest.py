"""Fixtures for the SDK tests: the mock upstream and `ai-gateway` processes on free ports.

The binaries come from `target/debug` (built with `cargo build -p devhost --bins` if missing;
override with $AI_GATEWAY_BIN / $MOCK_UPSTREAM_BIN); the filter from the gateway's default
path or $AI_PROXY_WASM.
"""

import json
import os
import pathlib
import subprocess
import tempfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROFILES = ["envoy", "kong"]


def _bin(name, env_var):
    if os.environ.get(env_var):
        return os.environ[env_var]
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    path = target / "debug" / name
    if not path.exists():
        subprocess.run(["cargo", "build", "-p", "devhost", "--bins"], cwd=ROOT, check=True)
    return str(path)


class Proc:
    """A child process whose first stdout line says where it listens."""

    def __init__(self, args):
        self.args = args
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        if "http://" not in line:
            err = ""
            if not line:
                # stdout closed: the process is exiting; its reason is on stderr.
                try:
                    self.p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
                err = self.p.stderr.read() if self.p.poll() is not None else ""
            self.stop()
            self.error = (line + err).strip()
            self.url = None
            return
        self.error = None
        self.url = "http://" + line.split("http://", 1)[1].split()[0].rstrip("/")

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.p.kill()


@pytest.fixture(scope="session")
def mock_url():
    proc = Proc([_bin("mock-upstream", "MOCK_UPSTREAM_BIN"), "--max-seconds", "900"])
    assert proc.url, f"mock-upstream did not start: {proc.error}"
    yield proc.url
    proc.stop()


@pytest.fixture(scope="session")
def gateway(mock_url):
    """`gateway(config_dict, profile)` → base URL of an ai-gateway running that config."""
    procs = {}
    tmp = tempfile.mkdtemp(prefix="sdk-gw-")
    gw_bin = _bin("ai-gateway", "AI_GATEWAY_BIN")

    def make(config, profile):
        key = (json.dumps(config, sort_keys=True), profile)
        if key not in procs:
            path = os.path.join(tmp, f"cfg{len(procs)}.json")
            with open(path, "w") as f:
                json.dump(config, f)
            args = [gw_bin, "--config", path, "--profile", profile, "--listen", "127.0.0.1:0",
                    "--upstream-override", mock_url, "--quiet"]
            if os.environ.get("AI_PROXY_WASM"):
                args += ["--wasm", os.environ["AI_PROXY_WASM"]]
            proc = Proc(args)
            if proc.url is None:
                if "not supported yet" in (proc.error or ""):
                    pytest.skip(f"the filter does not support this config yet: {proc.error}")
                pytest.fail(f"ai-gateway did not start: {proc.error}")
            procs[key] = proc
        return procs[key].url

    yield make
    for p in procs.values():
        p.stop()
