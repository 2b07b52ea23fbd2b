"""An OpenID provider's discovery document, served locally.

The document has the shape of OpenID Connect Discovery 1.0 §3 / RFC 8414 §2
(https://openid.net/specs/openid-connect-discovery-1_0.html), with the
optional members the registration check looks at:
``code_challenge_methods_supported`` (RFC 7636 §6.2),
``authorization_response_iss_parameter_supported`` (RFC 9207 §3),
``revocation_endpoint`` (RFC 7009 / RFC 8414 §2) and ``userinfo_endpoint``.
Tests change it to play a misconfigured or misbehaving provider: another
issuer, HTML instead of JSON, a slow answer, or a clock that is off.
"""

from __future__ import annotations

from typing import Any

from .server import Reply, Request, StandInServer

WELL_KNOWN = "/.well-known/openid-configuration"


class DiscoveryStandIn(StandInServer):
    """Serves ``{url}/.well-known/openid-configuration``; the issuer is ``url``.

    Args:
        clock_offset: Seconds the provider's clock (its ``Date`` header) is ahead.

    Attributes:
        changes: Members to set (or, with value ``None``, to remove).
        html: Answer a sign-in web page instead of the document.
        delay: Seconds to wait before answering.
    """

    def __init__(self, *, clock_offset: float = 0.0) -> None:
        super().__init__(self._handle, clock_offset=clock_offset)
        self.issuer = self.url
        self.changes: dict[str, Any] = {}
        self.html = False
        self.delay = 0.0

    def document(self) -> dict[str, Any]:
        base = self.issuer
        doc: dict[str, Any] = {
            "issuer": base,
            "authorization_endpoint": base + "/auth",
            "token_endpoint": base + "/token",
            "userinfo_endpoint": base + "/me",
            "revocation_endpoint": base + "/token/revocation",
            "jwks_uri": base + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
        }
        for key, value in self.changes.items():
            if value is None:
                doc.pop(key, None)
            else:
                doc[key] = value
        return doc

    def _handle(self, request: Request) -> Reply:
        if request.path != WELL_KNOWN:
            return Reply(404, b"not found", [("Content-Type", "text/plain")])
        if self.html:
            page = b"<!doctype html><html><body><form>Sign in to the Wi-Fi</form></body></html>"
            return Reply(200, page, [("Content-Type", "text/html; charset=utf-8")], self.delay)
        reply = Reply.json(self.document())
        reply.delay = self.delay
        return reply
