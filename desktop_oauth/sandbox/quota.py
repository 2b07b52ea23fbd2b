"""Per-user API quotas: a fixed window of N calls per user, shared by all their apps.

The counter is keyed by the user, not by the token or the application, so two
applications (or two tokens of one application) acting for the same person
draw from one quota. It lives in the database, so a restart does not reset it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .store import Store


@dataclass(frozen=True)
class QuotaState:
    """Where a user's quota stands after one call.

    Attributes:
        limit: Calls allowed per window.
        remaining: Calls left in this window.
        reset_at: Epoch seconds when the window ends and the quota refills.
        allowed: Whether this call fitted in the quota.
    """

    limit: int
    remaining: int
    reset_at: float
    allowed: bool

    def headers(self) -> list[tuple[str, str]]:
        """The de-facto ``X-RateLimit-*`` headers (reset as epoch seconds)."""
        return [
            ("X-RateLimit-Limit", str(self.limit)),
            ("X-RateLimit-Remaining", str(self.remaining)),
            ("X-RateLimit-Reset", str(math.ceil(self.reset_at))),
        ]

    def retry_after(self, now: float) -> int:
        """Whole seconds until the quota refills (at least 1), for ``Retry-After``."""
        return max(1, math.ceil(self.reset_at - now))


class RateLimiter:
    """Counts API calls per user.

    Args:
        store: Where the counters are kept.
        limit: Calls allowed per window.
        window: Window length in seconds.
        clock: Wall-clock seconds.
    """

    def __init__(self, store: Store, limit: int, window: float, clock: Callable[[], float]) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rate limit needs at least one call per positive window")
        self.limit = limit
        self.window = window
        self._store = store
        self._clock = clock

    def hit(self, user_id: str) -> QuotaState:
        """Count one call by ``user_id`` if the quota allows it."""
        now = self._clock()
        with self._store.transaction() as db:
            row = db.execute(
                "SELECT window_start, used FROM quotas WHERE user_id=?", (user_id,)
            ).fetchone()
            if row is None or now >= row["window_start"] + self.window:
                start, used = now, 0
            else:
                start, used = row["window_start"], row["used"]
            allowed = used < self.limit
            if allowed:
                used += 1
            db.execute("INSERT OR REPLACE INTO quotas VALUES (?, ?, ?)", (user_id, start, used))
        return QuotaState(self.limit, self.limit - used, start + self.window, allowed)
