"""What happened during each operation, step by step, with every HTTP exchange.

An *operation* is what a person asked for (connect, refresh, revoke, ...). It is
made of named *steps* (the app sends you to the provider, the provider sends a code
back, the app trades the code for tokens, ...), each holding the HTTP exchanges
made while it ran.

Nothing here ever holds a secret: an :class:`HttpExchange` is built only by
:mod:`desktop_oauth.core.redaction`, which replaces every token, code, state,
nonce, PKCE value, client secret, ``Authorization`` header and cookie before the
record exists. Records live in memory only, bounded per account; they are never
written to disk.

The log is shared between threads: the worker running an operation records into
it, and listeners (the window's controller, the command line's ``-v``) receive an
immutable snapshot of the operation after each change, on the recording thread.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
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

    @property
    def info(self) -> StepInfo:
        return STEPS[self.step]


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


Listener = Callable[[OperationRecord], None]

_CURRENT: contextvars.ContextVar[OperationRecorder | None] = contextvars.ContextVar(
    "desktop_oauth_flow_recorder", default=None
)


def current() -> OperationRecorder | None:
    """The recorder of the operation running on this thread, if any.

    :func:`desktop_oauth.core.http.send` records each exchange into it.
    """
    return _CURRENT.get()


def error_text(exc: BaseException) -> str:
    """What a failed step shows: the core's own message, else only the error's type
    (a foreign exception's text may carry a secret)."""
    if isinstance(exc, DesktopOAuthError):
        return str(exc)
    return f"An unexpected error occurred ({type(exc).__name__})."


class FlowLog:
    """The operations of every account, bounded, in memory only; thread-safe.

    Args:
        per_account: How many operations to keep per account.
        clock: Wall-clock seconds (for the times shown).
        monotonic: Seconds for durations.
    """

    def __init__(
        self,
        *,
        per_account: int = MAX_OPERATIONS_PER_ACCOUNT,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._per_account = per_account
        self._clock = clock
        self._monotonic = monotonic
        self._ids = itertools.count(1)
        self._by_account: dict[str | None, deque[OperationRecord]] = {}
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with a snapshot after every change (on the recording thread)."""
        with self._lock:
            self._listeners.append(listener)

    def operations(self, account_id: str | None) -> tuple[OperationRecord, ...]:
        """The kept operations of ``account_id``, oldest first (None: not yet tied to one)."""
        with self._lock:
            return tuple(self._by_account.get(account_id, ()))

    def last(self, account_id: str | None) -> OperationRecord | None:
        with self._lock:
            kept = self._by_account.get(account_id)
            return kept[-1] if kept else None

    @contextmanager
    def operation(
        self, operation: Operation, *, provider: str, account_id: str | None = None
    ) -> Iterator[OperationRecorder]:
        """Record one operation run on this thread.

        While the block runs, :func:`current` returns its recorder, so every
        provider call made through ``http.send`` lands in the running step. An
        exception leaving the block marks the running step (or the operation)
        failed with :func:`error_text`, then propagates.
        """
        record = OperationRecord(
            id=next(self._ids),
            operation=operation,
            provider=provider,
            account_id=account_id,
            started_at=self._clock(),
        )
        recorder = OperationRecorder(self, record)
        self._store(record, previous_account=account_id, new=True)
        token = _CURRENT.set(recorder)
        try:
            yield recorder
        except BaseException as exc:
            recorder.fail(exc)
            raise
        else:
            recorder.finish()
        finally:
            _CURRENT.reset(token)

    # Called by OperationRecorder with its lock-free new snapshot.
    def _store(
        self, record: OperationRecord, *, previous_account: str | None, new: bool = False
    ) -> None:
        with self._lock:
            if not new:
                old = self._by_account.get(previous_account)
                if old is not None:
                    kept = [r for r in old if r.id != record.id]
                    old.clear()
                    old.extend(kept)
            kept_for = self._by_account.setdefault(
                record.account_id, deque(maxlen=self._per_account)
            )
            for index, existing in enumerate(kept_for):
                if existing.id == record.id:
                    kept_for[index] = record
                    break
            else:
                kept_for.append(record)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(record)


class OperationRecorder:
    """Records the steps of one operation; made by :meth:`FlowLog.operation`.

    Safe to call from another thread than the one that opened the operation (the
    loopback receiver's), one call at a time.
    """

    def __init__(self, log: FlowLog, record: OperationRecord) -> None:
        self._log = log
        self._record = record
        # Held while a change is stored and announced, so listeners see changes in order.
        self._lock = threading.RLock()
        self._started: dict[int, float] = {}

    @property
    def record(self) -> OperationRecord:
        return self._record

    def set_account(self, account_id: str) -> None:
        """Tie the operation to its account once known (a new connection)."""
        self._update(lambda r: replace(r, account_id=account_id))

    @contextmanager
    def step(self, step: Step) -> Iterator[None]:
        """Run one step: waiting while the block runs, then done or failed."""
        self.begin(step)
        try:
            yield
        except BaseException as exc:
            self._end(step, StepState.FAILED, error_text(exc))
            raise
        self.done(step)

    def begin(self, step: Step) -> None:
        """Start ``step`` (waiting)."""
        now = self._log._clock()

        def change(r: OperationRecord) -> OperationRecord:
            self._started[len(r.steps)] = self._log._monotonic()
            return replace(r, steps=(*r.steps, StepRecord(step, StepState.WAITING, now)))

        self._update(change)

    def done(self, step: Step) -> None:
        """Mark the latest ``step`` done."""
        self._end(step, StepState.DONE, None)

    def fail(self, exc: BaseException | str) -> None:
        """Mark the running step failed (or the operation, if none runs) and end it."""
        message = exc if isinstance(exc, str) else error_text(exc)
        running = self._running()
        if running is not None:
            self._end(running.step, StepState.FAILED, message)
        failed = next(
            (s for s in reversed(self._record.steps) if s.state is StepState.FAILED), None
        )
        step = failed.step if failed is not None else None
        self._update(lambda r: replace(r, finished=True, failed_step=step, error=message))

    def finish(self) -> None:
        """End the operation; a step still waiting is marked done."""
        running = self._running()
        if running is not None:
            self._end(running.step, StepState.DONE, None)
        self._update(lambda r: replace(r, finished=True))

    def add_exchange(self, exchange: HttpExchange) -> None:
        """Add a redacted exchange to the running step (to the last step if none runs)."""

        def change(r: OperationRecord) -> OperationRecord:
            if not r.steps:
                return r
            index = _running_index(r)
            if index is None:
                index = len(r.steps) - 1
            step = r.steps[index]
            exchanges = (*step.exchanges, exchange)
            dropped = step.dropped_exchanges
            if len(exchanges) > MAX_EXCHANGES_PER_STEP:
                dropped += len(exchanges) - MAX_EXCHANGES_PER_STEP
                exchanges = exchanges[-MAX_EXCHANGES_PER_STEP:]
            changed = replace(step, exchanges=exchanges, dropped_exchanges=dropped)
            return replace(r, steps=(*r.steps[:index], changed, *r.steps[index + 1 :]))

        self._update(change)

    def _running(self) -> StepRecord | None:
        index = _running_index(self._record)
        return None if index is None else self._record.steps[index]

    def _end(self, step: Step, state: StepState, error: str | None) -> None:
        def change(r: OperationRecord) -> OperationRecord:
            for index in range(len(r.steps) - 1, -1, -1):
                if r.steps[index].step == step and r.steps[index].state is StepState.WAITING:
                    now = self._log._monotonic()
                    began = self._started.get(index, now)
                    ended = replace(
                        r.steps[index],
                        state=state,
                        duration=now - began,
                        error=error,
                    )
                    return replace(r, steps=(*r.steps[:index], ended, *r.steps[index + 1 :]))
            return r

        self._update(change)

    def _update(self, change: Callable[[OperationRecord], OperationRecord]) -> None:
        with self._lock:
            previous = self._record
            self._record = change(previous)
            self._log._store(self._record, previous_account=previous.account_id)


def _running_index(record: OperationRecord) -> int | None:
    for index in range(len(record.steps) - 1, -1, -1):
        if record.steps[index].state is StepState.WAITING:
            return index
    return None
