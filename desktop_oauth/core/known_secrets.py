"""The secret values one operation knows, so that each is replaced wherever it appears.

:mod:`desktop_oauth.core.redaction` learns a value when it redacts it by name (a
code in the callback, tokens in the token endpoint's answer) and callers add the
ones made before any request (the PKCE verifier, state, nonce, client secret).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

#: A value shorter than this is not replaced wherever it appears (it could match
#: ordinary text); it is still redacted by name.
MIN_KNOWN_LENGTH = 8


def marker(label: str, value: str) -> str:
    """What is shown instead of a secret: ``«access token, 43 chars»``."""
    return f"«{label}, {len(value)} chars»"


class KnownSecrets:
    """Secret values and the words shown instead of each; thread-safe (the loopback
    receiver's thread adds the code while the worker adds tokens)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"KnownSecrets({len(self._values)} values)"

    def add(self, label: str, value: str | None) -> None:
        """Remember ``value`` (shown as ``label``); short or empty values are ignored."""
        if not value or len(value) < MIN_KNOWN_LENGTH:
            return
        with self._lock:
            self._values.setdefault(value, label)

    def add_all(self, pairs: Iterable[tuple[str, str | None]]) -> None:
        """Remember each ``(label, value)``."""
        for label, value in pairs:
            self.add(label, value)

    def label_of(self, value: str) -> str | None:
        """The words for ``value`` if it is known (a bearer token: "access token")."""
        with self._lock:
            return self._values.get(value)

    def scrub(self, text: str) -> str:
        """``text`` with every known value (raw or percent-encoded) replaced."""
        with self._lock:
            known = sorted(self._values.items(), key=lambda kv: -len(kv[0]))
        for value, label in known:
            shown = marker(label, value)
            for form in {value, quote(value, safe=""), quote_plus(value)}:
                if form in text:
                    text = text.replace(form, shown)
        return text
