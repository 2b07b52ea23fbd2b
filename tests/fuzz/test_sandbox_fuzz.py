"""Property-based fuzz of the sandbox provider's HTTP front over a real socket
(docs/security.md): at least 2,000 generated requests per run, raw and nearly
valid (OAuth forms and queries with hostile values). No traceback, no 500, and
the sandbox still serves a valid request afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_from_bytes

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_oauth.sandbox import SandboxServer
from tests.sandbox.helpers import seeded_home

from .requests_strategy import RawRequest, exchange, raw_requests

BATCH = 8
EXAMPLES = 260  # x BATCH = 2,080 requests
PATHS = [
    b"/.well-known/openid-configuration",
    b"/jwks",
    b"/token",
    b"/revoke",
    b"/introspect",
    b"/userinfo",
    b"/device_authorization",
    b"/",
    b"/authorize",
    b"/login",
    b"/consent",
    b"/device",
    b"/connections",
    b"/api/notes",
    b"/api/profile",
]
FIELDS = [
    "grant_type", "code", "code_verifier", "redirect_uri", "client_id", "refresh_token",
    "token", "token_type_hint", "scope", "device_code", "response_type", "state", "nonce",
    "code_challenge", "code_challenge_method", "response_mode", "prompt", "max_age",
    "csrf_token", "user", "next", "interaction", "decision", "user_code",
]  # fmt: skip
VALUES = [
    b"authorization_code", b"refresh_token", b"urn:ietf:params:oauth:grant-type:device_code",
    b"desktop-oauth", b"http://127.0.0.1:1/callback", b"openid profile", b"S256", b"plain",
    b"fragment", b"code", b"ada", b"allow", b"\r\nSet-Cookie: x=1", b"\xff\xfe", b"",
    b"a" * 43, b"a" * 129,
]  # fmt: skip

counts = {"requests": 0}


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, signing_key_pem: bytes
) -> Iterator[SandboxServer]:
    home: Path = seeded_home(tmp_path_factory.mktemp("fuzz-profile"), signing_key_pem)
    with SandboxServer(home, rate_limit=(1_000_000, 60.0)) as server:
        yield server


@st.composite
def oauth_requests(draw: st.DrawFn, host: bytes) -> RawRequest:
    """Nearly valid: a known path, form fields or query parameters with odd values."""
    pairs = draw(
        st.lists(
            st.tuples(
                st.sampled_from(FIELDS).map(str.encode),
                st.one_of(st.sampled_from(VALUES), st.binary(max_size=40)),
            ),
            max_size=8,
        )
    )
    encoded = b"&".join(
        name + b"=" + quote_from_bytes(value, safe=b"").encode() for name, value in pairs
    )
    path = draw(st.sampled_from(PATHS))
    cookie = draw(st.sampled_from([b"", b"Cookie: sandbox_session_1=x\r\n", b"Cookie: =;;\r\n"]))
    auth = draw(
        st.sampled_from([b"", b"Authorization: Bearer x\r\n", b"Authorization: Basic @@\r\n"])
    )
    if draw(st.booleans()):
        head = b"GET " + path + b"?" + encoded + b" HTTP/1.1\r\nHost: " + host + b"\r\n"
        return RawRequest(head + cookie + auth + b"\r\n")
    head = (
        b"POST " + path + b" HTTP/1.1\r\nHost: " + host + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + b"Content-Length: " + str(len(encoded)).encode() + b"\r\n"
    )  # fmt: skip
    return RawRequest(head + cookie + auth + b"\r\n" + encoded)


def test_generated_requests_never_break_the_sandbox(
    sandbox: SandboxServer,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG, logger="desktop_oauth")
    host = f"127.0.0.1:{sandbox.port}".encode()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        st.lists(
            st.one_of(raw_requests(PATHS, host), oauth_requests(host)),
            min_size=BATCH,
            max_size=BATCH,
        )
    )
    def run(batch: list[RawRequest]) -> None:
        for request in batch:
            answer = exchange(sandbox.port, request.data, timeout=15)
            counts["requests"] += 1
            assert answer.status != 500, (request, answer.raw[:300])
            assert b"Traceback" not in answer.raw

    run()
    assert requests.get(f"{sandbox.issuer}/.well-known/openid-configuration", timeout=5).ok
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    assert "Traceback" not in capfd.readouterr().err
    assert counts["requests"] >= 2000
    with capfd.disabled():
        print(f"\nsandbox fuzz: {counts['requests']} generated requests, 0 tracebacks, 0 500s")
