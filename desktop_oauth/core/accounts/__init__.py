"""Accounts: connecting, refreshing, revoking, and what each one holds.

:class:`AccountService` is the single entry point the window's controller and
the command line use. It is synchronous and thread-safe; callers run it off
the GUI thread. Each concern lives in its own module, one layer on the next:

- :mod:`.records`: the loaded config, the token store, read-modify-write helpers;
- :mod:`.providers`: provider settings and client secrets;
- :mod:`.connecting`: starting a connection and saving its result;
- :mod:`.renewal`: refreshing tokens and calling the provider's API;
- :mod:`.revocation`: revoking, removing, and the pending revocations;
- this module: what the window and the command line read about an account.
"""

from __future__ import annotations

from .. import lookup
from ..api import ApiAuthError
from ..config import PENDING_REVOCATION, AccountRecord
from ..errors import DesktopOAuthError, TokenStoreError
from ..lookup import AccountStatus, find_account, names_from_claims, state_of
from .connecting import account_id_for
from .records import AccountView, LocalProvider, _claims_of
from .revocation import Revocation, RevokeOutcome

__all__ = [
    "PENDING_REVOCATION",
    "AccountService",
    "AccountView",
    "LocalProvider",
    "RevokeOutcome",
    "account_id_for",
]


class AccountService(Revocation):
    """Connects, refreshes and revokes accounts of one profile.

    Args:
        profile: Where config and keyring namespace come from.
        store: The token store; by default the keyring of this profile.
        session: The HTTP session for every provider call.
        clock: Wall-clock seconds, for expiry.
        local_providers: Providers the app runs itself, listed first.
    """

    def find_account(self, query: str) -> AccountRecord:
        """The account a person names by display name, email, login or
        ``provider:subject`` (see :func:`lookup.find_account`)."""
        with self._lock:
            records = self._config.accounts
        return find_account(records, query, self._stored_claims)

    def view(self, account_id: str) -> AccountView:
        """The account with its stored tokens (keyring read: off the GUI thread)."""
        record = self._record(account_id)
        tokens = self.store.load(account_id)
        return AccountView(record, tokens, _claims_of(tokens))

    def status(self, account_id: str, *, ask_provider: bool = False) -> AccountStatus:
        """The account's state from its stored tokens.

        Args:
            ask_provider: For a connected account, call the userinfo endpoint
                once: a token the provider refuses means access was revoked there.
        """
        record = self._record(account_id)
        try:
            tokens = self.store.load(account_id)
        except TokenStoreError as exc:
            return AccountStatus(record, lookup.UNKNOWN, str(exc))
        state, detail = state_of(record, tokens, self._clock())
        email, login = names_from_claims(_claims_of(tokens))
        if ask_provider and state == lookup.CONNECTED:
            try:
                self._call_userinfo(record, self._tokens(account_id))
            except ApiAuthError:
                state, detail = lookup.REVOKED, "The provider no longer accepts its access token."
            except DesktopOAuthError as exc:
                detail = f"The provider could not be asked: {exc}"
        return AccountStatus(record, state, detail, email, login)
