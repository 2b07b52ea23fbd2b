"""One connection attempt: the loopback receiver, the browser, the redirect, the tokens.

Blocking by design; the window runs it on a worker thread and calls
:meth:`ConnectAttempt.cancel` from the GUI thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from . import flow, flow_log
from .api import ApiResult, call_api
from .errors import TokenError
from .flow_log import FlowLog, Operation, OperationRecorder, Step
from .id_token import KeySet
from .inflight import Cancellation
from .loopback import LoopbackReceiver
from .presets import preset_for
from .provider import ProviderConfig
from .provider_apis import fetch_api
from .redaction import browser_request
from .redirect import parse_redirect_uri
from .tokens import TokenSet


@dataclass(frozen=True)
class ConnectResult:
    """What a successful connection produced."""

    provider: ProviderConfig
    tokens: TokenSet = field(repr=False)
    claims: dict[str, Any] = field(repr=False)
    userinfo: ApiResult | None = field(repr=False)
    requested_scopes: tuple[str, ...]
    #: The flow log of the sign-in, tied to its account once the account is known.
    operation: OperationRecorder | None = field(default=None, repr=False, compare=False)


class ConnectAttempt:
    """Holds the receiver's port from before the browser opens until the end.

    Args:
        provider: A provider with resolved endpoints.
        session: The HTTP session for the token and userinfo calls.
        deadline_seconds: How long to wait for the person in the browser.
        client_secret: For confidential clients only.
        operation: The flow log to record the sign-in's steps into (opened by the
            account service, which may have recorded discovery already); by
            default a connect operation in a log of its own.

    Raises:
        PortUnavailableError: the redirect port is taken (before any browser opens).
    """

    def __init__(
        self,
        provider: ProviderConfig,
        session: requests.Session,
        *,
        deadline_seconds: float = 300.0,
        client_secret: str | None = None,
        clock: Callable[[], float] = time.time,
        operation: OperationRecorder | None = None,
    ) -> None:
        if operation is None:
            operation = FlowLog().start(Operation.CONNECT, provider=provider.name)
        #: The sign-in's steps: authorize, callback, token, id_token, api.
        self.operation = operation
        operation.secrets.add("client secret", client_secret)
        self._session = session
        #: Set once the browser came back to the loopback port.
        self.redirected = False
        self._client_secret = client_secret
        self._clock = clock
        self._cancellation = Cancellation()
        # RFC 8252 §7.3: bind first, so the redirect URI carries a port we hold.
        if provider.redirect_uri:
            # A provider that compares the whole URI: listen exactly where it was registered.
            registered = parse_redirect_uri(provider.redirect_uri)
            self._receiver = LoopbackReceiver(
                host=registered.host,
                port=registered.port,
                path=registered.path,
                deadline_seconds=deadline_seconds,
                recorder=operation,
            )
        else:
            self._receiver = LoopbackReceiver(
                port=provider.redirect_port, deadline_seconds=deadline_seconds, recorder=operation
            )
        try:
            self.pending = flow.start(provider, self._receiver.redirect_uri)
        except BaseException:
            self._receiver.close()
            raise
        pending = self.pending
        operation.secrets.add_all(
            (
                ("state", pending.state),
                ("nonce", pending.nonce),
                ("PKCE verifier", pending.code_verifier),
                ("PKCE challenge", flow.pkce_challenge(pending.code_verifier)),
            )
        )
        # RFC 6749 §4.1.1: the person's browser makes this request; the step waits
        # for them until the callback arrives.
        operation.begin(Step.AUTHORIZE)
        operation.add_exchange(browser_request(pending.url, operation.secrets, started_at=clock()))

    @property
    def url(self) -> str:
        """The authorization URL to open in the person's browser."""
        return self.pending.url

    @property
    def shareable_url(self) -> str:
        """A local link to copy instead of :attr:`url` (no ``state`` on the clipboard)."""
        return self._receiver.shareable_url(self.url)

    @property
    def redirect_uri(self) -> str:
        """The loopback redirect URI of this attempt."""
        return self.pending.redirect_uri

    def cancel(self) -> None:
        """Stop waiting, or abort the code exchange in flight; safe from any thread.

        After the redirect, Cancel aborts the token and userinfo calls at once
        (their sockets are shut down) and :meth:`complete` raises
        FlowCancelledError; nothing is stored (docs/security.md finding 5).
        """
        self._receiver.cancel()
        self._cancellation.cancel()

    def close(self) -> None:
        """Free the port (idempotent); an unfinished sign-in's log ends failed."""
        self._receiver.close()
        if not self.operation.finished:
            self.operation.fail("The sign-in ended before it finished.")

    def wait_for_redirect(self) -> dict[str, str]:
        """Block until the browser comes back (or timeout/cancel); the port is closed after."""
        with self.operation.active():
            return self._wait()

    def _wait(self) -> dict[str, str]:
        provider = self.pending.provider
        assert provider.endpoints is not None
        try:
            params = self._receiver.wait(
                state=self.pending.state,
                issuer=provider.issuer,
                require_iss=provider.endpoints.iss_parameter_supported,
            )
            self.redirected = True
            return params
        finally:
            self._receiver.close()

    def complete(self, params: dict[str, str]) -> ConnectResult:
        """Redeem the code and fetch the user's data.

        Raises:
            AuthorizationDeniedError, IssuerMismatchError, TokenError, IdTokenError,
            FlowCancelledError (:meth:`cancel` was called).
        """
        with self._cancellation.scope(), self.operation.active():
            result = self._complete(params)
        self.operation.finish()
        return replace(result, operation=self.operation)

    def _complete(self, params: dict[str, str]) -> ConnectResult:
        provider = self.pending.provider
        assert provider.endpoints is not None
        keys = (
            KeySet(self._session, provider.endpoints.jwks_uri)
            if provider.endpoints.jwks_uri
            else None
        )
        tokens = flow.finish(
            self.pending,
            params,
            self._session,
            client_secret=self._client_secret,
            keys=keys,
            clock=self._clock,
        )
        return identify(
            self._session,
            provider,
            tokens,
            flow.id_token_claims(tokens),
            self.pending.requested_scopes,
        )


def identify(
    session: requests.Session,
    provider: ProviderConfig,
    tokens: TokenSet,
    claims: dict[str, Any],
    requested_scopes: tuple[str, ...],
) -> ConnectResult:
    """Find out who signed in: the id_token's subject, checked against userinfo, or
    for OAuth-only providers (GitHub) the user id their API reports.

    Raises:
        TokenError: userinfo names another user, or nobody could be identified.
    """
    endpoints = provider.endpoints
    assert endpoints is not None
    userinfo = None
    if endpoints.userinfo:
        with flow_log.step(Step.API):
            userinfo = call_api(
                session, endpoints.userinfo, tokens.access_token, "userinfo endpoint"
            )
            # OIDC Core §5.3.2: the userinfo sub must be the id_token's sub.
            if claims and userinfo.data.get("sub") != claims.get("sub"):
                raise TokenError(
                    "The provider's userinfo answer is about a different user than the "
                    "id_token; nothing was saved."
                )
    elif not claims and (preset := preset_for(provider)) is not None:
        with flow_log.step(Step.API):
            userinfo = fetch_api(session, preset, tokens.access_token)
        user_id = userinfo.data.get("id")
        if isinstance(user_id, int | str) and not isinstance(user_id, bool):
            userinfo = replace(userinfo, data={"sub": str(user_id), **userinfo.data})
    if not claims and (userinfo is None or not isinstance(userinfo.data.get("sub"), str)):
        raise TokenError("The provider did not say which user signed in.")
    return ConnectResult(
        provider=provider,
        tokens=tokens,
        claims=claims,
        userinfo=userinfo,
        requested_scopes=requested_scopes,
    )
