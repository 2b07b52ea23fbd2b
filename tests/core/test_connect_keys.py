"""The provider's key set is fetched while the person is still in the browser, so the
redirect is answered without waiting on it (docs/performance.md, the connect row)."""

from __future__ import annotations

import time

from desktop_oauth.core.connect import ConnectAttempt
from desktop_oauth.core.http import new_session
from desktop_oauth.core.provider import Endpoints, ProviderConfig

from .scripted_server import Answer, scripted_server


def test_the_key_set_is_fetched_before_the_redirect_comes_back() -> None:
    no_keys = Answer.json({"keys": []})
    with scripted_server(lambda request: no_keys) as server, new_session() as http:
        provider = ProviderConfig(
            name="op",
            issuer=server.url,
            client_id="app",
            scopes=("openid",),
            endpoints=Endpoints(
                authorization=f"{server.url}/authorize",
                token=f"{server.url}/token",
                jwks_uri=f"{server.url}/jwks",
            ),
        )
        attempt = ConnectAttempt(provider, http, deadline_seconds=10)
        try:
            deadline = time.monotonic() + 5
            while not server.received and time.monotonic() < deadline:
                time.sleep(0.01)
            assert [(r.method, r.path) for r in server.received] == [("GET", "/jwks")]
            assert not attempt.redirected
        finally:
            attempt.close()
