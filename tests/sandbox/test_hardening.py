"""Findings of the security review (docs/security.md, findings 1, 6, 8, 9), each
reproduced against a real sandbox on 127.0.0.1."""

from __future__ import annotations

import dataclasses
import socket
import sqlite3
import time
from collections.abc import Callable
from urllib.parse import urlencode

import jwt
import pytest
import requests

from desktop_oauth.core.headers import HeaderValueError, header_value
from desktop_oauth.sandbox import SandboxServer
from desktop_oauth.sandbox.authorize import safe_next

from .helpers import TIMEOUT, Browser, Client, PageParser, challenge_of, parse, redirect_params


def raw_exchange(sandbox: SandboxServer, data: bytes, *, read: bool = True) -> bytes:
    """Send ``data`` as it is on a fresh connection; return everything answered."""
    with socket.create_connection(("127.0.0.1", sandbox.port), timeout=TIMEOUT) as conn:
        conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while read and (chunk := conn.recv(65536)):
            chunks.append(chunk)
    return b"".join(chunks)


INJECTION = "/connections\r\nSet-Cookie: planted=1; Path=/"


def test_login_next_with_crlf_never_reaches_a_header(sandbox: SandboxServer) -> None:
    # Finding 1: GET /login?next= carries the target into a hidden field, POST
    # /login redirects there. CR/LF in it must not split the Location header.
    http = requests.Session()
    page = http.get(f"{sandbox.issuer}/login?" + urlencode({"next": INJECTION}), timeout=TIMEOUT)
    form = parse(page.text).forms
    fields = dict(next(iter(form.values())).fields)
    assert fields["next"] == "/"  # refused at the door
    csrf = fields["csrf_token"]
    answer = http.post(
        f"{sandbox.issuer}/login",
        data={"csrf_token": csrf, "user": "ada", "next": INJECTION},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/"
    assert "planted" not in http.cookies


@pytest.mark.parametrize(
    "target", [INJECTION, "/a\nb", "/a\rb", "/a\x00b", "/\x7f", "/é", "//evil.example", "/\\x"]
)
def test_safe_next_refuses_control_characters_and_other_sites(target: str) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("value", ["a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\x00", "a\tb"])
def test_the_header_gate_refuses_line_breaks_and_controls(value: str) -> None:
    with pytest.raises(HeaderValueError) as caught:
        header_value("Location", value)
    assert value not in str(caught.value)  # the value may be a token: never echoed


def test_the_header_gate_passes_ordinary_values() -> None:
    assert header_value("Authorization", "Bearer abc.DEF-_~+/=") == "Bearer abc.DEF-_~+/="


MALFORMED_LINES = [
    b"GET / HTTP/1.1.1\r\n\r\n",  # a bad version
    b"GET / HTTP/2.0\r\n\r\n",
    b"GET / HTTP/1.1 extra\r\n\r\n",  # four words
    b"POST /\r\n\r\n",  # an HTTP/0.9 POST
    b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",  # 70 KB request line
    b"",  # a connection that sends nothing
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello
]


@pytest.mark.parametrize("line", MALFORMED_LINES, ids=range(len(MALFORMED_LINES)))
def test_malformed_request_lines_get_an_answer_not_a_traceback(
    sandbox: SandboxServer, line: bytes, capfd: pytest.CaptureFixture[str]
) -> None:
    # Finding 6: http.server's own error path logged through self.path, which
    # does not exist yet for these, and raised AttributeError in the handler.
    answer = raw_exchange(sandbox, line)
    if line:
        assert answer.startswith(b"HTTP/1.0 4") or answer.startswith(b"HTTP/1.0 505")
        head = answer.partition(b"\r\n\r\n")[0].decode("latin-1")
        # Finding 9: http.server's own error pages carry the same protective headers.
        assert "X-Frame-Options: DENY" in head
        assert "Content-Security-Policy: default-src 'none'" in head
    # A valid request is still answered afterwards, and nothing was printed.
    assert requests.get(f"{sandbox.issuer}/.well-known/openid-configuration", timeout=5).ok
    assert "Traceback" not in capfd.readouterr().err


def test_two_host_headers_are_refused(sandbox: SandboxServer) -> None:
    host = f"127.0.0.1:{sandbox.port}"
    for hosts in ([host, "evil.example"], ["evil.example", host]):
        request = "GET /.well-known/openid-configuration HTTP/1.1\r\n"
        request += "".join(f"Host: {h}\r\n" for h in hosts) + "\r\n"
        assert raw_exchange(sandbox, request.encode()).startswith(b"HTTP/1.0 421")


@pytest.mark.parametrize("verifier", ["a", "x" * 42, "x" * 129, "x" * 42 + "!", "é" * 43])
def test_a_verifier_outside_rfc_7636_is_refused(
    browser: Browser, client: Client, verifier: str
) -> None:
    # Finding 8: RFC 7636 §4.1 code_verifier = 43*128unreserved, even when the
    # challenge was computed from the short verifier.
    pending = dataclasses.replace(
        client.authorization_url(code_challenge=challenge_of(verifier)), verifier=verifier
    )
    params = redirect_params(str(browser.walk(pending.url)))
    response = client.exchange(pending, params["code"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("length", [43, 128])
def test_verifiers_at_the_limits_are_accepted(
    browser: Browser, client: Client, length: int
) -> None:
    verifier = ("Az09-._~" * 20)[:length]
    pending = dataclasses.replace(
        client.authorization_url(code_challenge=challenge_of(verifier)), verifier=verifier
    )
    params = redirect_params(str(browser.walk(pending.url)))
    assert client.exchange(pending, params["code"]).status_code == 200


@pytest.mark.parametrize("mode", ["fragment", "form_post", "bogus"])
def test_response_modes_other_than_query_are_refused(
    sandbox: SandboxServer, browser: Browser, client: Client, mode: str
) -> None:
    pending = client.authorization_url(response_mode=mode)
    location = browser.walk(pending.url)
    assert isinstance(location, str) and "#" not in location
    params = redirect_params(location)
    assert params["error"] == "invalid_request"
    assert "code" not in params


def wrong_codes(browser: Browser, user: str, count: int) -> None:
    for attempt in range(count):
        page = browser.walk("/device", user=user, user_code="BCDF-GHJK")
        assert isinstance(page, PageParser) and page.page == "sandbox-device", attempt


def refused(browser: Browser, user: str) -> bool:
    page = browser.walk("/device", user=user, user_code="BCDF-GHJK")
    assert isinstance(page, PageParser)
    return "Too many wrong codes" in "".join(page.text)


def test_device_code_guessing_is_not_reset_by_a_fresh_cookie(
    make_sandbox: Callable[..., SandboxServer],
) -> None:
    # Finding 9: the limit lived in the browser session only; dropping the
    # cookie gave five more guesses each time.
    sandbox = make_sandbox()
    browsers = [Browser(sandbox.issuer) for _ in range(6)]
    try:
        wrong_codes(browsers[0], "ada", 5)
        assert refused(browsers[1], "ada")  # a fresh cookie, the same person
        # Other people are limited together, whatever their cookies.
        wrong_codes(browsers[2], "grace", 5)
        wrong_codes(browsers[3], "linus", 5)
        for browser in browsers[4:]:
            for user in ("grace", "linus"):
                browser.http.cookies.clear()
                assert refused(browser, user)
    finally:
        for browser in browsers:
            browser.close()


def test_nonces_are_not_kept_in_the_clear(
    sandbox: SandboxServer, browser: Browser, client: Client
) -> None:
    # Finding 9: the codes table held each request's nonce as sent.
    pending = client.authorization_url()
    params = redirect_params(str(browser.walk(pending.url)))
    database = sandbox.folder / "sandbox.db"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        stored = [row[0] for row in db.execute("SELECT nonce FROM codes")]
    assert stored and all(pending.nonce not in (value or "") for value in stored)
    for path in sandbox.folder.iterdir():  # the database, its journal or WAL
        assert pending.nonce.encode() not in path.read_bytes(), path.name
    # Whoever presents the code still gets the nonce back in the id_token.
    id_token = client.exchange(pending, params["code"]).json()["id_token"]
    assert jwt.decode(id_token, options={"verify_signature": False})["nonce"] == pending.nonce


@pytest.mark.parametrize("drip_head", [False, True], ids=["body", "head"])
def test_the_sandbox_health_check_has_one_deadline(drip_head: bool) -> None:
    # Finding 5, for the sandbox's own health check: a program holding the port
    # and dripping an answer must not hold up the app's start.
    from desktop_oauth.sandbox.instance import answers_as
    from tests.core.dripping_server import DrippingServer

    # Each byte within the 1 s read timeout; the whole answer would take ~7 s.
    body = b'{"issuer": "http://127.0.0.1:1", "padding": "' + b"x" * 100 + b'"}'
    with DrippingServer(body, interval=0.05, drip_head=drip_head) as server:
        port = int(server.url.rsplit(":", 1)[1])
        started = time.monotonic()
        assert answers_as(port, "instance", timeout=1.0, deadline=0.25) is False
        assert time.monotonic() - started < 0.25 + 1.0
        assert server.sent < len(body)  # cut off, not read to the end
