"""What the flow log records of real operations against the sandbox on 127.0.0.1:
the named steps in order with their exchanges, the step each failure stops at,
and no secret the run produced in any record or log line."""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from desktop_oauth.core import discovery
from desktop_oauth.core.accounts import AccountService, AccountView, LocalProvider
from desktop_oauth.core.connect import ConnectAttempt, identify
from desktop_oauth.core.device import checked_claims, poll_for_tokens, start_device_authorization
from desktop_oauth.core.errors import DesktopOAuthError
from desktop_oauth.core.flow import pkce_challenge
from desktop_oauth.core.flow_log import (
    FlowLog,
    HttpExchange,
    Operation,
    OperationRecord,
    Step,
    StepState,
)
from desktop_oauth.core.flow_log import step as flow_step
from desktop_oauth.core.flow_text import failure_summary
from desktop_oauth.core.http import new_session, send
from desktop_oauth.core.logs import RedactingFormatter
from desktop_oauth.core.loopback import LoopbackReceiver
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.provider import ProviderConfig
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.sandbox import SandboxServer, provider_config
from tests.sandbox.helpers import Browser

from .scripted_server import Answer, Received, scripted_server
from .test_id_token import new_key, public_jwk
from .test_token_store import FlakyKeyring

SCOPES = ("openid", "profile", "email", "offline_access")


def make_service(
    tmp_path: Path, log: FlowLog, config: ProviderConfig, session: requests.Session
) -> AccountService:
    profile = Profile(home=tmp_path / "app", keyring_service=f"test:{uuid.uuid4().hex}")
    return AccountService(
        profile,
        store=TokenStore(profile.keyring_service, FlakyKeyring()),
        session=session,
        local_providers=[LocalProvider(config.name, lambda: config, aliases=("sandbox",))],
        flow_log=log,
    )


class Run:
    """One attempt, with every secret value it produced kept for the leak check."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()

    def connect(
        self,
        service: AccountService,
        browser: Browser,
        *,
        decision: str = "allow",
        tamper: Callable[[str], str] = lambda url: url,
    ) -> AccountView:
        attempt = service.begin_connect(
            service.provider_name("sandbox"), scopes=SCOPES, deadline_seconds=30
        )
        try:
            self._keep_pending(attempt)
            location = browser.walk(attempt.url, decision=decision)
            assert isinstance(location, str), location
            location = tamper(location)
            query = parse_qs(urlsplit(location).query)
            self.secrets.update(query.get("code", []) + query.get("state", []))
            deliver = threading.Thread(target=lambda: requests.get(location, timeout=10))
            deliver.start()
            params = attempt.wait_for_redirect()
            deliver.join()
            result = attempt.complete(params)
        finally:
            attempt.close()
        self.keep(result.tokens)
        return service.save_connection(result)

    def _keep_pending(self, attempt: ConnectAttempt) -> None:
        pending = attempt.pending
        self.secrets.update(
            (
                pending.state,
                pending.nonce,
                pending.code_verifier,
                pkce_challenge(pending.code_verifier),
            )
        )

    def keep(self, tokens: object) -> None:
        for name in ("access_token", "refresh_token", "id_token"):
            value = getattr(tokens, name, None)
            if value:
                self.secrets.add(value)


def every_text(record: OperationRecord) -> str:
    """The record's repr and every field of every step and exchange."""
    parts = [repr(record), str(record.error)]
    for step in record.steps:
        parts += [repr(step), str(step.error), str(step.answer)]
        for exchange in step.exchanges:
            parts += [str(getattr(exchange, f.name)) for f in dataclasses.fields(HttpExchange)]
    return "\n".join(parts)


def kinds(record: OperationRecord) -> list[tuple[Step, StepState]]:
    return [(s.step, s.state) for s in record.steps]


def test_a_connect_records_the_named_steps_in_order_each_with_its_exchanges(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    log = FlowLog()
    service = make_service(tmp_path, log, provider_config(sandbox.issuer), requests.Session())
    view = Run().connect(service, Browser(sandbox.issuer))
    record = log.last(view.record.id)
    assert record is not None and record.finished and record.failed_step is None
    assert [s.step for s in record.steps] == [
        Step.DISCOVERY,
        Step.AUTHORIZE,
        Step.CALLBACK,
        Step.TOKEN,
        Step.ID_TOKEN,
        Step.API,
    ]
    assert all(s.state is StepState.DONE and s.duration is not None for s in record.steps)
    by_step = {s.step: s.exchanges for s in record.steps}
    [metadata] = by_step[Step.DISCOVERY]
    assert (metadata.method, metadata.status) == ("GET", 200)
    assert metadata.url.endswith("/.well-known/openid-configuration")
    assert '"issuer"' in metadata.response_body
    [browser_request] = by_step[Step.AUTHORIZE]
    assert browser_request.status is None and "code_challenge_method=S256" in browser_request.url
    [callback] = by_step[Step.CALLBACK]
    assert (callback.direction, callback.method, callback.status) == ("incoming", "GET", 200)
    assert "code=«authorization code, " in callback.url
    [token] = by_step[Step.TOKEN]
    assert (token.method, token.status) == ("POST", 200)
    assert "grant_type=authorization_code" in token.request_body
    assert "code_verifier=«PKCE verifier, 86 chars»" in token.request_body
    assert '"access_token": "«access token, ' in token.response_body
    assert [e.url.endswith("/jwks") for e in by_step[Step.ID_TOKEN]] == [True]
    [userinfo] = by_step[Step.API]
    assert dict(userinfo.request_headers)["Authorization"].startswith("Bearer «access token")
    assert userinfo.status == 200 and '"sub"' in userinfo.response_body

    # The next connect finds the settings cached: no discovery step is shown.
    again = Run().connect(service, Browser(sandbox.issuer))
    latest = log.last(again.record.id)
    assert latest is not None and latest.steps[0].step is Step.AUTHORIZE


def test_no_secret_of_connect_refresh_api_call_and_revoke_reaches_a_record_or_a_log_line(
    tmp_path: Path, sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    log = FlowLog()
    seen: list[OperationRecord] = []
    log.subscribe(seen.append)
    service = make_service(tmp_path, log, provider_config(sandbox.issuer), requests.Session())
    run = Run()
    view = run.connect(service, Browser(sandbox.issuer))
    account = view.record.id
    refreshed = service.refresh(account)
    run.keep(refreshed.tokens)
    service.fetch_data(account)
    outcome = service.revoke(account)
    assert outcome.verified is True

    operations = log.operations(account)
    assert [o.operation.value for o in operations] == ["connect", "refresh", "API call", "revoke"]
    # The rotated-out refresh token is asked about (RFC 7662) before it is let go.
    assert [s.step for s in operations[1].steps] == [Step.REFRESH, Step.ID_TOKEN, Step.VERIFY]
    [introspection] = operations[1].steps[2].exchanges
    assert introspection.url.endswith("/introspect") and "token=«refresh token, " in (
        introspection.request_body
    )
    assert [s.step for s in operations[2].steps] == [Step.API]
    assert [s.step for s in operations[3].steps][:2] == [Step.REVOKE, Step.VERIFY]
    revoke_body = operations[3].steps[0].exchanges[0].request_body
    assert "token=«" in revoke_body

    secrets = {s for s in run.secrets if len(s) >= 8}
    assert len(secrets) >= 9  # state, nonce, verifier, challenge, code, 2 x (access, refresh)
    # Each line as the app's log file writes it (core/logs.py formats every record).
    lines = [RedactingFormatter("%(name)s %(message)s").format(r) for r in caplog.records]
    assert len(lines) > 10
    texts = [every_text(r) for r in seen] + lines
    leaks = [
        (s[:6], text[max(0, text.index(s) - 80) : text.index(s)])
        for s in secrets
        for text in texts
        if s in text
    ]
    assert leaks == []


def scripted(
    sandbox: SandboxServer, endpoint: str, answer: Answer
) -> Iterator[tuple[ProviderConfig, list[Received]]]:
    """The sandbox's settings with one endpoint played by a scripted server."""
    config = discovery.resolve(requests.Session(), provider_config(sandbox.issuer))
    assert config.endpoints is not None
    with scripted_server(lambda _: answer) as server:
        endpoints = dataclasses.replace(config.endpoints, **{endpoint: f"{server.url}/x"})
        yield dataclasses.replace(config, endpoints=endpoints), server.received


def failed_connect(
    tmp_path: Path, sandbox: SandboxServer, config: ProviderConfig, **how: object
) -> OperationRecord:
    log = FlowLog()
    service = make_service(tmp_path, log, config, requests.Session())
    with pytest.raises(DesktopOAuthError):
        Run().connect(service, Browser(sandbox.issuer), **how)  # type: ignore[arg-type]
    record = log.last(None)
    assert record is not None and record.finished
    return record


def test_a_refused_consent_fails_the_callback_step_with_the_providers_answer(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    record = failed_connect(tmp_path, sandbox, provider_config(sandbox.issuer), decision="deny")
    assert kinds(record)[-2:] == [
        (Step.AUTHORIZE, StepState.DONE),
        (Step.CALLBACK, StepState.FAILED),
    ]
    assert record.failed_step is Step.CALLBACK
    assert failure_summary(record) == (
        "the authorization response failed: the provider answered access_denied"
    )


def test_an_invalid_grant_at_the_token_endpoint_fails_the_token_step(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    def wrong_code(url: str) -> str:
        query = parse_qs(urlsplit(url).query)
        return url.replace(f"code={query['code'][0]}", "code=not-the-code-the-provider-issued")

    record = failed_connect(tmp_path, sandbox, provider_config(sandbox.issuer), tamper=wrong_code)
    assert record.failed_step is Step.TOKEN
    [post] = record.steps[-1].exchanges
    assert (post.method, post.status) == ("POST", 400)
    assert (
        failure_summary(record) == "the token exchange failed: the provider answered invalid_grant"
    )


def test_a_bad_id_token_signature_fails_the_id_token_step(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    # The sandbox's key id, published with another key: the signature cannot verify.
    kid = requests.get(f"{sandbox.issuer}/jwks", timeout=10).json()["keys"][0]["kid"]
    other_key = public_jwk(new_key(), kid)
    gen = scripted(sandbox, "jwks_uri", Answer.json({"keys": [other_key]}))
    config, _ = next(gen)
    try:
        record = failed_connect(tmp_path, sandbox, config)
    finally:
        gen.close()
    assert record.failed_step is Step.ID_TOKEN
    assert kinds(record)[-1] == (Step.ID_TOKEN, StepState.FAILED)
    assert record.steps[-1].exchanges[0].status == 200  # the keys came; none signed it
    summary = failure_summary(record)
    assert summary is not None and summary.startswith("the id_token check failed: ")


def test_a_userinfo_401_fails_the_api_step(tmp_path: Path, sandbox: SandboxServer) -> None:
    gen = scripted(
        sandbox,
        "userinfo",
        Answer.json({"error": "invalid_token"}, 401, **{"WWW-Authenticate": "Bearer"}),
    )
    config, received = next(gen)
    try:
        record = failed_connect(tmp_path, sandbox, config)
    finally:
        gen.close()
    assert record.failed_step is Step.API
    [call] = record.steps[-1].exchanges
    assert call.status == 401 and len(received) == 1
    assert failure_summary(record) == "the API call failed: the provider answered invalid_token"


def test_a_revocation_503_fails_the_revoke_step_and_is_named(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    gen = scripted(sandbox, "revocation", Answer(503, b"busy", {"Content-Type": "text/plain"}))
    config, received = next(gen)
    try:
        log = FlowLog()
        service = make_service(tmp_path, log, config, requests.Session())
        view = Run().connect(service, Browser(sandbox.issuer))
        service.revoke(view.record.id)
    finally:
        gen.close()
    record = log.last(view.record.id)
    assert record is not None and record.operation.value == "revoke"
    assert kinds(record) == [(Step.REVOKE, StepState.FAILED)]
    assert record.failed_step is Step.REVOKE and received
    assert record.steps[0].exchanges[0].status == 503
    assert failure_summary(record) == "the revocation failed: the provider answered HTTP 503"


def test_no_callback_before_the_deadline_fails_the_authorize_step(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    """A wrong redirect URI: the provider shows an error page and never redirects
    (oidc-provider does), so the authorize step ends when the wait does."""
    log = FlowLog()
    service = make_service(tmp_path, log, provider_config(sandbox.issuer), requests.Session())
    attempt = service.begin_connect(service.provider_name("sandbox"), deadline_seconds=0.3)
    with pytest.raises(DesktopOAuthError):
        attempt.wait_for_redirect()
    attempt.close()
    record = log.last(None)
    assert record is not None and record.failed_step is Step.AUTHORIZE
    assert failure_summary(record) == (
        "the sign-in at the provider failed: no answer came back from the browser in time. "
        "Please try again."
    )


def test_a_device_sign_in_records_its_steps_and_shows_the_user_code_only(
    tmp_path: Path, sandbox: SandboxServer
) -> None:
    log = FlowLog()
    session = requests.Session()
    service = make_service(tmp_path, log, provider_config(sandbox.issuer), session)
    provider = service.resolve_provider(service.provider_name("sandbox"))
    with log.operation(Operation.DEVICE, provider=provider.name):
        authorization = start_device_authorization(session, provider)
        assert authorization.verification_uri_complete is not None
        page = Browser(sandbox.issuer).walk(authorization.verification_uri_complete)
        assert not isinstance(page, str) and page.page == "sandbox-device-done"
        tokens = poll_for_tokens(
            session, provider, authorization, cancelled=threading.Event(), pause=lambda _: False
        )
        claims = checked_claims(session, provider, tokens)
        view = service.save_connection(identify(session, provider, tokens, claims, SCOPES))
    record = log.last(view.record.id)
    assert record is not None and record.failed_step is None
    assert kinds(record) == [
        (Step.DEVICE_AUTHORIZATION, StepState.DONE),
        (Step.DEVICE_POLL, StepState.DONE),
        (Step.ID_TOKEN, StepState.DONE),
        (Step.API, StepState.DONE),
    ]
    [asked] = record.steps[0].exchanges
    # RFC 8628 §3.3: the person reads and types the user code; the device code is secret.
    assert f'"user_code": "{authorization.user_code}"' in asked.response_body
    assert authorization.device_code not in every_text(record)
    assert "device_code=«device code, " in record.steps[1].exchanges[-1].request_body


def test_a_call_that_gets_no_answer_is_recorded_with_why() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens once the socket is closed
    log = FlowLog()
    with log.operation(Operation.API_CALL, provider="p") as recorder:
        with pytest.raises(DesktopOAuthError), flow_step(Step.API):
            send(
                new_session(),
                "GET",
                f"http://127.0.0.1:{port}/me?access_token=abcdefghijkl",
                "API",
                headers={"Authorization": "Bearer abcdefghijkl"},
            )
        recorder.finish()
    record = log.last(None)
    assert record is not None and record.failed_step is Step.API
    [attempt] = record.steps[0].exchanges
    assert attempt.status is None and attempt.error and "Could not reach" in attempt.error
    assert "abcdefghijkl" not in every_text(record)
    summary = failure_summary(record)
    assert summary is not None and summary.startswith(
        "the API call failed: could not reach the API"
    )


def test_the_receiver_records_each_request_it_answers_and_the_callback_opens_its_step() -> None:
    log = FlowLog()
    recorder = log.start(Operation.CONNECT, provider="p")
    state = "the-state-of-this-sign-in-0123456789"
    recorder.secrets.add("state", state)
    recorder.begin(Step.AUTHORIZE)
    with LoopbackReceiver(deadline_seconds=10, recorder=recorder) as receiver:
        link = receiver.shareable_url(f"https://id.example/auth?state={state}")
        got: list[dict[str, str]] = []
        waiting = threading.Thread(target=lambda: got.append(receiver.wait(state=state)))
        waiting.start()
        with requests.Session() as browser:
            browser.trust_env = False
            assert browser.get(link, allow_redirects=False, timeout=5).status_code == 303
            assert (
                browser.get(
                    receiver.redirect_uri.replace("/callback", "/favicon.ico"), timeout=5
                ).status_code
                == 404
            )
            done = browser.get(
                f"{receiver.redirect_uri}?code=a-code-of-the-provider&state={state}", timeout=5
            )
            assert done.status_code == 200
        waiting.join(5)
    assert got and got[0]["code"] == "a-code-of-the-provider"
    record = recorder.record
    assert [(s.step, [e.status for e in s.exchanges]) for s in record.steps] == [
        (Step.AUTHORIZE, [303, 404]),
        (Step.CALLBACK, [200]),
    ]
    assert all(e.direction == "incoming" for s in record.steps for e in s.exchanges)
    text = every_text(record)
    for secret in (state, "a-code-of-the-provider", link.rsplit("/", 1)[1]):
        assert secret not in text
