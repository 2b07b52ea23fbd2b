"""Limits on guessing device user codes, beyond one browser's cookie.

RFC 8628 §5.1: user codes are short, so guessing must be rate-limited. A limit
kept in the browser session alone is reset by dropping the cookie
(docs/security.md, finding 9). Wrong codes are also counted per signed-in user
and for the whole sandbox, over a sliding window.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

#: Wrong codes allowed per signed-in user, and for everyone together, per window.
PER_USER = 5
OVERALL = 20
WINDOW_SECONDS = 15 * 60.0


class GuessLimiter:
    """Counts wrong user codes per user and overall in a sliding window. Thread-safe."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        per_user: int = PER_USER,
        overall: int = OVERALL,
        window: float = WINDOW_SECONDS,
    ) -> None:
        self._clock = clock
        self._per_user = per_user
        self._overall = overall
        self._window = window
        self._lock = threading.Lock()
        self._wrong: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._wrong.setdefault(key, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        return times

    def allowed(self, user_id: str) -> bool:
        """Whether ``user_id`` may try another code now."""
        now = self._clock()
        with self._lock:
            return (
                len(self._recent(f"user:{user_id}", now)) < self._per_user
                and len(self._recent("*", now)) < self._overall
            )

    def wrong(self, user_id: str) -> None:
        """Count one wrong code typed by ``user_id``."""
        now = self._clock()
        with self._lock:
            self._recent(f"user:{user_id}", now).append(now)
            self._recent("*", now).append(now)
