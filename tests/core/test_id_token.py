"""id_token signatures against the provider's published keys (OIDC Core §3.1.3.7, RFC 8725)."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import keyring
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from desktop_oauth.core.accounts import AccountService, AccountView, account_id_for
from desktop_oauth.core.errors import IdTokenError
from desktop_oauth.core.id_token import KeySet, verify_signature
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.provider import Endpoints, ProviderConfig
from desktop_oauth.core.tokens import check_id_token_claims

from .jwt_helpers import make_jwt
from .scripted_server import Answer, scripted_server

CLAIMS = {"iss": "https://id.example.test", "aud": "app", "sub": "u1", "nonce": "n"}


_KEYS: list[rsa.RSAPrivateKey] = []
_turn = itertools.count()


def new_key() -> rsa.RSAPrivateKey:
    """The next of three RSA keys made once per run, in turn: up to three calls in a
    row give distinct keys, which is all a test here needs (making a 2048-bit key
    for every call was ~1.5 s of the unit tier)."""
    if not _KEYS:
        _KEYS.extend(
            rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3)
        )
    return _KEYS[next(_turn) % len(_KEYS)]


def public_jwk(key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid=kid, use="sig", alg="RS256")
    return jwk


def sign(key: rsa.RSAPrivateKey, kid: str, **extra: Any) -> str:
    now = int(time.time())
    return jwt.encode(
        {**CLAIMS, "iat": now, "exp": now + 300, **extra},
        key,
        algorithm="RS256",
        headers={"kid": kid},
    )


def test_a_token_signed_by_the_provider_verifies_and_its_claims_pass() -> None:
    key = new_key()
    with scripted_server(lambda r: Answer.json({"keys": [public_jwk(key, "k1")]})) as server:
        claims = verify_signature(sign(key, "k1"), KeySet(requests.Session(), server.url))
    check_id_token_claims(claims, issuer=CLAIMS["iss"], client_id="app", nonce="n", now=time.time())


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


@pytest.mark.parametrize("alg", ["RS256", "RS512", "PS256"])
def test_a_key_published_without_alg_verifies_the_tokens_asymmetric_algorithm(alg: str) -> None:
    # "alg" is optional in a JWK (RFC 7517 §4.4); Microsoft's keys carry none.
    key = new_key()
    jwk = public_jwk(key, "k1")
    del jwk["alg"]
    now = int(time.time())
    token = jwt.encode(
        {**CLAIMS, "iat": now, "exp": now + 300}, key, algorithm=alg, headers={"kid": "k1"}
    )
    with scripted_server(lambda r: Answer.json({"keys": [jwk]})) as server:
        assert verify_signature(token, KeySet(requests.Session(), server.url))["sub"] == "u1"


def test_a_key_published_for_one_algorithm_is_not_used_with_another() -> None:
    key = new_key()  # published for RS256, token signed with PS256 by the same key
    now = int(time.time())
    token = jwt.encode(
        {**CLAIMS, "iat": now, "exp": now + 300}, key, algorithm="PS256", headers={"kid": "k1"}
    )
    with scripted_server(lambda r: Answer.json({"keys": [public_jwk(key, "k1")]})) as server:
        with pytest.raises(IdTokenError, match="published for RS256"):
            verify_signature(token, KeySet(requests.Session(), server.url))


def test_a_token_without_kid_uses_the_only_key_fetched_once() -> None:
    key = new_key()
    now = int(time.time())
    token = jwt.encode({**CLAIMS, "iat": now, "exp": now + 300}, key, algorithm="RS256")
    with scripted_server(lambda r: Answer.json({"keys": [public_jwk(key, "k1")]})) as server:
        keys = KeySet(requests.Session(), server.url)
        verify_signature(token, keys)
        verify_signature(token, keys)
        assert len(server.received) == 1


def _without_kid(key: rsa.RSAPrivateKey) -> dict[str, Any]:
    jwk = public_jwk(key, "")
    del jwk["kid"]
    return jwk


@pytest.mark.parametrize("signer", [0, 1])
def test_a_token_without_kid_verifies_against_any_of_several_keys_without_kid(
    signer: int,
) -> None:
    # Two published keys without kid, as many deployments publish during a rotation:
    # both must stay, and the one that signed must be found (issue 10).
    keys = [new_key(), new_key()]
    now = int(time.time())
    token = jwt.encode({**CLAIMS, "iat": now, "exp": now + 300}, keys[signer], algorithm="RS256")
    published = {"keys": [_without_kid(k) for k in keys]}
    with scripted_server(lambda r: Answer.json(published)) as server:
        claims = verify_signature(token, KeySet(requests.Session(), server.url))
    assert claims["sub"] == "u1"


def test_a_token_with_kid_against_a_key_set_without_any_kid_tries_every_key() -> None:
    # oidc-provider behind a gateway that strips kid from jwks_uri: the token's
    # kid matches nothing, and the set names no key, so each fitting key is tried.
    keys = [new_key(), new_key()]
    token = sign(keys[0], "k0")
    published = {"keys": [_without_kid(k) for k in keys]}
    with scripted_server(lambda r: Answer.json(published)) as server:
        assert verify_signature(token, KeySet(requests.Session(), server.url))["sub"] == "u1"


def test_a_token_without_kid_that_no_key_verifies_says_so() -> None:
    now = int(time.time())
    token = jwt.encode({**CLAIMS, "iat": now, "exp": now + 300}, new_key(), algorithm="RS256")
    published = {"keys": [_without_kid(new_key()), _without_kid(new_key())]}
    with scripted_server(lambda r: Answer.json(published)) as server:
        keys = KeySet(requests.Session(), server.url)
        with pytest.raises(IdTokenError, match=r"no kid.*none of its 2 RS256 keys verifies"):
            verify_signature(token, keys)
        assert len(server.received) == 2  # one refetch, in case the keys rotated


def test_a_token_without_kid_is_not_tried_against_a_key_for_another_algorithm() -> None:
    key = new_key()
    now = int(time.time())
    token = jwt.encode({**CLAIMS, "iat": now, "exp": now + 300}, key, algorithm="RS256")
    jwk = _without_kid(key)
    jwk["alg"] = "RS512"
    with scripted_server(lambda r: Answer.json({"keys": [jwk]})) as server:
        with pytest.raises(IdTokenError, match="publishes no RSA key for RS256"):
            verify_signature(token, KeySet(requests.Session(), server.url))


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
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    forged = make_jwt(CLAIMS, alg="HS256")  # what an attacker would sign with `pem`
    assert pem  # the attack needs the public key only
    with scripted_server(lambda r: Answer.json({"keys": [public_jwk(key, "k1")]})) as server:
        with pytest.raises(IdTokenError):
            verify_signature(forged, KeySet(requests.Session(), server.url))
        assert server.received == []  # refused before any key was fetched


# -- one defect each, through the whole sign-in, against a real JWKS ------------------
# A provider on 127.0.0.1 publishes its key set and answers the code exchange with
# an id_token carrying one defect; the redirect reaches the app's real loopback
# receiver. The sign-in must fail naming the check, and nothing may be stored.

KID = "k1"


def defective_id_token(defect: str, key: rsa.RSAPrivateKey, issuer: str, nonce: str) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": "app",
        "sub": "u1",
        "nonce": nonce,
        "iat": now,
        "exp": now + 300,
    }
    if defect == "signature":  # signed by someone else, under the provider's kid
        return jwt.encode(claims, new_key(), algorithm="RS256", headers={"kid": KID})
    if defect == "payload":  # the provider's signature over other claims
        header, _, signature = jwt.encode(
            claims, key, algorithm="RS256", headers={"kid": KID}
        ).split(".")
        forged = make_jwt({**claims, "sub": "admin"}).split(".")[1]
        return f"{header}.{forged}.{signature}"
    if defect == "alg none":
        return make_jwt(claims, alg="none")
    changes: dict[str, dict[str, Any]] = {
        "iss": {"iss": issuer + "/other"},
        "aud": {"aud": "another-app"},
        "azp": {"aud": ["app", "another-app"]},
        "nonce": {"nonce": "a-nonce-from-another-sign-in"},
        "exp": {"exp": now - 600, "iat": now - 900},
        "iat": {"iat": now + 600, "exp": now + 900},
        "nbf": {"nbf": now + 600},
        "exp within leeway": {"exp": now - 60, "iat": now - 360},
        "iat within leeway": {"iat": now + 60},
        "none": {},
    }
    return jwt.encode({**claims, **changes[defect]}, key, algorithm="RS256", headers={"kid": KID})


class TamperingProvider:
    """Token endpoint and key set of a provider whose id_tokens carry ``defect``."""

    def __init__(self, defect: str) -> None:
        self.defect = defect
        self.key = new_key()
        self.nonce = ""
        self.issuer = ""

    def answer(self, request: Any) -> Answer:
        if request.path == "/jwks":
            return Answer.json({"keys": [public_jwk(self.key, KID)]})
        return Answer.json(
            {
                "access_token": "at-" + self.defect,
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": "rt-" + self.defect,
                "scope": "openid",
                "id_token": defective_id_token(self.defect, self.key, self.issuer, self.nonce),
            }
        )


@pytest.fixture
def service(tmp_path: Path) -> Iterator[AccountService]:
    """An account service on a fresh profile, its tokens in the real Secret Service."""
    if type(keyring.get_keyring()).__module__ != "keyring.backends.SecretService":
        pytest.fail("these tests need the real Secret Service: run the README's test command")
    yield AccountService(
        Profile(home=tmp_path, keyring_service=f"desktop-oauth-test:{uuid.uuid4().hex}")
    )


def sign_in_with(service: AccountService, defect: str) -> AccountView:
    """Run a sign-in as the window's connect thread does, up to saving the account."""
    provider = TamperingProvider(defect)
    with scripted_server(provider.answer) as server:
        provider.issuer = server.url
        service.add_provider(
            ProviderConfig(
                name="tampering",
                issuer=server.url,
                client_id="app",
                scopes=("openid",),
                endpoints=Endpoints(
                    authorization=server.url + "/authorize",
                    token=server.url + "/token",
                    jwks_uri=server.url + "/jwks",
                ),
            )
        )
        attempt = service.begin_connect("tampering", deadline_seconds=10)
        provider.nonce = attempt.pending.nonce
        callback = threading.Thread(
            target=lambda: requests.get(
                attempt.redirect_uri,
                params={"code": "c", "state": attempt.pending.state},
                timeout=5,
            )
        )
        callback.start()
        try:
            params = attempt.wait_for_redirect()
        finally:
            callback.join(5)
        try:
            return service.save_connection(attempt.complete(params))
        finally:
            assert [r.path for r in server.posts()] == ["/token"]  # the code, once
            # The key set is fetched while the browser is away (core/connect.py), so an
            # unsigned token may be refused before or after that fetch.
            if defect != "alg none":
                assert any(r.path == "/jwks" for r in server.received)


@pytest.mark.integration  # the real Secret Service
@pytest.mark.parametrize(
    ("defect", "message"),
    [
        ("signature", "signature check failed"),
        ("payload", "signature check failed"),
        ("alg none", r"unsigned \(alg: none\)"),
        ("iss", r"iss check failed"),
        ("aud", r"aud check failed"),
        ("azp", r"several audiences but azp"),
        ("nonce", r"nonce check failed"),
        ("exp", r"expired\. If you just signed in, check your computer's clock"),
        ("iat", r"issued in the future; check your computer's clock"),
        ("nbf", r"not valid yet; check your computer's clock"),
    ],
)
def test_a_tampered_id_token_names_the_failed_check_and_nothing_is_stored(
    service: AccountService, defect: str, message: str
) -> None:
    with pytest.raises(IdTokenError, match=message) as caught:
        sign_in_with(service, defect)
    # The message names the check, never a token or a claim's value.
    assert "at-" not in str(caught.value) and "a-nonce-from" not in str(caught.value)
    [provider] = service.load().providers
    assert service.config.accounts == ()
    for subject in ("u1", "admin"):
        assert service.store.load(account_id_for(provider.issuer, subject)) is None


@pytest.mark.integration  # the real Secret Service
@pytest.mark.parametrize("defect", ["none", "exp within leeway", "iat within leeway"])
def test_a_sound_id_token_or_a_skew_within_two_minutes_signs_in(
    service: AccountService, defect: str
) -> None:
    view = sign_in_with(service, defect)
    assert view.record.subject == "u1"
    try:
        stored = service.store.load(view.record.id)
        assert stored is not None and stored.refresh_token == "rt-" + defect
    finally:
        service.store.delete(view.record.id)
