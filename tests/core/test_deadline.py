"""Finding 5 of the security review (docs/security.md): no overall deadline on a
provider call. A discovery body dripping one byte at a time was accepted after
20 s; the token endpoint took 17.5 s. Now every call has one deadline, and
Cancel aborts an exchange in flight."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import urlencode

import pytest
import requests

from desktop_oauth.core.connect import ConnectAttempt
from desktop_oauth.core.discovery import fetch_metadata
from desktop_oauth.core.errors import DesktopOAuthError, FlowCancelledError
from desktop_oauth.core.exchange import post_token_request
from desktop_oauth.core.http import new_session
from desktop_oauth.core.provider import Endpoints, ProviderConfig

from .dripping_server import DrippingServer

# The deadline is the session's (new_session(deadline=...)); a short one keeps the
# tier fast, and each byte still arrives well within the 1 s read timeout.
DEADLINE = 0.25
DRIP = 0.05  # seconds between bytes: a 200-byte answer takes ~10 s
SLACK = 1.0  # thread start-up and a loaded machine


def discovery_document(issuer: str) -> bytes:
    return json.dumps(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "response_types_supported": ["code"],
            "padding": "x" * 40,
        }
    ).encode()


@pytest.mark.parametrize("drip_head", [False, True], ids=["body", "head"])
def test_dripping_discovery_is_cut_at_the_deadline(drip_head: bool) -> None:
    # Each byte arrives within the 1 s read timeout; the whole would take ~10 s.
    with DrippingServer(b"", interval=DRIP, drip_head=drip_head) as server:
        server.body = discovery_document(server.url)
        with new_session(timeout=(1.0, 1.0), deadline=DEADLINE) as http:
            started = time.monotonic()
            with pytest.raises(DesktopOAuthError) as caught:
                fetch_metadata(http, server.url)
            elapsed = time.monotonic() - started
    assert elapsed < DEADLINE + SLACK, elapsed
    assert f"did not finish answering within {DEADLINE:g} seconds" in str(caught.value)


def test_dripping_token_endpoint_is_cut_at_the_deadline() -> None:
    body = json.dumps({"access_token": "a" * 100, "token_type": "Bearer"}).encode()
    with DrippingServer(body, interval=DRIP) as server:
        with new_session(timeout=(1.0, 1.0), deadline=DEADLINE) as http:
            started = time.monotonic()
            with pytest.raises(DesktopOAuthError) as caught:
                post_token_request(http, f"{server.url}/token", "grant_type=x", "app")
            elapsed = time.monotonic() - started
        assert server.connections == 1  # the code is never sent twice
    assert elapsed < DEADLINE + SLACK, elapsed
    assert "did not finish answering" in str(caught.value)


def test_a_prompt_answer_is_unaffected_by_the_deadline() -> None:
    body = json.dumps({"access_token": "abc", "token_type": "Bearer"}).encode()
    with DrippingServer(body, interval=0.0) as server, new_session(deadline=DEADLINE) as http:
        assert post_token_request(http, f"{server.url}/token", "x=1", "app")["access_token"]


def test_cancel_aborts_the_code_exchange_in_flight() -> None:
    body = json.dumps({"access_token": "a" * 200, "token_type": "Bearer"}).encode()
    with DrippingServer(body, interval=DRIP) as server, new_session(deadline=60) as http:
        provider = ProviderConfig(
            name="slow",
            issuer=server.url,
            client_id="app",
            scopes=("notes",),
            endpoints=Endpoints(
                authorization=f"{server.url}/authorize", token=f"{server.url}/token"
            ),
        )
        attempt = ConnectAttempt(provider, http, deadline_seconds=10)
        query = urlencode({"code": "c0de", "state": attempt.pending.state})
        threading.Thread(
            target=lambda: requests.get(f"{attempt.redirect_uri}?{query}", timeout=5),
            daemon=True,
        ).start()
        params = attempt.wait_for_redirect()
        outcome: list[BaseException] = []

        def exchange() -> None:
            try:
                attempt.complete(params)
            except BaseException as exc:
                outcome.append(exc)

        worker = threading.Thread(target=exchange)
        worker.start()
        assert server.wait_sent(4, timeout=5)  # the token answer is trickling in
        assert worker.is_alive() and server.connections == 1
        cancelled_at = time.monotonic()
        attempt.cancel()
        worker.join(5)
        assert not worker.is_alive()
        assert time.monotonic() - cancelled_at < 1.0
    [error] = outcome
    assert isinstance(error, FlowCancelledError)
