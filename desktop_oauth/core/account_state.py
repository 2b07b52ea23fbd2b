"""What an account is now, in one place: the window and the command line both show this.

The stored status (:class:`~desktop_oauth.core.config.AccountStatus`) is what was
decided; the *state* is what that means at this moment, given the tokens in the
keyring and the clock. A revoked or signed-out account claims nothing: no scopes,
no expiry, no refresh token; what it held is kept apart as history.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from .config import AccountRecord, AccountStatus, Revocation
from .tokens import TokenSet


class AccountState(StrEnum):
    """An account's state as shown (``accounts`` prints these words)."""

    CONNECTED = "connected"
    EXPIRED = "expired"
    NEEDS_SIGN_IN = "needs sign-in again"
    REVOKED = "revoked"
    REVOCATION_PENDING = "revocation pending"
    #: The keyring could not be read, so nothing can be said.
    UNKNOWN = "unknown"


class _NotRead(enum.Enum):
    NOT_READ = enum.auto()


#: Pass as ``tokens`` when the keyring was not read (the window's list, on the GUI
#: thread): the record's own copy of the expiry and refresh-token flag is used.
NOT_READ = _NotRead.NOT_READ


@dataclass(frozen=True)
class AccountSummary:
    """One account as the window and ``accounts`` show it.

    Attributes:
        state: What the account is now.
        detail: Why, in words, when the state needs explaining (empty otherwise).
        scopes: What is granted now (empty unless connected or expired).
        expires_at: When the access token expires (None unless connected).
        has_refresh_token: Whether a usable refresh token is held now.
        former_scopes: What was granted before the account was revoked or signed
            out (empty while connected).
        revoked_at: When it was revoked here, if known.
        revocation: What the provider said about the revocation.
    """

    record: AccountRecord
    state: AccountState
    detail: str = ""
    scopes: tuple[str, ...] = ()
    expires_at: float | None = None
    has_refresh_token: bool = False
    former_scopes: tuple[str, ...] = ()
    revoked_at: float | None = None
    revocation: Revocation | None = None
    email: str | None = None
    login: str | None = None

    @property
    def label(self) -> str:
        """The state in a few words for a list: a revocation says whether it was proved."""
        if self.state is AccountState.REVOKED and self.revocation is Revocation.VERIFIED:
            return "revoked (verified)"
        if self.state is AccountState.REVOKED and self.revocation is Revocation.UNCONFIRMED:
            return "revoked (unconfirmed)"
        return self.state.value

    @property
    def needs_attention(self) -> bool:
        """Whether the person has something to do about the account now (sign in
        again, tell the provider, unlock the keyring), beyond reading its state.

        A revocation the provider accepted is done: the state says so, and saying it
        again on every listing would only be noise.
        """
        if self.state is AccountState.CONNECTED:
            return False
        if self.state is AccountState.REVOKED:
            return self.revocation not in (Revocation.VERIFIED, Revocation.CONFIRMED)
        return True

    @property
    def ended(self) -> str:
        """Why nothing is granted any more ("revoked", "signed out"); empty while it is."""
        if self.state in (AccountState.REVOKED, AccountState.REVOCATION_PENDING):
            return "revoked"
        return "signed out" if self.state is AccountState.NEEDS_SIGN_IN else ""

    def seconds_left(self, now: float) -> float | None:
        """Seconds until the access token expires (None: no expiry to count down)."""
        return None if self.expires_at is None else self.expires_at - now


_REVOCATION_WORDS = {
    Revocation.VERIFIED: "revoked (verified): the provider no longer accepts the tokens",
    Revocation.CONFIRMED: "revoked: the provider accepted the request",
    Revocation.UNCONFIRMED: (
        "revoked here; the provider did not confirm. Remove the app in your account settings there."
    ),
}


def describe(
    record: AccountRecord,
    now: float,
    tokens: TokenSet | _NotRead | None = NOT_READ,
    *,
    claims: dict[str, Any] | None = None,
) -> AccountSummary:
    """What ``record`` is at ``now``, holding ``tokens`` (None: nothing in the keyring).

    The stored status comes first (revoked, pending, refused); then the keyring: an
    account whose tokens are gone needs signing in again. An expired access token
    with a refresh token counts as connected, since the next use renews it.
    """
    email, login = names_from_claims(claims or {})
    if record.status in (AccountStatus.REVOKED, AccountStatus.REVOCATION_PENDING):
        pending = record.status is AccountStatus.REVOCATION_PENDING
        return AccountSummary(
            record,
            AccountState.REVOCATION_PENDING if pending else AccountState.REVOKED,
            (
                "Revoked here; the provider will be told when it can be reached."
                if pending
                else record.status_note
                or _REVOCATION_WORDS[record.revocation or Revocation.UNCONFIRMED]
            ),
            former_scopes=record.granted_scopes,
            revoked_at=record.revoked_at,
            revocation=record.revocation,
            email=email,
            login=login,
        )
    if record.status is AccountStatus.NEEDS_SIGN_IN or tokens is None:
        detail = (
            record.status_note or "The provider refused the refresh token."
            if record.status is AccountStatus.NEEDS_SIGN_IN
            else "No tokens are stored for it here."
        )
        return AccountSummary(
            record,
            AccountState.NEEDS_SIGN_IN,
            detail,
            former_scopes=record.granted_scopes,
            email=email,
            login=login,
        )
    if isinstance(tokens, TokenSet):
        expires_at, refreshable = tokens.expires_at, tokens.refresh_token is not None
    else:
        expires_at, refreshable = record.expires_at, record.has_refresh_token
    expired = expires_at is not None and expires_at <= now
    state, detail = AccountState.CONNECTED, ""
    if expired and refreshable:
        detail = "The access token has expired; the next use renews it."
    elif expired:
        state = AccountState.EXPIRED
        detail = "The access token has expired and there is no refresh token."
    return AccountSummary(
        record,
        state,
        detail,
        scopes=record.granted_scopes,
        expires_at=expires_at,
        has_refresh_token=refreshable,
        email=email,
        login=login,
    )


def unknown(record: AccountRecord, why: str) -> AccountSummary:
    """An account whose tokens could not be read: nothing is claimed."""
    return AccountSummary(record, AccountState.UNKNOWN, why)


def names_from_claims(claims: dict[str, Any]) -> tuple[str | None, str | None]:
    """The email and the login in an id_token's (or userinfo's) claims, where present."""

    def text(key: str) -> str | None:
        value = claims.get(key)
        return value if isinstance(value, str) and value else None

    return text("email"), text("preferred_username") or text("login")
