"""The provider's key set is fetched while the person is still in the browser, and
userinfo is asked while the id_token is checked, so the redirect is answered without
waiting on either in turn (docs/performance.md, the connect row)."""

from __future__ import annotations

import threading
import time
from urllib.parse import urlencode

import requests

from desktop_oauth.core.connect import ConnectAttempt
from desktop_oauth.core.http import new_session
from desktop_oauth.core.provider import Endpoints, ProviderConfig

from .scripted_server import Answer, Received, scripted_server
from .test_id_token import KID, defective_id_token, new_key, public_jwk

SLOW_KEYS = 0.5  # seconds the key set takes to answer


def provider_at(url: str, *, userinfo: bool) -> ProviderConfig:
    """An OpenID provider whose endpoints are all on the scripted server at ``url``."""
    return ProviderConfig(
        name="op",
        issuer=url,
        client_id="app",
        scopes=("openid",),
        endpoints=Endpoints(
            authorization=f"{url}/authorize",
            token=f"{url}/token",
            jwks_uri=f"{url}/jwks",
            userinfo=f"{url}/userinfo" if userinfo else None,
        ),
    )


def test_the_key_set_is_fetched_before_the_redirect_comes_back() -> None:
    no_keys = Answer.json({"keys": []})
    with scripted_server(lambda request: no_keys) as server, new_session() as http:
        provider = provider_at(server.url, userinfo=False)
        attempt = ConnectAttempt(provider, http, deadline_seconds=10)
        try:
            deadline = time.monotonic() + 5
            while not server.received and time.monotonic() < deadline:
                time.sleep(0.01)
            assert [(r.method, r.path) for r in server.received] == [("GET", "/jwks")]
            assert not attempt.redirected
        finally:
            attempt.close()


def test_userinfo_is_asked_while_the_id_token_is_checked() -> None:
    key = new_key()
    asked: dict[str, float] = {}
    flow: dict[str, str] = {}

    def answer(request: Received) -> Answer:
        asked.setdefault(request.path, time.monotonic())
        if request.path == "/jwks":  # the key set takes its time
            keys = Answer.json({"keys": [public_jwk(key, KID)]})
            return Answer(keys.status, keys.body, keys.headers, delay=SLOW_KEYS)
        if request.path == "/userinfo":
            return Answer.json({"sub": "u1"})
        id_token = defective_id_token("none", key, flow["issuer"], flow["nonce"])
        return Answer.json({"access_token": "at", "token_type": "Bearer", "id_token": id_token})

    with scripted_server(answer) as server, new_session() as http:
        flow["issuer"] = server.url
        provider = provider_at(server.url, userinfo=True)
        attempt = ConnectAttempt(provider, http, deadline_seconds=10)
        flow["nonce"] = attempt.pending.nonce
        query = urlencode({"code": "c0de", "state": attempt.pending.state})
        threading.Thread(
            target=lambda: requests.get(f"{attempt.redirect_uri}?{query}", timeout=5),
            daemon=True,
        ).start()
        result = attempt.complete(attempt.wait_for_redirect())
    assert result.claims["sub"] == "u1" and result.userinfo is not None
    assert result.userinfo.data == {"sub": "u1"}
    # The key set answered SLOW_KEYS after it was asked; one after the other, userinfo
    # would have been asked only after that answer and the signature check.
    assert asked["/userinfo"] < asked["/jwks"] + SLOW_KEYS
