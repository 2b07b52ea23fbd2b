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

        methods = metadata.get("code_challenge_methods_supported") or ()
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
            code_challenge_methods=tuple(str(m) for m in methods if isinstance(m, str)),
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

    def with_endpoints(self, endpoints: Endpoints) -> ProviderConfig:
        """A copy with ``endpoints`` filled in."""
        return replace(self, endpoints=endpoints)

    @property
    def is_openid(self) -> bool:
        """Whether the ``openid`` scope is requested (so an id_token is expected)."""
        return "openid" in self.scopes
