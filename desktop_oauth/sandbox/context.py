"""Everything a request handler of one running sandbox may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .device_codes import DeviceCodes
from .endpoints import OAuthEndpoints
from .guesses import GuessLimiter
from .quota import RateLimiter
from .sessions import Sessions
from .store import Store


@dataclass(frozen=True)
class Context:
    """The parts of one running sandbox, handed to every handler.

    Attributes:
        issuer: ``http://127.0.0.1:PORT``.
        store: Users, grants, codes, tokens.
        devices: Device authorizations.
        sessions: Browser sessions and pending interactions.
        oauth: The oauthlib-backed protocol endpoints.
        quota: Per-user API quotas.
        clock: Wall-clock seconds.
        guesses: Wrong device user codes per user and overall (RFC 8628 §5.1).
    """

    issuer: str
    store: Store
    devices: DeviceCodes
    sessions: Sessions
    oauth: OAuthEndpoints
    quota: RateLimiter
    clock: Callable[[], float]
    guesses: GuessLimiter = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.guesses is None:
            object.__setattr__(self, "guesses", GuessLimiter(self.clock))
