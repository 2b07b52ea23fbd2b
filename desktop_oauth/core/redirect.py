"""A redirect URI registered with its port, for providers that compare it exactly.

RFC 8252 §7.3 asks providers to accept any port on a loopback redirect URI,
and the app then picks a free port at each sign-in. Many deployments compare
the whole URI instead (port included); for them the person registers one URI,
``http://127.0.0.1:PORT/PATH`` or ``http://[::1]:PORT/PATH``, and the app
listens exactly there (RFC 8252 §8.3: the IP literal, never ``localhost``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from .errors import ConfigurationError

#: The loopback hosts a registered redirect URI may name, as written in a URL.
LOOPBACK_HOSTS = {"127.0.0.1": "127.0.0.1", "[::1]": "::1"}


@dataclass(frozen=True)
class RegisteredRedirect:
    """The parts of a registered loopback redirect URI."""

    host: str  # the address to bind: "127.0.0.1" or "::1"
    port: int
    path: str

    @property
    def uri(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}{self.path}"


def parse_redirect_uri(uri: str) -> RegisteredRedirect:
    """Check a registered redirect URI and return its parts.

    Accepted: ``http://127.0.0.1:PORT/PATH`` or ``http://[::1]:PORT/PATH`` with
    an explicit port (1-65535) and a plain path, nothing else.

    Raises:
        ConfigurationError: a sentence naming what is wrong and the form to use.
    """
    form = "use http://127.0.0.1:PORT/callback (or http://[::1]:PORT/callback)"
    try:
        parts = urlsplit(uri.strip())
        port = parts.port
    except ValueError:
        raise ConfigurationError(f"The redirect URI {uri!r} is not a URL: {form}.") from None
    netloc_host = parts.netloc.rsplit(":", 1)[0] if parts.netloc else ""
    if parts.scheme != "http" or netloc_host not in LOOPBACK_HOSTS:
        raise ConfigurationError(
            f"The redirect URI {uri!r} must be plain http on the loopback address "
            f"127.0.0.1 or [::1], never localhost or another host (RFC 8252 §7.3, §8.3): {form}."
        )
    if parts.username or parts.password:
        raise ConfigurationError(f"The redirect URI {uri!r} cannot carry a user name: {form}.")
    if port is None or not 0 < port <= 65535:
        raise ConfigurationError(
            f"The redirect URI {uri!r} needs an explicit port, the one registered at the "
            f"provider: {form}."
        )
    path = parts.path
    if (
        not path.startswith("/")
        or not (path.isascii() and path.isprintable())
        or " " in path
        or parts.query
        or parts.fragment
    ):
        raise ConfigurationError(
            f"The redirect URI {uri!r} needs a plain path such as /callback, without query "
            f"or fragment: {form}."
        )
    return RegisteredRedirect(LOOPBACK_HOSTS[netloc_host], port, path)


#: Seconds without a callback after which the wait explains a refused redirect URI.
HINT_AFTER_SECONDS = 15.0


def refused_redirect_hint(authorization_url: str, fixed: bool) -> str:
    """The words shown while waiting, when no callback has come after a few seconds.

    Args:
        authorization_url: The URL the browser was sent to (its ``redirect_uri``
            is the one the provider may have refused).
        fixed: Whether the redirect URI is the registered one, port included.
    """
    sent = dict(parse_qsl(urlsplit(authorization_url).query)).get("redirect_uri", "")
    if fixed:
        advice = f"register exactly {sent} in the client's settings at the provider."
    else:
        path = urlsplit(sent).path or "/callback"
        advice = (
            f"register http://127.0.0.1{path} (any port) at the provider; if it compares the "
            "port too, register http://127.0.0.1:PORT" + path + " with a free port and add the "
            "provider again with --redirect-uri (or the dialog's Redirect URI field)."
        )
    return (
        "Still waiting for the browser. If the provider's page says the redirect URI is not "
        f"allowed (invalid_redirect_uri, redirect_uri mismatch), it refused {sent}: {advice}"
    )
