"""The flow log: named steps in order, exchanges in the running step, bounds, failures."""

from __future__ import annotations

import threading

import pytest

from desktop_oauth.core.errors import TokenError
from desktop_oauth.core.flow_log import (
    MAX_EXCHANGES_PER_STEP,
    STEPS,
    FlowLog,
    HttpExchange,
    Operation,
    OperationRecord,
    Step,
    StepState,
    current,
)
from desktop_oauth.core.flow_log import step as flow_step
from desktop_oauth.core.flow_text import failure_summary


class Ticks:
    """A clock that advances one second per reading."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def exchange(url: str = "http://127.0.0.1:1/token") -> HttpExchange:
    return HttpExchange(direction="outgoing", method="POST", url=url, status=200)


def test_every_step_has_words_and_a_reference() -> None:
    for step in Step:
        info = STEPS[step]
        assert info.title and info.reference and info.url.startswith("https://")


def test_steps_are_recorded_in_order_with_their_exchanges_and_durations() -> None:
    log = FlowLog(clock=Ticks(), monotonic=Ticks())
    seen: list[OperationRecord] = []
    log.subscribe(seen.append)
    with log.operation(Operation.CONNECT, provider="sandbox") as recorder:
        assert current() is recorder
        with recorder.step(Step.AUTHORIZE):
            pass
        with recorder.step(Step.TOKEN):
            recorder.add_exchange(exchange())
        recorder.set_account("acct-1")
    assert current() is None
    record = log.last("acct-1")
    assert record is not None and record.finished and record.failed_step is None
    assert [s.step for s in record.steps] == [Step.AUTHORIZE, Step.TOKEN]
    assert all(s.state is StepState.DONE for s in record.steps)
    assert record.steps[1].exchanges == (exchange(),)
    assert record.steps[0].duration == 1.0
    # Moved, not copied, when the account became known.
    assert log.operations(None) == ()
    assert seen[-1] == record
    assert [s.state for s in seen[1].steps] == [StepState.WAITING]


def test_a_failure_marks_the_running_step_and_the_operation() -> None:
    log = FlowLog()
    with pytest.raises(TokenError):
        with log.operation(Operation.REFRESH, provider="p", account_id="a") as recorder:
            with recorder.step(Step.REFRESH):
                raise TokenError("The provider answered invalid_grant.")
    record = log.last("a")
    assert record is not None
    assert record.failed_step is Step.REFRESH
    assert record.steps[0].state is StepState.FAILED
    assert record.error == record.steps[0].error == "The provider answered invalid_grant."


def test_a_foreign_error_shows_only_its_type() -> None:
    log = FlowLog()
    with pytest.raises(ValueError):
        with log.operation(Operation.API_CALL, provider="p", account_id="a") as recorder:
            with recorder.step(Step.API):
                raise ValueError("secret-looking text")
    record = log.last("a")
    assert record is not None and record.error is not None
    assert "secret-looking" not in record.error and "ValueError" in record.error


def test_operations_and_exchanges_are_bounded() -> None:
    log = FlowLog(per_account=3)
    for _ in range(5):
        with log.operation(Operation.DEVICE, provider="p", account_id="a") as recorder:
            with recorder.step(Step.DEVICE_POLL):
                for _ in range(MAX_EXCHANGES_PER_STEP + 7):
                    recorder.add_exchange(exchange())
    kept = log.operations("a")
    assert len(kept) == 3 and [r.id for r in kept] == [3, 4, 5]
    assert len(kept[-1].steps[0].exchanges) == MAX_EXCHANGES_PER_STEP
    assert kept[-1].steps[0].dropped_exchanges == 7


def test_the_current_recorder_belongs_to_its_thread() -> None:
    log = FlowLog()
    other: list[object] = []
    with log.operation(Operation.CONNECT, provider="p"):
        thread = threading.Thread(target=lambda: other.append(current()))
        thread.start()
        thread.join()
    assert other == [None]


def test_a_step_already_running_is_continued_and_an_empty_optional_one_dropped() -> None:
    log = FlowLog(clock=Ticks(), monotonic=Ticks())
    with log.operation(Operation.CONNECT, provider="p") as recorder:
        with flow_step(Step.DISCOVERY, optional=True):
            pass  # cached: no exchange
        recorder.begin(Step.CALLBACK)  # as the loopback receiver does
        with recorder.step(Step.CALLBACK):
            recorder.add_exchange(exchange())
    record = log.last(None)
    assert record is not None
    assert [(s.step, s.state) for s in record.steps] == [(Step.CALLBACK, StepState.DONE)]
    assert len(record.steps[0].exchanges) == 1


def test_the_providers_answer_is_kept_and_a_last_failed_step_names_the_operation() -> None:
    log = FlowLog(clock=Ticks(), monotonic=Ticks())
    refused = HttpExchange(
        direction="outgoing",
        method="POST",
        url="http://127.0.0.1:1/revoke",
        status=503,
        response_body="busy",
    )
    with log.operation(Operation.REVOKE, provider="p") as recorder:
        with pytest.raises(TokenError), recorder.step(Step.REVOKE):
            recorder.add_exchange(refused)
            raise TokenError("The provider could not revoke now.")
    record = log.last(None)
    assert record is not None and record.failed_step is Step.REVOKE
    assert record.steps[0].answer == "HTTP 503"
    assert failure_summary(record) == "the revocation failed: the provider answered HTTP 503"

    with log.operation(Operation.REFRESH, provider="p"), pytest.raises(TokenError):
        with flow_step(Step.REFRESH):
            raise TokenError("refused", error="invalid_grant")
    record = log.last(None)
    assert record is not None and record.steps[0].answer == "invalid_grant"


def test_an_operation_that_recovered_from_a_failed_step_is_not_failed() -> None:
    log = FlowLog(clock=Ticks(), monotonic=Ticks())
    with log.operation(Operation.API_CALL, provider="p"):
        with pytest.raises(TokenError), flow_step(Step.API):
            raise TokenError("401")
        with flow_step(Step.REFRESH), flow_step(Step.API):
            pass
    record = log.last(None)
    assert record is not None and record.failed_step is None and failure_summary(record) is None


def test_failure_text_hides_every_value_the_operation_knows() -> None:
    log = FlowLog()
    secret = "the-refresh-token-value"
    with pytest.raises(TokenError), log.operation(Operation.REFRESH, provider="p") as recorder:
        recorder.secrets.add("refresh token", secret)
        with recorder.step(Step.REFRESH):
            raise TokenError(f"the provider quoted {secret}")
    record = log.last(None)
    assert record is not None and secret not in repr(record)
    assert "«refresh token, 23 chars»" in (record.error or "")
