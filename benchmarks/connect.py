"""Connect on the command line, beside google-auth-oauthlib and MSAL on the same provider.

Three clients sign the same person in at the same local OpenID provider
(oidc-provider, tests/e2e/oidc, served at https://127.0.0.1:PORT/oidc with a
self-signed certificate this run makes and trusts), through the same browser
driver the end-to-end tests use (Debian's Chromium with playwright):

  desktop-oauth  ``desktop-oauth connect op`` (in a fresh process: discovery,
                 PKCE, the loopback receiver, the token request, the id_token's
                 signature and claims, userinfo, the keyring write, the settings)
  google         google-auth-oauthlib ``InstalledAppFlow.run_local_server(port=0)``
                 (token request only; it checks no id_token and stores nothing)
  msal           MSAL ``PublicClientApplication.acquire_token_interactive``
                 (token request and id_token decoding; an in-memory cache)

Each run is a fresh Python process that makes the one call and notes the time it
returned. Two figures per run:

  callback  from the redirect's arrival at the client's loopback server (its
            request line and headers read; the same hook in http.server for all
            three) until the call returned with the token in hand;
  whole     from spawning the process until the call returned (interpreter,
            imports, browser, sign-in and consent included).

Runs are interleaved (one of each client in turn) so all see the same machine
noise; each figure is printed as median, min and max, with the ratio of the
medians to desktop-oauth's. Run it in the test environment (a real keyring,
Node.js and the npm packages of tests/e2e/oidc, the bench extra installed):

    bash scripts/test --run .venv/bin/python benchmarks/connect.py [--runs 7]
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.oidc_provider import OidcProvider  # noqa: E402

OPEN_URL = ROOT / "tests" / "e2e" / "browser" / "open-url"
#: Their clients at the provider (tests/e2e/oidc/server.mjs).
GOOGLE_CLIENT = ("desktop-oauth-bench-google", "bench-google-secret")
MSAL_CLIENT = "desktop-oauth-bench-msal"
SCOPES = ["openid", "profile", "email", "offline_access"]

# Every child first notes when its loopback server (http.server in all three) has
# read the request line and headers of the redirect: the callback's arrival (a GET
# with the code in its query, or MSAL's form_post POST).
ARRIVAL = r"""
import http.server, time
ARRIVED = []
_parse = http.server.BaseHTTPRequestHandler.parse_request
def _noting(self):
    parsed = _parse(self)
    if parsed and ("code=" in self.path or self.command == "POST") and not ARRIVED:
        ARRIVED.append(time.time())
    return parsed
http.server.BaseHTTPRequestHandler.parse_request = _noting
"""
# Each child makes one call and writes {"arrived", "returned"} (time.time()) to argv[1].
CHILDREN = {
    "desktop-oauth": r"""
import json, sys, time
from desktop_oauth.__main__ import main
code = main(["connect", "op"])
returned = time.time()
assert code == 0, code
json.dump({"arrived": ARRIVED[0], "returned": returned}, open(sys.argv[1], "w"))
""",
    "google": r"""
import json, os, sys, time
from google_auth_oauthlib.flow import InstalledAppFlow
issuer = os.environ["BENCH_ISSUER"]
config = {"installed": {
    "client_id": os.environ["BENCH_GOOGLE_CLIENT"],
    "client_secret": os.environ["BENCH_GOOGLE_SECRET"],
    "auth_uri": issuer + "/auth", "token_uri": issuer + "/token",
}}
flow = InstalledAppFlow.from_client_config(config, scopes=os.environ["BENCH_SCOPES"].split())
credentials = flow.run_local_server(
    host="127.0.0.1", port=0, open_browser=True, authorization_prompt_message="",
    prompt="consent",  # as the app asks: the provider grants offline_access only so
)
returned = time.time()
assert credentials.token
json.dump({"arrived": ARRIVED[0], "returned": returned}, open(sys.argv[1], "w"))
""",
    "msal": r"""
import json, os, sys, time
import msal
app = msal.PublicClientApplication(
    os.environ["BENCH_MSAL_CLIENT"], oidc_authority=os.environ["BENCH_ISSUER"]
)
# MSAL adds openid, profile and offline_access itself and refuses them here.
result = app.acquire_token_interactive(scopes=["email"], prompt="consent", timeout=60)
returned = time.time()
assert "access_token" in result, {k: v for k, v in result.items() if "token" not in k}
json.dump({"arrived": ARRIVED[0], "returned": returned}, open(sys.argv[1], "w"))
""",
}


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (and its key), valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "provider.pem", folder / "provider.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Browser:
    """The end-to-end tests' browser driver, told what to do through its plan file."""

    def __init__(self, folder: Path) -> None:
        self.plan = folder / "browser-plan.json"
        self.results = self.plan.with_name(self.plan.name + ".result.jsonl")
        self.plan_id = ""

    def expect(self, login: str) -> None:
        self.plan_id = uuid.uuid4().hex
        plan = {
            "login": login,
            "action": "consent",
            "plan_id": self.plan_id,
            "trust_self_signed": True,
        }
        self.plan.write_text(json.dumps(plan), encoding="utf-8")
        self.results.unlink(missing_ok=True)

    def result(self, timeout: float = 60) -> dict[str, object]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.results.exists():
                for line in self.results.read_text(encoding="utf-8").splitlines():
                    found = json.loads(line)
                    if found.get("plan_id") == self.plan_id:
                        return dict(found)
            time.sleep(0.05)
        log = self.plan.with_name(self.plan.name + ".log")
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        raise SystemExit(f"the browser driver reported nothing:\n{tail}")


def fresh_profile(env: dict[str, str], folder: Path, issuer: str, client_id: str) -> None:
    """A new profile with the provider added (untimed): each connect is a first one,
    with no earlier tokens to keep aside (a sign-in again keeps them until revoked)."""
    home = Path(tempfile.mkdtemp(prefix="home-", dir=folder))
    env["DESKTOP_OAUTH_HOME"] = str(home)
    add = [sys.executable, "-m", "desktop_oauth", "provider", "add", "op"]
    add += ["--issuer", issuer, "--client-id", client_id, "--scope", *SCOPES]
    subprocess.run(add, env=env, cwd=ROOT, check=True, capture_output=True)  # noqa: S603


def run_once(name: str, env: dict[str, str], browser: Browser, folder: Path) -> tuple[float, float]:
    """(callback to token, spawn to token) in seconds, for one connect by ``name``."""
    out = folder / f"{name}.json"
    out.unlink(missing_ok=True)
    if name == "desktop-oauth":
        fresh_profile(env, folder, env["BENCH_ISSUER"], env["BENCH_APP_CLIENT"])
    browser.expect("bench")
    spawned = time.time()
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", ARRIVAL + CHILDREN[name], str(out)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"{name} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    times = json.loads(out.read_text())
    result = browser.result()
    if result.get("error"):
        raise SystemExit(f"the browser failed during {name}: {result['error']}")
    return times["returned"] - times["arrived"], times["returned"] - spawned


def summary(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):7.1f}  min {min(ms):7.1f}  max {max(ms):7.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="desktop-oauth-bench-connect-"))
    cert, key = make_certificate(folder)
    provider = OidcProvider(tls=(cert, key), mount="/oidc").start()
    try:
        browser = Browser(folder)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update(
            BROWSER=str(OPEN_URL),
            DESKTOP_OAUTH_TEST_BROWSER_PLAN=str(browser.plan),
            DESKTOP_OAUTH_TEST_PYTHON=sys.executable,
            REQUESTS_CA_BUNDLE=str(cert),
            BENCH_ISSUER=provider.issuer,
            BENCH_GOOGLE_CLIENT=GOOGLE_CLIENT[0],
            BENCH_GOOGLE_SECRET=GOOGLE_CLIENT[1],
            BENCH_MSAL_CLIENT=MSAL_CLIENT,
            BENCH_APP_CLIENT=provider.client_id,
            BENCH_SCOPES=" ".join(SCOPES),
        )
        names = list(CHILDREN)
        for name in names:  # one untimed run each: the page cache, the first sign-in
            run_once(name, env, browser, folder)
        callback: dict[str, list[float]] = {name: [] for name in names}
        whole: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(args.runs):
            for name in names:
                to_token, spawned_to_token = run_once(name, env, browser, folder)
                callback[name].append(to_token)
                whole[name].append(spawned_to_token)
    finally:
        provider.stop()
    print(
        f"{args.runs} interleaved runs each; provider {provider.issuer} (oidc-provider, "
        "self-signed https); browser: Chromium via playwright"
    )
    base_cb = statistics.median(callback["desktop-oauth"])
    base_whole = statistics.median(whole["desktop-oauth"])
    for label, table, base in (
        ("callback to token, ms", callback, base_cb),
        ("spawn to token (whole connect), ms", whole, base_whole),
    ):
        print(label)
        for name in names:
            ratio = statistics.median(table[name]) / base
            print(f"  {name:14s} {summary(table[name])}  ratio to desktop-oauth {ratio:.2f}")
    print("target: desktop-oauth callback to token <= 40 ms")


if __name__ == "__main__":
    main()
