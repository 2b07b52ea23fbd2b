"""Finding 7 of the security review on the loopback receiver (docs/security.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
