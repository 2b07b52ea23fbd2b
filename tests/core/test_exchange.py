"""A token endpoint that misbehaves gives a typed error, one POST, and nothing persisted
(docs/security.md (a)20, (b)13-14)."""

from __future__ import annotations

import socket
import time

import pytest
import requests

from desktop_oauth.core.errors import InsecureURLError, InvalidGrantError, TokenError
from desktop_oauth.core.exchange import post_token_request
from desktop_oauth.core.http import MAX_BODY_BYTES
from desktop_oauth.core.tokens import TokenSet

from .scripted_server import Answer, scripted_server


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            Answer(
                200,
                b"<html><body>Sign in to the Wi-Fi</body></html>",
                {"Content-Type": "text/html"},
            ),
            "web page",
        ),
        (Answer(500, b"oops", {"Content-Type": "text/plain"}), "HTTP 500"),
        (Answer(503, b"", {}), "HTTP 503"),
        (Answer.json({"error": "slow_down"}, 429, **{"Retry-After": "30"}), "30 seconds"),
        (Answer.json({"error": "invalid_client"}, 401), "invalid_client"),
        (
            Answer(200, b"x" * (MAX_BODY_BYTES + 10), {"Content-Type": "application/json"}),
            "far too large",
        ),
        (Answer.json(["not", "an", "object"]), "not an object"),
    ],
)
def test_unusable_answers_are_typed_errors_after_one_post(answer: Answer, message: str) -> None:
    with scripted_server(lambda r: answer) as server:
        with pytest.raises(TokenError, match=message):
            post_token_request(requests.Session(), server.url + "/token", "code=c", "app")
    assert len(server.posts()) == 1


def test_invalid_grant_is_its_own_error() -> None:
    with scripted_server(lambda r: Answer.json({"error": "invalid_grant"}, 400)) as server:
        with pytest.raises(InvalidGrantError, match="Sign in again"):
            post_token_request(requests.Session(), server.url + "/token", "code=c", "app")


def test_read_timeout_is_reported_and_not_retried() -> None:
    with scripted_server(lambda r: Answer(200, b"{}", delay=1.5)) as server:
        started = time.monotonic()
        with pytest.raises(TokenError, match="did not answer in time"):
            post_token_request(
                requests.Session(), server.url + "/token", "code=c", "app", timeout=(2.0, 0.2)
            )
        assert time.monotonic() - started < 1.1  # the read timeout, not the 1.5 s answer
    assert len(server.posts()) == 1


def test_connection_reset_is_reported() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    with pytest.raises(TokenError, match="Could not reach"):
        post_token_request(requests.Session(), f"http://127.0.0.1:{port}/token", "c", "app")


def test_plain_http_is_refused_off_loopback_before_sending() -> None:
    with pytest.raises(InsecureURLError, match="plain http"):
        post_token_request(requests.Session(), "http://id.example.test/token", "c", "app")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"token_type": "Bearer"}, "no access token"),
        ({"access_token": "a", "expires_in": "3600"}, "not a number"),
        ({"access_token": "a", "expires_in": -5}, "already expired"),
        ({"access_token": "a", "scope": ["openid"]}, "scope that is not text"),
    ],
)
def test_malformed_token_json_is_rejected(data: dict[str, object], message: str) -> None:
    with pytest.raises(TokenError, match=message):
        TokenSet.from_response(data, ("openid",), now=1000.0)


def test_token_set_masks_itself_and_keeps_refresh_token_after_refresh() -> None:
    old = TokenSet(access_token="secret-access", refresh_token="secret-refresh", id_token="x.y.z")
    new = TokenSet.from_response({"access_token": "secret-new", "expires_in": 60}, ("a",), 10.0)
    merged = old.merged_after_refresh(new)
    assert merged.refresh_token == "secret-refresh" and merged.access_token == "secret-new"
    assert merged.expires_at == 70.0 and merged.granted_scopes == ("a",)
    for text in (repr(merged), str(merged), f"{merged}"):
        assert "secret" not in text
