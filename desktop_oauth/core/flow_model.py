"""What the flow log holds: operations, their named steps, and HTTP exchanges.

The words and RFC sections of each step, the states, the bounds, and the
immutable records a view or the command line reads. The log that fills them
is :mod:`desktop_oauth.core.flow_log`, which re-exports every name here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from .errors import DesktopOAuthError


class Operation(StrEnum):
    """What the person asked for."""

    CONNECT = "connect"
    SIGN_IN_AGAIN = "sign in again"
    CHANGE_SCOPES = "change scopes"
    REFRESH = "refresh"
    API_CALL = "API call"
    REVOKE = "revoke"
    DEVICE = "device sign-in"


class Step(StrEnum):
    """One named step of an operation."""

    DISCOVERY = "discovery"
    AUTHORIZE = "authorize"
    CALLBACK = "callback"
    TOKEN = "token"  # noqa: S105 (a step's name)
    ID_TOKEN = "id_token"  # noqa: S105 (a step's name)
    API = "api"
    REFRESH = "refresh"
    REVOKE = "revoke"
    VERIFY = "verify"
    DEVICE_AUTHORIZATION = "device authorization"
    DEVICE_POLL = "device poll"


@dataclass(frozen=True)
class StepInfo:
    """How a step is named for a person, and where the protocol defines it."""

    title: str
    reference: str
    url: str


_RFC = "https://www.rfc-editor.org/rfc/"
_OIDC = "https://openid.net/specs/openid-connect-core-1_0.html"

#: Every step in words a newcomer understands, with the section that defines it.
STEPS: dict[Step, StepInfo] = {
    Step.DISCOVERY: StepInfo(
        "The app reads the provider's published settings",
        "RFC 8414 §3",
        _RFC + "rfc8414#section-3",
    ),
    Step.AUTHORIZE: StepInfo(
        "The app sends you to the provider to sign in and consent",
        "RFC 6749 §4.1.1",
        _RFC + "rfc6749#section-4.1.1",
    ),
    Step.CALLBACK: StepInfo(
        "You approve, and the provider sends an authorization code back to this computer",
        "RFC 6749 §4.1.2, RFC 8252 §7.3",
        _RFC + "rfc8252#section-7.3",
    ),
    Step.TOKEN: StepInfo(
        "The app trades the code and its PKCE verifier for tokens",
        "RFC 6749 §4.1.3, RFC 7636 §4.5",
        _RFC + "rfc7636#section-4.5",
    ),
    Step.ID_TOKEN: StepInfo(
        "The app checks the id_token: who signed in, for this app, signed by the provider",
        "OpenID Connect Core §3.1.3.7",
        _OIDC + "#IDTokenValidation",
    ),
    Step.API: StepInfo(
        "The app calls the API on your behalf with the access token",
        "RFC 6750 §2.1",
        _RFC + "rfc6750#section-2.1",
    ),
    Step.REFRESH: StepInfo(
        "The app renews the access token with the refresh token",
        "RFC 6749 §6",
        _RFC + "rfc6749#section-6",
    ),
    Step.REVOKE: StepInfo(
        "The app asks the provider to take the access back",
        "RFC 7009 §2",
        _RFC + "rfc7009#section-2",
    ),
    Step.VERIFY: StepInfo(
        "The app checks that the tokens no longer work",
        "RFC 7662 §2",
        _RFC + "rfc7662#section-2",
    ),
    Step.DEVICE_AUTHORIZATION: StepInfo(
        "The app asks the provider for a code to enter on another device",
        "RFC 8628 §3.1",
        _RFC + "rfc8628#section-3.1",
    ),
    Step.DEVICE_POLL: StepInfo(
        "The app waits while you enter the code and approve",
        "RFC 8628 §3.4",
        _RFC + "rfc8628#section-3.4",
    ),
}


class StepState(StrEnum):
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"


#: The error text of the authorization request: the browser makes it, not the app.
BROWSER_NOTE = "opened in the browser; the provider answers through the callback"

#: Longest body text kept per exchange; the rest is cut with a note saying how much.
MAX_BODY_CHARS = 16_000
#: Exchanges kept per step (device polling can make many): the oldest are dropped.
MAX_EXCHANGES_PER_STEP = 50
#: Operations kept per account (and for operations not yet tied to an account).
MAX_OPERATIONS_PER_ACCOUNT = 10


@dataclass(frozen=True)
class HttpExchange:
    """One HTTP request and its answer, already redacted.

    ``direction`` is ``"outgoing"`` for a request the app made to a provider and
    ``"incoming"`` for a request the loopback receiver answered (the browser's
    redirect). ``status`` is None when no answer came (``error`` says why).
    Bodies are text: JSON pretty-printed, forms as ``name=value`` lines.
    """

    direction: Literal["outgoing", "incoming"]
    method: str
    url: str
    status: int | None
    request_headers: tuple[tuple[str, str], ...] = ()
    request_body: str = ""
    response_headers: tuple[tuple[str, str], ...] = ()
    response_body: str = ""
    started_at: float = 0.0
    duration: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class StepRecord:
    """One step as it stands: its state, timing, exchanges and, if it failed, why."""

    step: Step
    state: StepState
    started_at: float
    duration: float | None = None
    exchanges: tuple[HttpExchange, ...] = ()
    dropped_exchanges: int = 0
    #: A message for a person (a DesktopOAuthError's text, never a secret).
    error: str | None = None
    #: What the provider answered when the step failed ("invalid_grant", "HTTP 503"),
    #: or why no answer came; None when the failure was the app's own check.
    answer: str | None = None

    @property
    def info(self) -> StepInfo:
        return STEPS[self.step]

    @property
    def failed(self) -> bool:
        return self.state is StepState.FAILED


@dataclass(frozen=True)
class OperationRecord:
    """One operation as it stands."""

    id: int
    operation: Operation
    provider: str
    account_id: str | None
    started_at: float
    steps: tuple[StepRecord, ...] = ()
    finished: bool = False
    #: Set when the operation ended in an error, with the step it failed at.
    failed_step: Step | None = None
    error: str | None = field(default=None)


def provider_answer(exc: BaseException, exchanges: tuple[HttpExchange, ...] = ()) -> str | None:
    """What the provider answered, for a failed step: the OAuth error code the
    exception carries (RFC 6749 §5.2, §4.1.2.1), else the last exchange's error
    code or HTTP status; None when it did not answer (the step's error says why)."""
    code = getattr(exc, "error", None)
    if isinstance(code, str) and code:
        return code
    if exchanges:
        last = exchanges[-1]
        if last.direction == "outgoing" and last.status is not None and last.status >= 400:
            return _error_member(last.response_body) or f"HTTP {last.status}"
    return None


def _error_member(body: str) -> str | None:
    try:
        data = json.loads(body.partition("\n\nid_token claims")[0])
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, str) and error.isprintable() and len(error) < 80 else None


def error_text(exc: BaseException) -> str:
    """What a failed step shows: the core's own message, else only the error's type
    (a foreign exception's text may carry a secret)."""
    if isinstance(exc, DesktopOAuthError):
        return str(exc)
    return f"An unexpected error occurred ({type(exc).__name__})."
