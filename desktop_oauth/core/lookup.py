"""Finding an account by what a person calls it, and saying what state it is in.

On the command line an account is named by its short name (the display name),
its email or login, or ``provider:subject``. Names that are kept in the
settings file are tried first; the email and login inside the stored id_token
only when they are needed, since reading them means reading the keyring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import config
from .config import AccountRecord
from .errors import ConfigurationError
from .tokens import TokenSet

#: The states an account can be in, as the accounts list and ``accounts`` show them.
CONNECTED = "connected"
EXPIRED = "expired"
NEEDS_SIGN_IN = "needs sign-in again"
REVOKED = "revoked"
UNKNOWN = "unknown"


class UnknownAccountError(ConfigurationError):
    """No connected account answers to the name given."""


class AmbiguousAccountError(ConfigurationError):
    """Several accounts answer to the name given.

    The message names no account (it may reach a log); ``candidates`` holds
    the accounts, for a caller that shows them to the person who asked.
    """

    def __init__(self, candidates: Sequence[AccountRecord]) -> None:
        self.candidates = tuple(candidates)
        super().__init__(
            f"That name matches {len(self.candidates)} accounts; name one as PROVIDER:SUBJECT."
        )


def qualified_name(record: AccountRecord) -> str:
    """``provider:subject``: the one name that always picks exactly this account."""
    return f"{record.provider}:{record.subject}"


#: id_token claims that a person may use to name their account.
NAME_CLAIMS = ("email", "preferred_username", "login", "name")


def find_account(
    records: Iterable[AccountRecord],
    query: str,
    claims_of: Callable[[AccountRecord], Mapping[str, Any]],
) -> AccountRecord:
    """The one account ``query`` names.

    Tried in order, the first step with any match wins:
    1. the account id or ``provider:subject``, exactly;
    2. the display name or the subject (case-insensitive);
    3. the email, login or name in the account's id_token (case-insensitive),
       read through ``claims_of``.

    Raises:
        UnknownAccountError: nothing matches.
        AmbiguousAccountError: several accounts match at the first step that matches.
    """
    accounts = list(records)
    wanted = query.strip()
    folded = wanted.casefold()
    steps: list[Callable[[AccountRecord], bool]] = [
        lambda r: wanted in (r.id, qualified_name(r)),
        lambda r: folded in (r.display_name.casefold(), r.subject.casefold()),
        lambda r: any(
            isinstance(value, str) and value.casefold() == folded
            for value in (claims_of(r).get(key) for key in NAME_CLAIMS)
        ),
    ]
    if wanted:
        for matches in steps:
            found = [record for record in accounts if matches(record)]
            if len(found) == 1:
                return found[0]
            if found:
                raise AmbiguousAccountError(found)
    if not accounts:
        raise UnknownAccountError("No account is connected yet.")
    raise UnknownAccountError(
        "No connected account has that name. Use a name, email or PROVIDER:SUBJECT "
        "from the accounts list."
    )


@dataclass(frozen=True)
class AccountStatus:
    """An account, what state it is in, and the names it is known by."""

    record: AccountRecord
    state: str
    #: Why, in words, when the state needs explaining (empty otherwise).
    detail: str = ""
    email: str | None = None
    login: str | None = None


def state_of(record: AccountRecord, tokens: TokenSet | None, now: float) -> tuple[str, str]:
    """The state of ``record`` holding ``tokens`` (None: nothing stored), and why.

    The stored status comes first (revoked, or a refresh the provider refused);
    then the keyring: an account whose tokens are gone needs signing in again.
    An expired access token with a refresh token counts as connected, since the
    next use renews it; without one the account is expired.
    """
    if record.status == config.REVOKED:
        return REVOKED, record.status_note
    if record.status == config.NEEDS_SIGNIN:
        return NEEDS_SIGN_IN, record.status_note or "The provider refused the refresh token."
    if tokens is None:
        return NEEDS_SIGN_IN, "No tokens are stored for it here."
    left = tokens.seconds_left(now)
    if left is None or left > 0:
        return CONNECTED, ""
    if tokens.refresh_token:
        return CONNECTED, "The access token has expired; the next use renews it."
    return EXPIRED, "The access token has expired and there is no refresh token."


def names_from_claims(claims: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The email and the login in an id_token's claims, where present."""

    def text(key: str) -> str | None:
        value = claims.get(key)
        return value if isinstance(value, str) and value else None

    return text("email"), text("preferred_username") or text("login")
