"""How the app authenticates as a client at the token, revocation and
introspection endpoints (RFC 6749 §2.3, OIDC Core §9).

The method comes from the provider's metadata
(``token_endpoint_auth_methods_supported`` and its ``revocation_``/
``introspection_`` variants, RFC 8414 §2): ``client_secret_basic`` where it is
offered (the default when the list is absent, RFC 8414 §2), else
``client_secret_post``. A public client (no secret) authenticates with nothing
and names itself with ``client_id`` in the body (RFC 6749 §4.1.3, RFC 7009 §2.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote_plus

from requests.auth import AuthBase, HTTPBasicAuth

from .errors import ConfigurationError


class AuthMethod(StrEnum):
    """The client authentication methods this app can use (OIDC Core §9)."""

    BASIC = "client_secret_basic"
    POST = "client_secret_post"
    NONE = "none"


def choose_method(supported: tuple[str, ...], has_secret: bool) -> AuthMethod:
    """The method to use, given what the endpoint's metadata lists.

    An empty ``supported`` means the metadata says nothing: RFC 8414 §2 then
    makes ``client_secret_basic`` the default.

    Raises:
        ConfigurationError: the client has a secret but the endpoint accepts
            neither secret method (e.g. only ``private_key_jwt``).
    """
    if not has_secret:
        return AuthMethod.NONE
    if not supported or AuthMethod.BASIC in supported:
        return AuthMethod.BASIC
    if AuthMethod.POST in supported:
        return AuthMethod.POST
    raise ConfigurationError(
        "The provider accepts none of the client authentication methods this app can use "
        f"(it lists {', '.join(supported)}; this app can use client_secret_basic and "
        "client_secret_post). Register a public client, or one with a client secret."
    )


@dataclass(frozen=True)
class ClientCredentials:
    """What goes with one request: an ``Authorization`` header and/or body fields."""

    auth: AuthBase | None
    fields: tuple[tuple[str, str], ...]

    def __repr__(self) -> str:  # never the secret (SECURITY: no secret in any repr)
        names = ", ".join(name for name, _ in self.fields)
        return f"ClientCredentials(auth={'basic' if self.auth else 'none'}, fields=[{names}])"


def credentials(method: AuthMethod, client_id: str, client_secret: str | None) -> ClientCredentials:
    """The authentication of one request by ``method``.

    ``client_secret_basic``: RFC 6749 §2.3.1 wants client id and secret each
    encoded with the application/x-www-form-urlencoded algorithm (Appendix B)
    *before* they are joined with ``:`` and base64-encoded, so a secret holding
    ``%``, ``+`` or ``:`` survives. ``quote_plus`` is that algorithm (the one
    requests uses for form bodies); requests' HTTPBasicAuth does the base64.
    """
    if method is AuthMethod.NONE or not client_secret:
        return ClientCredentials(None, (("client_id", client_id),))
    if method is AuthMethod.POST:
        return ClientCredentials(None, (("client_id", client_id), ("client_secret", client_secret)))
    return ClientCredentials(HTTPBasicAuth(quote_plus(client_id), quote_plus(client_secret)), ())
