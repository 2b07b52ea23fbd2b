"""Finding an account by what a person calls it.

What state it is in is :func:`desktop_oauth.core.account_state.describe`.

On the command line an account is named by its short name (the display name),
its email or login, or ``provider:subject``. Names that are kept in the
settings file are tried first; the email and login inside the stored id_token
only when they are needed, since reading them means reading the keyring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .config import AccountRecord
from .errors import ConfigurationError


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
