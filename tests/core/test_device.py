"""The device grant's polling rules (RFC 8628 §3.4-3.5)."""

from __future__ import annotations

import base64
import threading
from urllib.parse import parse_qs

import pytest
import requests

from desktop_oauth.core.device import poll_for_tokens, start_device_authorization
from desktop_oauth.core.errors import (
    AuthorizationDeniedError,
    FlowCancelledError,
    FlowTimeoutError,
    TokenError,
)
from desktop_oauth.core.provider import Endpoints, ProviderConfig

from .scripted_server import Answer, Received, scripted_server


def provider(url: str) -> ProviderConfig:
    return ProviderConfig(
        name="dev",
        issuer=url,
        client_id="app",
        scopes=("openid",),
        endpoints=Endpoints(
            authorization=url + "/auth", token=url + "/token", device_authorization=url + "/device"
        ),
    )


def scripted(token_answers: list[Answer], interval: int | None = None):  # type: ignore[no-untyped-def]
    def answer(request: Received) -> Answer:
        if request.path == "/device":
            data = {
                "device_code": "dc",
                "user_code": "ABCD-EFGH",
                "verification_uri": "http://127.0.0.1/device",
                "expires_in": 600,
            }
            if interval is not None:
                data["interval"] = interval
            return Answer.json(data)
        return token_answers.pop(0)

    return scripted_server(answer)


def pending() -> Answer:
    return Answer.json({"error": "authorization_pending"}, 400)


def run(answers: list[Answer], interval: int | None = None) -> tuple[list[float], object]:
    waits: list[float] = []
    with scripted(answers, interval) as server:
        session = requests.Session()
        config = provider(server.url)
        authorization = start_device_authorization(session, config)
        assert authorization.user_code == "ABCD-EFGH"
        try:
            result: object = poll_for_tokens(
                session,
                config,
                authorization,
                cancelled=threading.Event(),
                pause=lambda s: waits.append(s) or False,
            )
        except Exception as exc:
            result = exc
        posts = [parse_qs(p.body.decode()) for p in server.posts() if p.path == "/token"]
    assert all(
        p["grant_type"] == ["urn:ietf:params:oauth:grant-type:device_code"]
        and p["device_code"] == ["dc"]
        for p in posts
    )
    return waits, result


def test_default_interval_is_five_seconds_and_slow_down_adds_five() -> None:
    waits, tokens = run(
        [
            pending(),
            Answer.json({"error": "slow_down"}, 400),
            pending(),
            Answer.json({"access_token": "at", "expires_in": 60}),
        ]
    )
    assert waits == [5.0, 5.0, 10.0, 10.0]
    assert getattr(tokens, "access_token", None) == "at"


def test_the_providers_interval_is_honoured() -> None:
    waits, _ = run([pending(), Answer.json({"access_token": "at"})], interval=7)
    assert waits == [7.0, 7.0]


@pytest.mark.parametrize(
    ("error", "kind"),
    [("access_denied", AuthorizationDeniedError), ("expired_token", FlowTimeoutError)],
)
def test_polling_stops_on_denial_and_expiry(error: str, kind: type[Exception]) -> None:
    waits, result = run([pending(), Answer.json({"error": error}, 400)])
    assert isinstance(result, kind)
    assert len(waits) == 2  # no poll after the final answer


def test_cancel_stops_polling_at_once() -> None:
    with scripted([pending()] * 10) as server:
        session = requests.Session()
        config = provider(server.url)
        authorization = start_device_authorization(session, config)
        cancelled = threading.Event()
        cancelled.set()
        with pytest.raises(FlowCancelledError):
            poll_for_tokens(session, config, authorization, cancelled=cancelled)
        assert [p for p in server.posts() if p.path == "/token"] == []


def test_a_failed_poll_is_retried_after_twice_the_wait_a_few_times() -> None:
    # RFC 8628 §3.5: back off when the provider could not answer; an OAuth answer
    # (authorization_pending) brings the interval back.
    busy = Answer(503, b"busy", {"Content-Type": "text/plain"})
    waits, tokens = run([busy, busy, pending(), busy, Answer.json({"access_token": "at"})])
    assert waits == [5.0, 10.0, 20.0, 5.0, 10.0]
    assert getattr(tokens, "access_token", None) == "at"
    waits, result = run([busy] * 5)
    assert waits == [5.0, 10.0, 20.0, 40.0]
    assert isinstance(result, TokenError) and "HTTP 503" in str(result)


def test_a_confidential_client_authenticates_when_polling() -> None:
    with scripted([Answer.json({"access_token": "at"})]) as server:
        session = requests.Session()
        config = provider(server.url)
        authorization = start_device_authorization(session, config)
        poll_for_tokens(
            session,
            config,
            authorization,
            cancelled=threading.Event(),
            pause=lambda s: False,
            client_secret="s3cret",
        )
        [poll] = [p for p in server.posts() if p.path == "/token"]
    assert poll.headers["Authorization"] == "Basic " + base64.b64encode(b"app:s3cret").decode()
