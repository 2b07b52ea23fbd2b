"""One connection attempt: the loopback receiver, the browser, the redirect, the tokens.

Blocking by design; the window runs it on a worker thread and calls
:meth:`ConnectAttempt.cancel` from the GUI thread.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import requests

from . import flow, flow_log
from .api import ApiResult, call_api
from .errors import TokenError
from .flow_log import FlowLog, HttpExchange, Operation, OperationRecorder, Step
from .id_token import KeySet
from .inflight import Cancellation
from .loopback import LoopbackReceiver
from .presets import preset_for
from .provider import ProviderConfig
from .provider_apis import fetch_api
from .redaction import browser_request
from .redirect import parse_redirect_uri
from .tokens import TokenSet, id_token_claims


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
        jwks_uri = self.pending.provider.endpoints and self.pending.provider.endpoints.jwks_uri
        self._keys = KeySet(session, jwks_uri) if jwks_uri else None
        self._keys_fetched: list[HttpExchange] = []
        if self._keys is not None:
            # Fetched while the person is in the browser rather than after the token
            # arrives: the redirect is then answered without waiting on the key set.
            # Run in a copy of this thread's context, so the fetch is recorded with
            # this operation; its exchange joins the id_token step it serves.
            context = contextvars.copy_context()
            threading.Thread(
                target=context.run,
                args=(self._prefetch_keys,),
                name="desktop-oauth-jwks",
                daemon=True,
            ).start()

    def _prefetch_keys(self) -> None:
        assert self._keys is not None
        with flow_log.holding(self._keys_fetched):
            self._keys.prefetch()

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
        endpoints = provider.endpoints
        assert endpoints is not None
        secret, clock = self._client_secret, self._clock
        tokens = flow.redeem(self.pending, params, self._session, client_secret=secret, clock=clock)
        # Userinfo is asked while the id_token is checked: both only say who signed in,
        # and nothing is kept unless both agree (identify). The access token goes to
        # the provider that issued it, and nowhere else, whichever check fails.
        asked = None
        if endpoints.userinfo and provider.is_openid:
            userinfo_uri = endpoints.userinfo
            asked = self._alongside(
                lambda: call_api(
                    self._session, userinfo_uri, tokens.access_token, "userinfo endpoint"
                )
            )
        flow.check_id_token(
            self.pending, tokens, self._keys, clock=clock, fetched=self._keys_fetched
        )
        return identify(
            self._session,
            provider,
            tokens,
            id_token_claims(tokens),
            self.pending.requested_scopes,
            asked=asked,
        )

    def _alongside(
        self, call: Callable[[], ApiResult]
    ) -> Callable[[], tuple[ApiResult, list[HttpExchange]]]:
        """Start ``call`` on a thread, inside this attempt's cancellation (Cancel aborts
        it too); the function returned waits for its answer or raises its error, and
        hands over the exchanges it made for the step they belong to."""
        outcome: list[ApiResult | BaseException] = []
        held: list[HttpExchange] = []

        def run() -> None:
            with self._cancellation.scope(), flow_log.holding(held):
                try:
                    outcome.append(call())
                except BaseException as exc:  # handed to the caller of the result
                    outcome.append(exc)

        # A copy of this thread's context: the call is recorded with this operation.
        context = contextvars.copy_context()
        thread = threading.Thread(target=context.run, args=(run,), name="desktop-oauth-userinfo")
        thread.daemon = True
        thread.start()

        def result() -> tuple[ApiResult, list[HttpExchange]]:
            thread.join()
            answer = outcome[0]
            if isinstance(answer, BaseException):
                flow_log.add_held(held)
                raise answer
            return answer, held

        return result


def identify(
    session: requests.Session,
    provider: ProviderConfig,
    tokens: TokenSet,
    claims: dict[str, Any],
    requested_scopes: tuple[str, ...],
    *,
    asked: Callable[[], tuple[ApiResult, list[HttpExchange]]] | None = None,
) -> ConnectResult:
    """Find out who signed in: the id_token's subject, checked against userinfo, or
    for OAuth-only providers (GitHub) the user id their API reports.

    Args:
        asked: Waits for the userinfo endpoint's answer (and its recorded
            exchanges) when the caller already asked for it.

    Raises:
        TokenError: userinfo names another user, or nobody could be identified.
    """
    endpoints = provider.endpoints
    assert endpoints is not None
    userinfo: ApiResult | None = None
    if endpoints.userinfo:
        with flow_log.step(Step.API):
            if asked is None:
                userinfo = call_api(
                    session, endpoints.userinfo, tokens.access_token, "userinfo endpoint"
                )
            else:
                userinfo, exchanges = asked()
                flow_log.add_held(exchanges)
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
