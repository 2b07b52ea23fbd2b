"""id_token signatures against the provider's published keys (OIDC Core §3.1.3.7, RFC 8725)."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from desktop_oauth.core.errors import IdTokenError
from desktop_oauth.core.id_token import KeySet, verify_signature
from desktop_oauth.core.tokens import check_id_token_claims

from .jwt_helpers import make_jwt
from .scripted_server import Answer, scripted_server

CLAIMS = {"iss": "https://id.example.test", "aud": "app", "sub": "u1", "nonce": "n"}


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid=kid, use="sig", alg="RS256")
    return jwk


def sign(key: rsa.RSAPrivateKey, kid: str, **extra: Any) -> str:
    now = int(time.time())
    return jwt.encode({**CLAIMS, "iat": now, "exp": now + 300, **extra}, key,
                      algorithm="RS256", headers={"kid": kid})


def test_a_token_signed_by_the_provider_verifies_and_its_claims_pass() -> None:
    key = new_key()
    with scripted_server(lambda r: Answer.json({"keys": [public_jwk(key, "k1")]})) as server:
        claims = verify_signature(sign(key, "k1"), KeySet(requests.Session(), server.url))
    check_id_token_claims(claims, issuer=CLAIMS["iss"], client_id="app", nonce="n",
                          now=time.time())


def test_a_token_signed_by_another_key_is_rejected() -> None:
    key, forger = new_key(), new_key()
    with scripted_server(lambda r: Answer.json({"keys": [public_jwk(key, "k1")]})) as server:
        with pytest.raises(IdTokenError, match="signature check failed"):
            verify_signature(sign(forger, "k1"), KeySet(requests.Session(), server.url))


def test_a_rotated_key_is_found_by_refetching_once() -> None:
    old, new = new_key(), new_key()
    published = [[public_jwk(old, "old")], [public_jwk(old, "old"), public_jwk(new, "new")]]
    calls: list[int] = []

    def answer(request: object) -> Answer:
        calls.append(1)
        return Answer.json({"keys": published[min(len(calls), 2) - 1]})

    with scripted_server(answer) as server:
        keys = KeySet(requests.Session(), server.url)
        verify_signature(sign(old, "old"), keys)
        assert len(server.received) == 1
        verify_signature(sign(new, "new"), keys)  # unknown kid: one refetch
        assert len(server.received) == 2
        with pytest.raises(IdTokenError, match="does not publish"):
            verify_signature(sign(new, "missing"), keys)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (make_jwt(CLAIMS, alg="none"), "alg: none"),
        (make_jwt(CLAIMS, alg="HS256"), "refuses"),
        ("%%%.%%%.%%%", "base64url"),
    ],
)
def test_unsigned_symmetric_and_garbled_tokens_are_refused(token: str, message: str) -> None:
    with pytest.raises(IdTokenError, match=message):
        verify_signature(token, KeySet(requests.Session(), "https://unused.example.test/jwks"))


def test_algorithm_confusion_with_the_public_key_as_hmac_secret_is_refused() -> None:
    key = new_key()
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    forged = make_jwt(CLAIMS, alg="HS256")  # what an attacker would sign with `pem`
    assert pem  # the attack needs the public key only
    with scripted_server(lambda r: Answer.json({"keys": [public_jwk(key, "k1")]})) as server:
        with pytest.raises(IdTokenError):
            verify_signature(forged, KeySet(requests.Session(), server.url))
        assert server.received == []  # refused before any key was fetched
