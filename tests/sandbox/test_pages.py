"""The web pages: escaping, protective headers, cookies, CSRF, and connected applications."""

from __future__ import annotations

import base64
import hashlib
import http.client
import logging
import re

import pytest
import requests

from desktop_oauth.sandbox import SandboxServer

from .helpers import Browser, Client, PageParser, parse, redirect_params

EVIL = '"><script>alert(1)</script>'


def check_page_headers(response: requests.Response) -> None:
    headers = response.headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src" not in csp
    # The one inline style is allowed by its hash, and nothing is loaded from elsewhere.
    [style] = re.findall(r"<style>(.*?)</style>", response.text)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in csp
    assert "<script" not in response.text.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", response.text)


def test_every_page_is_self_contained_with_protective_headers(
    browser: Browser, client: Client
) -> None:
    pending = client.authorization_url()
    first = browser.get(pending.url)
    assert first.status_code == 303
    login = browser.get(first.headers["Location"])
    check_page_headers(login)
    page = parse(login.text)
    consent = browser.submit(page.forms["sandbox-login"], "login-ada")
    consent_page = browser.get(consent.headers["Location"])
    check_page_headers(consent_page)
    for path in ("/connections", "/device", "/", "/login?next=/connections"):
        check_page_headers(browser.get(path))


def test_reflected_values_are_escaped(browser: Browser) -> None:
    browser.walk("/login?next=/connections", stop_at="sandbox-connections")  # sign in
    assert browser.pages[-1] == "sandbox-connections"
    response = browser.get("/device?" + requests.compat.urlencode({"user_code": EVIL}))
    assert response.status_code == 200
    assert "<script>" not in response.text
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in response.text

    typed = browser.walk("/device", user_code=EVIL)
    assert isinstance(typed, PageParser) and typed.page == "sandbox-device"
    login = browser.get("/login?" + requests.compat.urlencode({"next": "/" + EVIL}))
    assert "<script>" not in login.text and "&lt;script&gt;" in login.text


def test_no_open_redirect_after_sign_in(browser: Browser) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        login = parse(browser.get("/login?" + requests.compat.urlencode({"next": target})).text)
        response = browser.submit(login.forms["sandbox-login"], "login-ada")
        assert response.headers["Location"] == "/", target


def test_session_cookie_is_httponly_lax_and_rotated_at_sign_in(
    sandbox: SandboxServer, browser: Browser
) -> None:
    login = browser.get("/login?next=/")
    cookie = login.headers["Set-Cookie"]
    assert cookie.startswith(f"sandbox_session_{sandbox.port}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    before = browser.http.cookies.get(f"sandbox_session_{sandbox.port}")
    signed_in = browser.submit(parse(login.text).forms["sandbox-login"], "login-ada")
    after = browser.http.cookies.get(f"sandbox_session_{sandbox.port}")
    assert "HttpOnly" in signed_in.headers["Set-Cookie"]
    assert before and after and before != after


def test_forms_need_the_csrf_token_and_our_origin(sandbox: SandboxServer, browser: Browser) -> None:
    page = parse(browser.get("/login?next=/").text)
    form = page.forms["sandbox-login"]
    forged = browser.http.post(
        f"{sandbox.issuer}/login",
        data={"user": "ada", "next": "/"},
        allow_redirects=False,
        timeout=5,
    )
    assert forged.status_code == 403
    wrong = browser.http.post(
        f"{sandbox.issuer}/login",
        data={"user": "ada", "next": "/", "csrf_token": "x" * 43},
        allow_redirects=False,
        timeout=5,
    )
    assert wrong.status_code == 403
    foreign = browser.http.post(
        f"{sandbox.issuer}/login",
        data=dict(form.fields) | {"user": "ada"},
        headers={"Origin": "http://evil.example"},
        allow_redirects=False,
        timeout=5,
    )
    assert foreign.status_code == 403
    assert browser.submit(form, "login-ada").status_code == 303


def test_wrong_host_header_is_refused(sandbox: SandboxServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
    try:
        connection.request(
            "GET", "/.well-known/openid-configuration", headers={"Host": "rebound.example"}
        )
        assert connection.getresponse().status == 421
    finally:
        connection.close()


def test_an_interaction_belongs_to_its_browser(
    sandbox: SandboxServer, browser: Browser, client: Client
) -> None:
    pending = client.authorization_url()
    location = browser.get(pending.url).headers["Location"]
    other = Browser(sandbox.issuer)
    try:
        page = other.walk(location.replace("/login", "/consent"))
        assert isinstance(page, PageParser) and page.page == "sandbox-error"
    finally:
        other.close()


def test_connections_page_lists_and_removes_one_application(
    sandbox: SandboxServer, browser: Browser, client: Client
) -> None:
    tokens = client.connect(browser)
    grace_browser = Browser(sandbox.issuer)
    try:
        grace = client.connect(grace_browser, user="grace")
    finally:
        grace_browser.close()

    page = browser.walk("/connections", stop_at="sandbox-connections")
    assert isinstance(page, PageParser)
    text = "".join(page.text)
    assert "desktop-oauth (this app)" in text and "Read your notes" in text
    [form] = page.forms.values()
    removed = browser.submit(form, "remove-desktop-oauth")
    assert removed.status_code == 303
    after = browser.get(removed.headers["Location"])
    assert 'id="no-connections"' in after.text
    assert "no longer has access" in after.text

    assert client.api("/api/notes", tokens["access_token"]).status_code == 401
    assert client.refresh(tokens["refresh_token"]).json()["error"] == "invalid_grant"
    # Grace's connection is hers: untouched.
    assert client.api("/api/notes", grace["access_token"]).status_code == 200


def test_signing_in_again_to_another_user_from_consent(browser: Browser, client: Client) -> None:
    client.connect(browser, user="ada")
    pending = client.authorization_url(prompt="select_account")
    location = browser.walk(pending.url, user="linus")
    code = redirect_params(str(location))["code"]
    tokens = client.exchange(pending, code).json()
    assert client.introspect(tokens["access_token"])["sub"] == "linus"


@pytest.mark.parametrize("path", ["/nowhere", "/api/unknown"])
def test_unknown_paths_are_404_json(sandbox: SandboxServer, path: str) -> None:
    response = requests.get(f"{sandbox.issuer}{path}", timeout=5)
    assert response.status_code == 404 and response.json()["error"] == "not_found"
    assert response.headers["Cache-Control"] == "no-store"


def test_wrong_method_is_405(sandbox: SandboxServer) -> None:
    response = requests.get(f"{sandbox.issuer}/token", timeout=5)
    assert response.status_code == 405 and response.headers["Allow"] == "POST"
    assert requests.delete(f"{sandbox.issuer}/token", timeout=5).status_code == 405


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/authorize?a=<b>&client_id=desktop-oauth", b""),
        ("GET", "/authorize?%FF", b""),
        ("POST", "/token", b"%%%"),
        ("POST", "/token", b"\xff\xfe"),
        ("POST", "/token", b'{"grant_type": "authorization_code"}'),
        ("POST", "/token", b"grant_type=password&username=ada&password=x&client_id=desktop-oauth"),
        ("POST", "/token", b"grant_type=client_credentials&client_id=desktop-oauth"),
        ("POST", "/token", b"grant_type=authorization_code&code=a&code=b&client_id=desktop-oauth"),
        ("POST", "/introspect", b"token=<x>"),
        ("GET", "/api/notes?<x>", b""),
    ],
)
def test_malformed_requests_get_a_4xx_never_a_500(
    sandbox: SandboxServer, method: str, path: str, body: bytes
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", sandbox.port, timeout=5)
    try:
        connection.request(
            method,
            path,
            body=body,
            headers={
                "Host": f"127.0.0.1:{sandbox.port}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        status = connection.getresponse().status
    finally:
        connection.close()
    assert 400 <= status < 500


def test_secrets_stay_out_of_the_logs(
    browser: Browser, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pending = client.authorization_url()
    params = redirect_params(str(browser.walk(pending.url)))
    tokens = client.exchange(pending, params["code"]).json()
    rotated = client.refresh(tokens["refresh_token"]).json()
    client.api("/api/notes", rotated["access_token"])
    client.post(
        "/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": "<" + tokens["refresh_token"] + ">",
            "client_id": client.client_id,
        },
    )  # malformed, quoted by oauthlib
    # The sandbox's records and oauthlib's (the test's own HTTP client logs URLs too).
    ours = [r for r in caplog.records if r.name.startswith(("desktop_oauth", "oauthlib"))]
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in ours)
    assert "GET /authorize" in logged  # the sandbox does log its requests, paths only
    for secret in (
        params["code"],
        pending.state,
        pending.nonce,
        pending.verifier,
        tokens["access_token"],
        tokens["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
    ):
        assert secret not in logged
