"""Revocation when the provider is down: tell the person, retry later, delete locally
(docs/security.md (a)28, (b)18; RFC 7009 §2.2.1)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from urllib.parse import parse_qs

import requests

from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.config import AccountStatus, Revocation
from desktop_oauth.core.connect import ConnectResult
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.provider import Endpoints, ProviderConfig
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.core.tokens import TokenSet

from .scripted_server import Answer, Received, scripted_server
from .test_token_store import FlakyKeyring


def connected_service(tmp_path: Path, url: str) -> tuple[AccountService, str, FlakyKeyring]:
    backend = FlakyKeyring()
    profile = Profile(home=tmp_path, keyring_service=f"test:{uuid.uuid4().hex}")
    service = AccountService(
        profile, store=TokenStore(profile.keyring_service, backend), session=requests.Session()
    )
    provider = ProviderConfig(
        name="down",
        issuer=url,
        client_id="app",
        scopes=("profile",),
        endpoints=Endpoints(
            authorization=url + "/auth",
            token=url + "/token",
            revocation=url + "/revoke",
            userinfo=url + "/userinfo",
        ),
    )
    service.add_provider(provider, check=False)
    tokens = TokenSet(
        access_token="at-" + uuid.uuid4().hex,
        refresh_token="rt-secret",
        granted_scopes=("profile",),
    )
    view = service.save_connection(
        ConnectResult(
            provider=service.resolve_provider("down"),
            tokens=tokens,
            claims={"sub": "u1"},
            userinfo=None,
            requested_scopes=("profile",),
        )
    )
    return service, view.record.id, backend


def test_a_provider_that_is_down_gets_the_revocation_later(tmp_path: Path) -> None:
    up = {"now": False}

    def answer(request: Received) -> Answer:
        if request.path == "/revoke":
            return Answer(200, b"") if up["now"] else Answer(503, b"busy", {})
        if request.path == "/userinfo":  # the proof afterwards: the token is refused
            return Answer(401, b"") if up["now"] else Answer.json({"sub": "u1"})
        return Answer(404, b"")

    with scripted_server(answer) as server:
        service, account_id, backend = connected_service(tmp_path, server.url)
        outcome = service.revoke(account_id)
        assert outcome.provider_confirmed is False
        assert "as soon as it can be reached" in outcome.message
        assert outcome.account.status is AccountStatus.REVOCATION_PENDING
        assert outcome.account.revocation is Revocation.UNCONFIRMED
        assert service.store.load(account_id) is None  # forgotten for the account
        kept = [
            json.loads(json.loads(v)["tokens"])  # one entry holds the whole set
            for (_, name), v in backend.entries.items()
            if "pending-revocation" in name
        ]
        assert [k["refresh_token"] for k in kept] == ["rt-secret"]
        assert all(k.get("id_token") is None for k in kept)

        assert [o.provider_confirmed for o in service.retry_revocations()] == [False]
        up["now"] = True
        [later] = service.retry_revocations()
        assert later.provider_confirmed and later.verified
        assert later.account.status is AccountStatus.REVOKED
        assert later.account.revocation is Revocation.VERIFIED
        assert backend.entries == {}  # nothing left in the keyring
        assert service.retry_revocations() == []
        posts = [parse_qs(r.body.decode()) for r in server.posts() if r.path == "/revoke"]
        assert posts[-2]["token"] == ["rt-secret"]  # the refresh token first (RFC 7009 §2.1)


def test_a_refusal_that_will_not_change_is_not_retried(tmp_path: Path) -> None:
    def answer(request: Received) -> Answer:
        if request.path == "/revoke":
            return Answer.json({"error": "invalid_client"}, 401)
        return Answer.json({"sub": "u1"})

    with scripted_server(answer) as server:
        service, account_id, backend = connected_service(tmp_path, server.url)
        outcome = service.revoke(account_id)
    assert outcome.account.status is AccountStatus.REVOKED
    assert outcome.account.revocation is Revocation.UNCONFIRMED
    assert "Remove the app in your account settings" in outcome.message
    assert backend.entries == {}
    assert service.retry_revocations() == []
