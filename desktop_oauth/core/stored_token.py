"""A still-valid access token straight from the settings file and the keyring.

Scripts ask for a token often (``desktop-oauth token ACCOUNT``), and most of the
time the stored access token is valid for a while yet: nothing needs the
network. This path reads the settings file and the account's keyring entry and
imports neither the HTTP stack, JOSE nor the built-in provider. Whenever the
answer is not simply "this stored token" (it must be refreshed, the account is
not connected, the keyring cannot be used or read), it returns None and the
account service decides, with its refresh, its locks and its messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from . import config as config_file
from .config import AccountRecord, AccountStatus
from .errors import DesktopOAuthError, TokenStoreError
from .lookup import find_account
from .profile import Profile
from .token_store import TokenStore
from .tokens import TokenSet, decode_jwt_claims


def valid_stored_token(
    profile: Profile,
    query: str,
    *,
    min_seconds: float,
    store: TokenStore | None = None,
    clock: Callable[[], float] = time.time,
) -> tuple[AccountRecord, TokenSet] | None:
    """The account ``query`` names and its stored tokens, when the access token stays
    valid ``min_seconds`` more without a refresh; otherwise None.

    Raises:
        UnknownAccountError, AmbiguousAccountError: as the account service would,
            so the person hears about a wrong name before anything else.
    """
    loaded = config_file.load(profile.config_path)
    if loaded.recovered_from is not None:
        return None  # the service reports the damaged file
    if any(a.status is AccountStatus.REVOCATION_PENDING for a in loaded.accounts):
        return None  # every command first delivers revocations still owed (the service does)
    store = store if store is not None else TokenStore(profile.keyring_service)

    def claims_of(record: AccountRecord) -> dict[str, Any]:
        try:
            tokens = store.load(record.id)
            return decode_jwt_claims(tokens.id_token) if tokens and tokens.id_token else {}
        except DesktopOAuthError:
            return {}

    record = find_account(loaded.accounts, query, claims_of)
    if record.status is not AccountStatus.CONNECTED or not store.persistent:
        return None
    try:
        tokens = store.load(record.id)
    except TokenStoreError:
        return None
    if tokens is None:
        return None
    left = tokens.seconds_left(clock())
    if left is not None and left <= min_seconds:
        return None
    return record, tokens
