"""Finding 7 of the security review on the loopback receiver (docs/security.md)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from desktop_oauth.core.loopback import MAX_CONNECTIONS

from .test_loopback import Flow, callback, start_flow


@pytest.fixture
def flow() -> Iterator[Flow]:
    running = start_flow()
    yield running
    running.receiver.cancel()
    running.thread.join(2)
    running.receiver.close()


@pytest.mark.parametrize("prefix", ["//", "///", "/./", "/callback/.."])
def test_only_the_exact_callback_path_is_accepted(flow: Flow, prefix: str) -> None:
    # Finding 7: http.server collapses leading slashes, so "//callback" was taken
    # for "/callback". RFC 8252 §8.10: only the registered path may pass.
    target = callback().replace("/callback", prefix + "callback", 1)
    if prefix == "/callback/..":
        target = callback().replace("/callback", "/callback/../callback", 1)
    assert flow.get(target).status == 404
    flow.assert_still_waiting()
    flow.complete_with_valid_callback()


@pytest.fixture
def patient_flow() -> Iterator[Flow]:
    # 2,000 connections take about 2 s here, far longer on a loaded machine: the
    # receiver's own deadline must not be what ends the test.
    running = start_flow(deadline_seconds=120.0)
    yield running
    running.receiver.cancel()
    running.thread.join(2)
    running.receiver.close()


def test_two_thousand_dripping_connections_hold_few_threads_and_the_callback_gets_through(
    patient_flow: Flow,
) -> None:
    # Finding 9: each slow connection held a thread of its own (2,000 threads).
    flow = patient_flow
    before = threading.active_count()
    peak = 0
    clients: list[socket.socket] = []
    try:
        for index in range(2000):
            sock = socket.create_connection(("127.0.0.1", flow.port), timeout=5)
            sock.sendall(b"GET /callback?state=")  # a request head that never ends
            clients.append(sock)
            if index % 50 == 49:
                # Let the receiver's accept queue (64) drain: a full queue drops
                # SYNs, and the kernel retries them only after a second.
                time.sleep(0.03)
            if index % 100 == 99:
                for drip in clients[-100:]:  # a byte now and then keeps each alive
                    with contextlib.suppress(OSError):
                        drip.sendall(b"x")
                peak = max(peak, threading.active_count() - before)
        peak = max(peak, threading.active_count() - before)
        assert peak <= MAX_CONNECTIONS + 8, peak
        flow.complete_with_valid_callback()
    finally:
        for sock in clients:
            sock.close()


def test_the_shareable_link_redirects_to_the_authorization_url_while_waiting(
    flow: Flow,
) -> None:
    # Finding 9: "Copy" put the authorization URL, state included, on the clipboard.
    real = "https://id.example/authorize?client_id=app&state=S3cret-state&code_challenge=x"
    link = flow.receiver.shareable_url(real)
    assert link.startswith(f"http://127.0.0.1:{flow.port}/start/")
    assert "state" not in link and "S3cret" not in link
    answer = flow.get(link.removeprefix(f"http://127.0.0.1:{flow.port}"))
    assert answer.status == 303 and answer.headers["location"] == real
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert flow.get("/start/guessed-token").status == 404
    assert flow.get(link.removeprefix(f"http://127.0.0.1:{flow.port}") + "x").status == 404
    flow.assert_still_waiting()  # opening the link does not end the flow
    flow.complete_with_valid_callback()
