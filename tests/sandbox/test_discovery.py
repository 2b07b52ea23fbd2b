"""Discovery, JWKS and the id_token they let a client verify."""

from __future__ import annotations

import jwt
import requests

from desktop_oauth.sandbox import SANDBOX_CLIENT_ID, SandboxServer

from .helpers import Browser, Client


def test_discovery_names_the_issuer_and_every_endpoint(sandbox: SandboxServer) -> None:
    response = requests.get(f"{sandbox.issuer}/.well-known/openid-configuration", timeout=5)
    assert response.status_code == 200
    doc = response.json()
    assert sandbox.issuer == f"http://127.0.0.1:{sandbox.port}"
    assert doc["issuer"] == sandbox.issuer
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["response_types_supported"] == ["code"]
    assert doc["token_endpoint_auth_methods_supported"] == ["none"]
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    for name in (
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "introspection_endpoint",
        "device_authorization_endpoint",
    ):
        assert doc[name].startswith(sandbox.issuer + "/"), name
    assert {
        "openid",
        "profile",
        "email",
        "offline_access",
        "notes.read",
        "notes.write",
        "profile.read",
    } <= set(doc["scopes_supported"])
    assert "urn:ietf:params:oauth:grant-type:device_code" in doc["grant_types_supported"]
    assert "implicit" not in doc["grant_types_supported"]
    assert response.headers["Cache-Control"] == "no-store"


def test_the_core_accepts_the_discovery_document(sandbox: SandboxServer) -> None:
    from desktop_oauth.core.discovery import resolve
    from desktop_oauth.core.http import new_session
    from desktop_oauth.sandbox import provider_config

    with new_session() as session:
        provider = resolve(session, provider_config(sandbox.issuer))
    assert provider.endpoints is not None
    assert provider.endpoints.iss_parameter_supported
    assert provider.endpoints.code_challenge_methods == ("S256",)
    assert provider.client_id == SANDBOX_CLIENT_ID
    assert {"offline_access", "notes.read"} <= set(provider.scopes)


def test_jwks_verifies_the_id_token(
    sandbox: SandboxServer, browser: Browser, client: Client
) -> None:
    tokens = client.connect(browser, user="grace")
    jwks = requests.get(f"{sandbox.issuer}/jwks", timeout=5).json()
    [key] = jwks["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert "d" not in key  # public half only
    header = jwt.get_unverified_header(tokens["id_token"])
    assert header["alg"] == "RS256" and header["kid"] == key["kid"]
    claims = jwt.decode(
        tokens["id_token"],
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=SANDBOX_CLIENT_ID,
        issuer=sandbox.issuer,
    )
    assert claims["sub"] == "grace"
    assert claims["nonce"] == tokens["_nonce"]
    assert claims["exp"] > claims["iat"] and isinstance(claims["auth_time"], int)
    assert claims["email"] == "grace@sandbox.test" and claims["name"] == "Grace Hopper"


def test_id_token_claims_follow_the_granted_scopes(browser: Browser, client: Client) -> None:
    tokens = client.connect(browser, ("openid", "profile", "email"), uncheck=("email",))
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["name"] == "Ada Lovelace"
    assert "email" not in claims
    assert tokens["scope"] == "openid profile"
