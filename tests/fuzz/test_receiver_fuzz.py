"""Property-based fuzz of the loopback receiver over a real socket (docs/security.md):
at least 2,000 generated request lines, headers and bodies per run. The receiver
never crashes, never answers past its per-connection deadline, never accepts a
forged callback, and the real callback still succeeds afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_loopback import STATE, Flow, start_flow

from .requests_strategy import RawRequest, exchange, raw_requests

BATCH = 8
EXAMPLES = 260  # x BATCH = 2,080 requests
SOCKET_TIMEOUT = 1.0
#: An answer (or a drop) comes within the per-connection timeout plus the drain.
ANSWER_WITHIN = SOCKET_TIMEOUT + 1.5
PATHS = [b"/callback", b"/favicon.ico", b"/", b"/start/x", b"/callback/"]

counts = {"requests": 0, "answered": 0, "dropped": 0}


@pytest.fixture(scope="module")
def flow() -> Iterator[Flow]:
    running = start_flow(deadline_seconds=600.0, socket_timeout=SOCKET_TIMEOUT)
    yield running
    running.receiver.cancel()
    running.thread.join(2)
    running.receiver.close()


@pytest.fixture(scope="module")
def host(flow: Flow) -> bytes:
    return f"127.0.0.1:{flow.port}".encode()


def test_generated_requests_never_break_the_receiver(
    flow: Flow,
    host: bytes,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG, logger="desktop_oauth")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases on every CI run
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(raw_requests(PATHS, host), min_size=BATCH, max_size=BATCH))
    def run(batch: list[RawRequest]) -> None:
        for request in batch:
            answer = exchange(flow.port, request.data)
            counts["requests"] += 1
            counts["answered" if answer.status else "dropped"] += 1
            assert answer.seconds < ANSWER_WITHIN, (request, answer.seconds)
            assert answer.status != 500, request
            # Nothing generated carries the real state: no forged callback is taken.
            assert answer.status != 200, request
            assert flow.thread.is_alive(), f"the receiver stopped after {request!r}"

    run()
    flow.complete_with_valid_callback()
    assert flow.result is not None and flow.result["state"] == STATE
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert "Traceback" not in capfd.readouterr().err
    assert counts["requests"] >= 2000
    with capfd.disabled():
        print(
            f"\nreceiver fuzz: {counts['requests']} generated requests, "
            f"{counts['answered']} answered, {counts['dropped']} dropped, 0 crashes, "
            "valid callback succeeded afterwards"
        )
