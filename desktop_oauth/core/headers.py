"""The one gate for every HTTP header value the app or its sandbox sends.

Provider text (tokens, redirect targets, error text) is untrusted: a CR or LF
in a header value ends the header and lets the sender write its own
(response splitting, RFC 9110 §5.5: field values never hold CR, LF or NUL).
Every outgoing header value passes through :func:`header_value`, which refuses
control characters instead of stripping them, so nothing altered is ever sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import DesktopOAuthError


class HeaderValueError(DesktopOAuthError):
    """A header value holds a control character (CR, LF, NUL and the like)."""


def _is_control(ch: str) -> bool:
    # C0 controls and DEL; a horizontal tab is legal inside a field value but is
    # never needed here, so it is refused too.
    return ord(ch) < 0x20 or ord(ch) == 0x7F


def header_value(name: str, value: str) -> str:
    """Return ``value`` unchanged if it can be sent as header ``name``; raise otherwise.

    Raises:
        HeaderValueError: ``name`` is not a token or ``value`` holds a control
            character. The message names the header, never the value (it may
            be a token).
    """
    if (
        not name
        or not name.isascii()
        or any(_is_control(c) or c in ' :"(),/;<=>?@[\\]{}' for c in name)
    ):
        raise HeaderValueError("Refused to send a header with a malformed name.")
    if any(_is_control(c) for c in value):
        raise HeaderValueError(
            f"Refused to send the {name} header: its value holds a line break or control character."
        )
    return value


def header_items(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every (name, value) pair of ``headers``, each checked by :func:`header_value`."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [(name, header_value(name, value)) for name, value in pairs]
