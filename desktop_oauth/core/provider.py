"""How the app talks to one provider: its endpoints, the client registered there,
and the scopes to ask for."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Endpoints:
    """A provider's endpoints, from discovery or entered by hand."""

    authorization: str
    token: str
    userinfo: str | None = None
    revocation: str | None = None
    introspection: str | None = None
    jwks_uri: str | None = None
    device_authorization: str | None = None
    #: RFC 9207 §3: the provider promises ``iss`` on every authorization response.
    iss_parameter_supported: bool = False
    code_challenge_methods: tuple[str, ...] = ()
    #: ``*_endpoint_auth_methods_supported`` (RFC 8414 §2, RFC 7009/7662 metadata,
    #: RFC 8414 §2): empty when the metadata says nothing.
    token_auth_methods: tuple[str, ...] = ()
    revocation_auth_methods: tuple[str, ...] = ()
    introspection_auth_methods: tuple[str, ...] = ()
    #: ``scopes_supported``: never a limit on what is asked (OIDC Discovery §3
    #: lets it be partial), only a clue when the provider answers invalid_scope.
    scopes_supported: tuple[str, ...] = ()

    #: The endpoints a person may set beside discovery (``--revocation-url`` ...).
    OVERRIDABLE = ("revocation", "userinfo", "introspection")

    def validate(self) -> None:
        """Raise InsecureURLError unless every endpoint is https or loopback http."""
        from .http import require_secure_url  # the HTTP stack only when checking

        require_secure_url(self.authorization, "authorization endpoint")
        require_secure_url(self.token, "token endpoint")
        for url, what in (
            (self.userinfo, "userinfo endpoint"),
            (self.revocation, "revocation endpoint"),
            (self.introspection, "introspection endpoint"),
            (self.jwks_uri, "key set (jwks_uri)"),
            (self.device_authorization, "device authorization endpoint"),
        ):
            if url:
                require_secure_url(url, what)

    @classmethod
    def from_metadata(cls, metadata: dict[str, Any]) -> Endpoints:
        """Build endpoints from an RFC 8414 / OpenID discovery document."""

        def optional(key: str) -> str | None:
            value = metadata.get(key)
            return value if isinstance(value, str) and value else None

        def strings(key: str) -> tuple[str, ...]:
            value = metadata.get(key)
            if not isinstance(value, list):
                return ()
            return tuple(str(v) for v in value if isinstance(v, str))

        return cls(
            authorization=str(metadata["authorization_endpoint"]),
            token=str(metadata["token_endpoint"]),
            userinfo=optional("userinfo_endpoint"),
            revocation=optional("revocation_endpoint"),
            introspection=optional("introspection_endpoint"),
            jwks_uri=optional("jwks_uri"),
            device_authorization=optional("device_authorization_endpoint"),
            iss_parameter_supported=metadata.get("authorization_response_iss_parameter_supported")
            is True,
            code_challenge_methods=strings("code_challenge_methods_supported"),
            token_auth_methods=strings("token_endpoint_auth_methods_supported"),
            scopes_supported=strings("scopes_supported"),
            # RFC 8414 §2: absent, the revocation/introspection lists default to
            # the token endpoint's.
            revocation_auth_methods=strings("revocation_endpoint_auth_methods_supported")
            or strings("token_endpoint_auth_methods_supported"),
            introspection_auth_methods=strings("introspection_endpoint_auth_methods_supported")
            or strings("token_endpoint_auth_methods_supported"),
        )


@dataclass(frozen=True)
class ProviderConfig:
    """One provider as the person configured it.

    Attributes:
        name: Short name shown in the window and used on the command line.
        issuer: The issuer identifier; for OpenID providers discovery starts here.
        client_id: The client registered at the provider (public, native).
        scopes: The scopes to request, in order.
        endpoints: Known endpoints; ``None`` means "discover them from the issuer".
        redirect_port: 0 (recommended) lets the system pick a free port per
            connection; a fixed port is for providers that insist on one.
        has_client_secret: Whether a client secret is kept in the keyring.
        preset: The key of the well-known provider this was made from
            (``github``, ``google``, ``microsoft``, ``gitlab``), if any.
        api_urls: API calls the data panel offers besides the default one.
        redirect_uri: The redirect URI registered at a provider that compares it
            exactly, port included (see :mod:`desktop_oauth.core.redirect`);
            ``None`` for a free port at each sign-in.
        endpoint_overrides: ``(name, url)`` pairs for ``revocation``,
            ``userinfo`` and ``introspection`` that win over the discovery
            document (for a provider whose document leaves one out).
    """

    name: str
    issuer: str
    client_id: str
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    endpoints: Endpoints | None = None
    redirect_port: int = 0
    has_client_secret: bool = False
    extra_authorize_params: tuple[tuple[str, str], ...] = field(default=())
    preset: str | None = None
    api_urls: tuple[str, ...] = ()
    redirect_uri: str | None = None
    endpoint_overrides: tuple[tuple[str, str], ...] = ()

    def with_endpoints(self, endpoints: Endpoints) -> ProviderConfig:
        """A copy with ``endpoints`` filled in; the person's overrides win."""
        given = dict(self.endpoint_overrides)
        endpoints = replace(
            endpoints,
            revocation=given.get("revocation", endpoints.revocation),
            userinfo=given.get("userinfo", endpoints.userinfo),
            introspection=given.get("introspection", endpoints.introspection),
        )
        return replace(self, endpoints=endpoints)

    @property
    def overridden(self) -> frozenset[str]:
        """The endpoints the person set over the discovery document."""
        return frozenset(name for name, _ in self.endpoint_overrides)

    @property
    def is_openid(self) -> bool:
        """Whether the ``openid`` scope is requested (so an id_token is expected)."""
        return "openid" in self.scopes
