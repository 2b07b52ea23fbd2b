"""Everything a request handler of one running sandbox may use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .device_codes import DeviceCodes
from .endpoints import OAuthEndpoints
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
    """

    issuer: str
    store: Store
    devices: DeviceCodes
    sessions: Sessions
    oauth: OAuthEndpoints
    quota: RateLimiter
    clock: Callable[[], float]
