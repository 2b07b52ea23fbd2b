"""Redaction at the source: by name in URLs, forms, JSON and headers, and by value."""

from __future__ import annotations

import base64
import json

from desktop_oauth.core.flow_log import MAX_BODY_CHARS
from desktop_oauth.core.known_secrets import KnownSecrets
from desktop_oauth.core.redaction import (
    browser_request,
    incoming_exchange,
    outgoing_exchange,
    redact_body,
    redact_url,
)

VERIFIER = "v" * 20 + "-verifier-value-abc"
ACCESS = "at-0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
REFRESH = "rt-0123456789abcdefghijklmnopqrstuvwxyz"


def _jwt(claims: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256'})}.{part(claims)}.c2lnbmF0dXJlLWJ5dGVz"


def _everything(exchange: object) -> str:
    return repr(exchange)


def test_query_parameters_are_replaced_by_name_and_others_kept_as_written() -> None:
    known = KnownSecrets()
    url = "http://127.0.0.1:5/cb?code=abcdefghij123&state=statestatestate&scope=openid%20email"
    shown = redact_url(url, known)
    assert "abcdefghij123" not in shown and "statestatestate" not in shown
    assert "code=«authorization code, 13 chars»" in shown
    assert "scope=openid%20email" in shown
    # Learned: the same values are replaced anywhere later.
    assert known.scrub("x abcdefghij123 y") == "x «authorization code, 13 chars» y"


def test_a_form_body_hides_the_verifier_and_a_refresh_token_but_shows_the_grant() -> None:
    known = KnownSecrets()
    body = f"grant_type=refresh_token&refresh_token={REFRESH}&code_verifier={VERIFIER}"
    shown = redact_body(body.encode(), "application/x-www-form-urlencoded", known)
    assert "grant_type=refresh_token" in shown.splitlines()
    assert REFRESH not in shown and VERIFIER not in shown
    assert f"refresh_token=«refresh token, {len(REFRESH)} chars»" in shown


def test_json_is_pretty_printed_and_redacted_at_any_depth_with_id_token_claims() -> None:
    known = KnownSecrets()
    known.add("nonce", "the-nonce-value-123")
    id_token = _jwt({"sub": "alice", "nonce": "the-nonce-value-123", "email": "a@example.com"})
    body = json.dumps(
        {
            "access_token": ACCESS,
            "token_type": "Bearer",
            "id_token": id_token,
            "nested": [{"refresh_token": REFRESH}],
        }
    )
    shown = redact_body(body, "application/json; charset=utf-8", known)
    for secret in (ACCESS, REFRESH, id_token, "the-nonce-value-123"):
        assert secret not in shown
    assert f'"access_token": "«access token, {len(ACCESS)} chars»"' in shown
    assert '\n  "token_type": "Bearer"' in shown
    assert '"email": "a@example.com"' in shown  # the decoded claims may be shown
    assert '"nonce": "«nonce, 19 chars»"' in shown


def test_headers_keep_their_scheme_and_hide_credentials_and_cookies() -> None:
    known = KnownSecrets()
    exchange = outgoing_exchange(
        method="get",
        url="https://api.example/me",
        request_headers=[("Authorization", f"Bearer {ACCESS}"), ("Cookie", "sid=abcdefghijkl")],
        status=302,
        response_headers=[
            ("Set-Cookie", "sid=abcdefghijkl; HttpOnly"),
            ("Location", f"https://x.example/next?access_token={ACCESS}"),
            ("X-Echo", f"you sent {ACCESS}"),
        ],
        known=known,
    )
    text = _everything(exchange)
    assert ACCESS not in text and "abcdefghijkl" not in text
    headers = dict(exchange.request_headers)
    assert headers["Authorization"] == f"Bearer «credentials, {len(ACCESS)} chars»"
    assert exchange.method == "GET"


def test_a_token_learned_from_an_answer_is_hidden_in_later_exchanges_of_any_form() -> None:
    known = KnownSecrets()
    outgoing_exchange(
        method="POST",
        url="https://id.example/token",
        response_headers=[("Content-Type", "application/json")],
        response_body=json.dumps({"access_token": ACCESS}).encode(),
        status=200,
        known=known,
    )
    later = outgoing_exchange(
        method="GET",
        url=f"https://api.example/echo/{ACCESS}",
        response_body=f"plain text that quotes {ACCESS}",
        status=200,
        known=known,
    )
    assert ACCESS not in _everything(later)


def test_binary_and_oversized_bodies() -> None:
    known = KnownSecrets()
    assert redact_body(b"\xff\xfe\x00\x01", "", known) == "«4 bytes of binary data»"
    big = json.dumps({"items": ["x" * 100] * 400})
    shown = redact_body(big, "application/json", known)
    assert len(shown) < MAX_BODY_CHARS + 100 and shown.endswith("more characters cut)")


def test_the_callback_and_the_browser_request_hide_code_state_and_challenge() -> None:
    known = KnownSecrets()
    challenge = "c" * 43
    url = f"https://id.example/auth?client_id=app&code_challenge={challenge}&state=s1234567890"
    request = browser_request(url, known)
    callback = incoming_exchange(
        method="GET",
        target="/callback?code=the-code-1234567&state=s1234567890&iss=https%3A%2F%2Fid.example",
        authority="127.0.0.1:4567",
        status=200,
        known=known,
    )
    for secret in (challenge, "s1234567890", "the-code-1234567"):
        assert secret not in _everything(request) + _everything(callback)
    assert callback.url.startswith("http://127.0.0.1:4567/callback?code=«authorization code")
    assert "client_id=app" in request.url


def test_a_known_value_across_the_cut_is_replaced_before_the_body_is_cut() -> None:
    known = KnownSecrets()
    known.add("access token", ACCESS)
    body = "x" * (MAX_BODY_CHARS - 10) + ACCESS + "y" * 100
    exchange = outgoing_exchange(
        method="GET", url="https://api.example/", status=200, response_body=body, known=known
    )
    assert ACCESS[:10] not in exchange.response_body
    shown = redact_body(body, "text/plain", known)
    assert ACCESS[:10] not in shown and shown.endswith("«access to\n… (114 more characters cut)")
