"""Browser sessions (who is signed in), their CSRF tokens, and pending interactions.

Held in memory: a restart signs the browser out, which is harmless. The cookie
is HttpOnly and SameSite=Lax; its value is rotated at sign-in (no session
fixation). Browsers share cookies between all ports of 127.0.0.1, so the
cookie name carries the sandbox's port.

An *interaction* is one authorization request (or one device code) waiting
for the person to sign in and decide. It belongs to the browser session that
started it, so another browser cannot finish it.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass

from .web import WebRequest

SESSION_IDLE_SECONDS = 8 * 3600.0
INTERACTION_SECONDS = 15 * 60.0
_MAX_SESSIONS = 1000
_MAX_INTERACTIONS = 1000


@dataclass
class BrowserSession:
    """One browser's visit. ``key`` is internal and never leaves the server."""

    key: str
    csrf: str
    last_seen: float
    user_id: str | None = None
    auth_time: float | None = None
    #: Wrong user codes typed on /device (RFC 8628 §5.1: limit guessing).
    failed_user_codes: int = 0


@dataclass
class Interaction:
    """A request waiting for the person: an authorization request or a device code."""

    id: str
    session_key: str
    kind: str  # "authorize" or "device"
    client_id: str
    scopes: tuple[str, ...]
    created: float
    #: authorize: the whole authorization request, replayed through oauthlib at consent.
    uri: str = ""
    redirect_uri: str = ""
    state: str | None = None
    #: prompt=login: sign in again even though the browser has a session.
    needs_login: bool = False
    #: device: which device authorization, and the code the person typed.
    device_hash: str = ""
    user_code: str = ""


class Sessions:
    """Sessions and interactions of one sandbox. Thread-safe.

    Args:
        cookie_name: Includes the port (cookies ignore ports).
        clock: Wall-clock seconds.
    """

    def __init__(self, cookie_name: str, clock: Callable[[], float]) -> None:
        self.cookie_name = cookie_name
        self._clock = clock
        self._lock = threading.Lock()
        self._by_cookie: dict[str, BrowserSession] = {}
        self._interactions: dict[str, Interaction] = {}

    def load(self, request: WebRequest) -> tuple[BrowserSession, str | None]:
        """The request's session, or a new one; the second item is a cookie to set."""
        now = self._clock()
        value = request.cookies().get(self.cookie_name)
        with self._lock:
            session = self._by_cookie.get(value) if value else None
            if session is not None and now - session.last_seen < SESSION_IDLE_SECONDS:
                session.last_seen = now
                return session, None
            if value:
                self._by_cookie.pop(value, None)
            self._prune(now)
            session = BrowserSession(
                key=secrets.token_urlsafe(16), csrf=secrets.token_urlsafe(32), last_seen=now
            )
            new_value = secrets.token_urlsafe(32)
            self._by_cookie[new_value] = session
            return session, new_value

    def sign_in(self, session: BrowserSession, user_id: str) -> str:
        """Sign ``user_id`` in; returns the new cookie value (the old one stops working)."""
        now = self._clock()
        with self._lock:
            for value, known in list(self._by_cookie.items()):
                if known is session:
                    del self._by_cookie[value]
            session.user_id, session.auth_time = user_id, now
            session.csrf = secrets.token_urlsafe(32)
            new_value = secrets.token_urlsafe(32)
            self._by_cookie[new_value] = session
            return new_value

    def cookie(self, value: str) -> str:
        """The Set-Cookie value (no Secure: the sandbox is plain http on loopback)."""
        return f"{self.cookie_name}={value}; Path=/; HttpOnly; SameSite=Lax"

    @staticmethod
    def csrf_ok(session: BrowserSession, submitted: str | None) -> bool:
        return submitted is not None and hmac.compare_digest(
            submitted.encode(), session.csrf.encode()
        )

    def start(
        self,
        session: BrowserSession,
        *,
        kind: str,
        client_id: str,
        scopes: tuple[str, ...],
        uri: str = "",
        redirect_uri: str = "",
        state: str | None = None,
        needs_login: bool = False,
        device_hash: str = "",
        user_code: str = "",
    ) -> Interaction:
        """Remember a new interaction for ``session``."""
        now = self._clock()
        interaction = Interaction(
            id=secrets.token_urlsafe(16),
            session_key=session.key,
            kind=kind,
            client_id=client_id,
            scopes=scopes,
            created=now,
            uri=uri,
            redirect_uri=redirect_uri,
            state=state,
            needs_login=needs_login,
            device_hash=device_hash,
            user_code=user_code,
        )
        with self._lock:
            self._prune(now)
            self._interactions[interaction.id] = interaction
        return interaction

    def interaction(
        self, session: BrowserSession, interaction_id: str | None
    ) -> Interaction | None:
        """The session's unexpired interaction ``interaction_id``, if any."""
        if not interaction_id:
            return None
        with self._lock:
            found = self._interactions.get(interaction_id)
        if found is None or found.session_key != session.key:
            return None
        if self._clock() - found.created > INTERACTION_SECONDS:
            return None
        return found

    def finish(self, interaction: Interaction) -> bool:
        """Forget ``interaction``; False if it was already finished (a double submit)."""
        with self._lock:
            return self._interactions.pop(interaction.id, None) is not None

    def _prune(self, now: float) -> None:
        if len(self._by_cookie) > _MAX_SESSIONS:
            oldest = sorted(self._by_cookie, key=lambda v: self._by_cookie[v].last_seen)
            for value in oldest[: _MAX_SESSIONS // 2]:
                del self._by_cookie[value]
        for key, interaction in list(self._interactions.items()):
            if now - interaction.created > INTERACTION_SECONDS:
                del self._interactions[key]
        if len(self._interactions) > _MAX_INTERACTIONS:
            for key in sorted(self._interactions, key=lambda k: self._interactions[k].created)[
                : _MAX_INTERACTIONS // 2
            ]:
                del self._interactions[key]
