"""The authorization request and response checks (RFC 6749 §4.1, RFC 7636, RFC 9207)."""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from desktop_oauth.core import flow
from desktop_oauth.core.errors import (
    AuthorizationDeniedError,
    IdTokenError,
    IssuerMismatchError,
    TokenError,
)
from desktop_oauth.core.provider import Endpoints, ProviderConfig
from desktop_oauth.core.tokens import decode_jwt_claims

from .jwt_helpers import make_jwt
from .scripted_server import Answer, scripted_server

ISSUER = "https://id.example.test"


def provider(
    token_url: str = "https://id.example.test/token",
    iss_supported: bool = True,
    scopes: tuple[str, ...] = ("openid", "email"),
) -> ProviderConfig:
    return ProviderConfig(
        name="example",
        issuer=ISSUER,
        client_id="app-1",
        scopes=scopes,
        endpoints=Endpoints(
            authorization="https://id.example.test/authorize?x=1",
            token=token_url,
            iss_parameter_supported=iss_supported,
        ),
    )


def query(url: str) -> dict[str, str]:
    parsed = parse_qs(urlsplit(url).query, strict_parsing=True)
    assert all(len(v) == 1 for v in parsed.values())
    return {k: v[0] for k, v in parsed.items()}


def test_request_uses_pkce_s256_with_the_verifier_it_keeps() -> None:
    pending = flow.start(provider(), "http://127.0.0.1:4321/callback")
    params = query(pending.url)
    expected = (
        base64.urlsafe_b64encode(hashlib.sha256(pending.code_verifier.encode()).digest())
        .rstrip(b"=")
        .decode()
    )
    assert params["code_challenge"] == expected
    assert params["code_challenge_method"] == "S256"
    assert params["response_type"] == "code"
    assert params["redirect_uri"] == "http://127.0.0.1:4321/callback"
    assert params["state"] == pending.state and params["nonce"] == pending.nonce
    assert params["scope"] == "openid email"
    assert params["x"] == "1"  # the endpoint's own query survives
    assert 43 <= len(pending.code_verifier) <= 128  # RFC 7636 §4.1


def test_state_nonce_and_verifier_are_fresh_and_long() -> None:
    a = flow.start(provider(), "http://127.0.0.1:1/callback")
    b = flow.start(provider(), "http://127.0.0.1:1/callback")
    assert len({a.state, b.state, a.nonce, b.nonce}) == 4
    assert a.code_verifier != b.code_verifier
    # 32 bytes of secrets.token_urlsafe: 43 characters, 256 bits (>= 128 required).
    assert len(a.state) >= 43 and len(a.nonce) >= 43


def test_pending_flow_repr_hides_secrets() -> None:
    pending = flow.start(provider(), "http://127.0.0.1:1/callback")
    text = repr(pending)
    for secret in (pending.state, pending.nonce, pending.code_verifier):
        assert secret not in text


@pytest.mark.parametrize("bad", ["", "wrong", "PREFIX", "case"])
def test_wrong_state_is_refused(bad: str) -> None:
    pending = flow.start(provider(), "http://127.0.0.1:1/callback")
    state = {"PREFIX": pending.state[:-1], "case": pending.state.swapcase()}.get(bad, bad)
    with pytest.raises(TokenError, match="does not belong"):
        flow.check_response(pending, {"state": state, "code": "c", "iss": ISSUER})


def test_iss_must_match_and_must_be_present_when_promised() -> None:
    pending = flow.start(provider(), "http://127.0.0.1:1/callback")
    with pytest.raises(IssuerMismatchError):
        flow.check_response(pending, {"state": pending.state, "code": "c", "iss": ISSUER + "/"})
    with pytest.raises(IssuerMismatchError):
        flow.check_response(pending, {"state": pending.state, "code": "c"})
    relaxed = flow.start(provider(iss_supported=False), "http://127.0.0.1:1/callback")
    assert flow.check_response(relaxed, {"state": relaxed.state, "code": "c"}) == "c"


def test_error_with_matching_state_is_a_denial() -> None:
    pending = flow.start(provider(), "http://127.0.0.1:1/callback")
    with pytest.raises(AuthorizationDeniedError, match="declined") as caught:
        flow.check_response(
            pending, {"state": pending.state, "iss": ISSUER, "error": "access_denied"}
        )
    assert caught.value.error == "access_denied"


def token_response(pending: flow.PendingFlow, **claims: object) -> dict[str, object]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": "app-1",
        "sub": "user-1",
        "exp": now + 600,
        "iat": now,
        "nonce": pending.nonce,
    }
    base.update(claims)
    return {
        "access_token": "at-123",
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "openid",
        "id_token": make_jwt({k: v for k, v in base.items() if v is not None}),
    }


def test_finish_posts_the_code_once_with_verifier_and_same_redirect_uri() -> None:
    holder: dict[str, flow.PendingFlow] = {}
    with scripted_server(lambda r: Answer.json(token_response(holder["p"]))) as server:
        pending = flow.start(
            provider(token_url=server.url + "/token"), "http://127.0.0.1:5555/callback"
        )
        holder["p"] = pending
        tokens = flow.finish(
            pending, {"state": pending.state, "code": "the-code", "iss": ISSUER}, requests.Session()
        )
    assert tokens.access_token == "at-123"
    assert tokens.granted_scopes == ("openid",)  # narrower than requested: recorded
    [post] = server.posts()
    body = parse_qs(post.body.decode())
    assert body["code"] == ["the-code"]
    assert body["code_verifier"] == [pending.code_verifier]
    assert body["redirect_uri"] == ["http://127.0.0.1:5555/callback"]
    assert body["client_id"] == ["app-1"]
    assert "Authorization" not in post.headers  # a public client sends no Basic auth


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"iss": "https://evil.example.test"}, "iss check"),
        ({"aud": "someone-else"}, "aud check"),
        ({"aud": ["app-1", "other"]}, "azp"),
        ({"nonce": "replayed"}, "nonce check"),
        ({"exp": int(time.time()) - 600}, "check your computer's clock"),
        ({"iat": int(time.time()) + 600}, "check your computer's clock"),
        ({"sub": None}, "subject"),
    ],
)
def test_id_token_with_one_bad_claim_is_rejected(claims: dict[str, object], message: str) -> None:
    holder: dict[str, flow.PendingFlow] = {}
    with scripted_server(lambda r: Answer.json(token_response(holder["p"], **claims))) as server:
        pending = flow.start(provider(token_url=server.url + "/token"), "http://127.0.0.1:1/cb")
        holder["p"] = pending
        with pytest.raises(IdTokenError, match=message):
            flow.finish(
                pending, {"state": pending.state, "code": "c", "iss": ISSUER}, requests.Session()
            )


def test_unsigned_and_garbled_id_tokens_are_rejected() -> None:
    for token, message in (
        (make_jwt({"sub": "x"}, alg="none"), "alg: none"),
        ("a.b", "three parts"),
        ("%%%.%%%.%%%", "base64url"),
    ):
        with pytest.raises(IdTokenError, match=message):
            decode_jwt_claims(token)
