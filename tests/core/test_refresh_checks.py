"""An id_token that comes with a refresh is checked like the first one and must name
the same user (OIDC Core §12.2). The access token it came to replace is then not
handed out either, though it has not expired yet: nothing stands behind it."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import requests

from desktop_oauth.core.accounts import AccountService
from desktop_oauth.core.config import AccountStatus
from desktop_oauth.core.connect import ConnectResult
from desktop_oauth.core.errors import IdTokenError
from desktop_oauth.core.profile import Profile
from desktop_oauth.core.provider import Endpoints, ProviderConfig
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.core.tokens import TokenSet

from .scripted_server import Answer, Received, scripted_server
from .test_id_token import new_key, public_jwk, sign
from .test_token_store import FlakyKeyring


@pytest.mark.parametrize(("sub", "refused"), [("u1", False), ("someone-else", True)])
def test_a_refreshed_id_token_must_name_the_same_user(
    tmp_path: Path, sub: str, refused: bool
) -> None:
    key = new_key()
    issuer: dict[str, str] = {}

    def answer(request: Received) -> Answer:
        if request.path == "/jwks":
            return Answer.json({"keys": [public_jwk(key, "k1")]})
        if request.path == "/token":
            return Answer.json(
                {
                    "access_token": "new-at",
                    "refresh_token": "new-rt",
                    "expires_in": 300,
                    "id_token": sign(key, "k1", iss=issuer["url"], sub=sub, aud="app"),
                }
            )
        return Answer(404, b"")

    with scripted_server(answer) as server:
        issuer["url"] = server.url
        profile = Profile(home=tmp_path, keyring_service=f"test:{uuid.uuid4().hex}")
        store = TokenStore(profile.keyring_service, FlakyKeyring())
        service = AccountService(profile, store=store, session=requests.Session())
        service.add_provider(
            ProviderConfig(
                name="op",
                issuer=server.url,
                client_id="app",
                scopes=("openid",),
                endpoints=Endpoints(
                    authorization=server.url + "/auth",
                    token=server.url + "/token",
                    jwks_uri=server.url + "/jwks",
                ),
            ),
            check=False,
        )
        view = service.save_connection(
            ConnectResult(
                provider=service.resolve_provider("op"),
                # Valid for 30 s more: `token` (60 s wanted) refreshes first.
                tokens=TokenSet(access_token="at", refresh_token="rt", expires_at=time.time() + 30),
                claims={"sub": "u1"},
                userinfo=None,
                requested_scopes=("openid",),
            )
        )
        if refused:
            with pytest.raises(IdTokenError, match="different user"):
                service.usable_tokens(view.record.id, min_seconds=60.0)
            assert store.load(view.record.id) is None
            [record] = service.config.accounts
            assert record.status is AccountStatus.NEEDS_SIGN_IN
            # Neither the replaced tokens nor the refused new ones are forgotten: both
            # may still work at the provider, and are revoked at Revoke or Remove.
            kept = [store.load(entry) for entry in record.superseded]
            assert [(t.access_token, t.refresh_token) for t in kept if t] == [
                ("at", None),
                ("new-at", "new-rt"),
            ]
        else:
            refreshed = service.usable_tokens(view.record.id, min_seconds=60.0)
            assert refreshed.tokens is not None and refreshed.tokens.refresh_token == "new-rt"
