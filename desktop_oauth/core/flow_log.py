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
from dataclasses import replace

from .flow_model import (
    BROWSER_NOTE,
    MAX_BODY_CHARS,
    MAX_EXCHANGES_PER_STEP,
    MAX_OPERATIONS_PER_ACCOUNT,
    STEPS,
    HttpExchange,
    Operation,
    OperationRecord,
    Step,
    StepInfo,
    StepRecord,
    StepState,
    error_text,
    provider_answer,
)
from .known_secrets import KnownSecrets

__all__ = [
    "BROWSER_NOTE",
    "MAX_BODY_CHARS",
    "MAX_EXCHANGES_PER_STEP",
    "MAX_OPERATIONS_PER_ACCOUNT",
    "STEPS",
    "FlowLog",
    "HttpExchange",
    "Operation",
    "OperationRecord",
    "OperationRecorder",
    "Step",
    "StepInfo",
    "StepRecord",
    "StepState",
    "current",
    "error_text",
    "provider_answer",
    "step",
]


Listener = Callable[[OperationRecord], None]

_CURRENT: contextvars.ContextVar[OperationRecorder | None] = contextvars.ContextVar(
    "desktop_oauth_flow_recorder", default=None
)
#: Where the exchanges of a call made alongside another step are held (see :func:`holding`).
_HELD: contextvars.ContextVar[list[HttpExchange] | None] = contextvars.ContextVar(
    "desktop_oauth_flow_held", default=None
)


def current() -> OperationRecorder | None:
    """The recorder of the operation running on this thread, if any.

    :func:`desktop_oauth.core.http.send` records each exchange into it.
    """
    return _CURRENT.get()


@contextmanager
def holding(into: list[HttpExchange]) -> Iterator[None]:
    """Hold the exchanges recorded on this thread in ``into`` instead of the running
    step: for a call made alongside another step (userinfo while the id_token is
    checked), whose exchanges join their own step later through :func:`add_held`."""
    token = _HELD.set(into)
    try:
        yield
    finally:
        _HELD.reset(token)


def add_held(exchanges: list[HttpExchange]) -> None:
    """Add exchanges held by :func:`holding` to the step running on this thread."""
    recorder = current()
    if recorder is not None:
        for exchange in exchanges:
            recorder.add_exchange(exchange)


@contextmanager
def step(name: Step, *, optional: bool = False) -> Iterator[None]:
    """Run ``name`` as a step of the operation running on this thread, if any.

    Lets protocol code (flow, device, revoke) name its steps without knowing
    whether anyone records them.

    Args:
        optional: Forget the step if it made no HTTP exchange (discovery that
            was already cached).
    """
    recorder = current()
    if recorder is None:
        yield
        return
    with recorder.step(name):
        yield
    if optional:
        recorder.drop(name)


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

    def start(
        self, operation: Operation, *, provider: str, account_id: str | None = None
    ) -> OperationRecorder:
        """Open an operation that spans several calls or threads (a connection:
        from the port to the stored tokens). Each part runs inside
        :meth:`OperationRecorder.active`; the owner calls ``finish`` or ``fail``."""
        record = OperationRecord(
            id=next(self._ids),
            operation=operation,
            provider=provider,
            account_id=account_id,
            started_at=self._clock(),
        )
        recorder = OperationRecorder(self, record)
        self._store(record, previous_account=account_id, new=True)
        return recorder

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
        recorder = self.start(operation, provider=provider, account_id=account_id)
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
        #: Every secret value this operation knows, replaced wherever it appears.
        self.secrets = KnownSecrets()

    @property
    def record(self) -> OperationRecord:
        return self._record

    def set_account(self, account_id: str) -> None:
        """Tie the operation to its account once known (a new connection)."""
        self._update(lambda r: replace(r, account_id=account_id))

    @property
    def finished(self) -> bool:
        return self._record.finished

    @contextmanager
    def active(self) -> Iterator[OperationRecorder]:
        """Make this the operation of the running thread for the block (each part of
        an operation started with :meth:`FlowLog.start`). An exception leaving the
        block fails the operation at its running step, then propagates."""
        token = _CURRENT.set(self)
        try:
            yield self
        except BaseException as exc:
            if not self._record.finished:
                self.fail(exc)
            raise
        finally:
            _CURRENT.reset(token)

    @contextmanager
    def step(self, step: Step) -> Iterator[None]:
        """Run one step: waiting while the block runs, then done or failed.

        When ``step`` is already the running step (the loopback receiver began
        the callback step), the block continues it.
        """
        self.begin(step)
        try:
            yield
        except BaseException as exc:
            self._fail_step(step, exc)
            raise
        self.done(step)

    def begin(self, step: Step) -> None:
        """Start ``step`` (waiting), unless it is the step already running."""
        now = self._log._clock()

        def change(r: OperationRecord) -> OperationRecord:
            index = _running_index(r)
            if index is not None and r.steps[index].step == step:
                return r
            self._started[len(r.steps)] = self._log._monotonic()
            return replace(r, steps=(*r.steps, StepRecord(step, StepState.WAITING, now)))

        self._update(change)

    def drop(self, step: Step) -> None:
        """Forget the latest ``step`` if it made no exchange (discovery already cached)."""

        def change(r: OperationRecord) -> OperationRecord:
            for index in range(len(r.steps) - 1, -1, -1):
                if r.steps[index].step == step:
                    if r.steps[index].exchanges or index != len(r.steps) - 1:
                        return r
                    self._started.pop(index, None)
                    return replace(r, steps=r.steps[:index])
            return r

        self._update(change)

    def done(self, step: Step) -> None:
        """Mark the latest ``step`` done."""
        self._end(step, StepState.DONE, None)

    def fail(self, exc: BaseException | str) -> None:
        """Mark the running step failed (or the operation, if none runs) and end it."""
        message = self.secrets.scrub(exc if isinstance(exc, str) else error_text(exc))
        running = self._running()
        if running is not None:
            self._fail_step(running.step, exc)
        failed = next(
            (s for s in reversed(self._record.steps) if s.state is StepState.FAILED), None
        )
        step = failed.step if failed is not None else None
        self._update(lambda r: replace(r, finished=True, failed_step=step, error=message))

    def finish(self) -> None:
        """End the operation; a step still waiting is marked done. A step that failed
        without ending the operation, as its last step (a revocation the provider
        refused, retried later), is still named as where it went wrong; one the
        operation recovered from (a refresh after an API 401) is not."""
        running = self._running()
        if running is not None:
            self._end(running.step, StepState.DONE, None)
        steps = self._record.steps
        failed = steps[-1] if steps and steps[-1].state is StepState.FAILED else None
        if failed is None:
            self._update(lambda r: replace(r, finished=True))
        else:
            self._update(
                lambda r: replace(r, finished=True, failed_step=failed.step, error=failed.error)
            )

    def _fail_step(self, step: Step, exc: BaseException | str) -> None:
        if isinstance(exc, str):
            message, answer = exc, None
        else:
            message = error_text(exc)
            running = self._running()
            exchanges = running.exchanges if running is not None else ()
            answer = provider_answer(exc, exchanges)
        self._end(
            step,
            StepState.FAILED,
            self.secrets.scrub(message),
            self.secrets.scrub(answer) if answer else None,
        )

    def add_exchange(self, exchange: HttpExchange) -> None:
        """Add a redacted exchange to the running step (to the last step if none runs),
        or to the list this thread holds them in (:func:`holding`)."""
        held = _HELD.get()
        if held is not None:
            held.append(exchange)
            return

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

    def _end(
        self, step: Step, state: StepState, error: str | None, answer: str | None = None
    ) -> None:
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
                        answer=answer,
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
