"""The history's place in the settings file: a ``history`` object by account id, each
with the names the account was known by and its entries (:mod:`.history`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .history import (
    MAX_ENTRIES,
    AccountHistory,
    HistoryEntry,
    HistoryKind,
    RevokeResult,
    bounded,
    short_reason,
)


def histories_to_json(histories: Iterable[AccountHistory]) -> dict[str, Any]:
    """The ``history`` object of the settings file, by account id."""
    return {
        h.account_id: {
            "name": h.name,
            "provider": h.provider,
            "subject": h.subject,
            "entries": [_entry_to_file(e) for e in h.entries],
        }
        for h in histories
    }


def histories_from_json(data: Any, current: Iterable[str] = ()) -> tuple[AccountHistory, ...]:
    """The histories of the settings file's ``history`` object.

    Lenient on purpose: an entry that cannot be read is left out, and an account's
    history that cannot be read at all is empty, so a damaged history never costs
    the accounts or the providers (which are read strictly).
    """
    if not isinstance(data, dict):
        return ()
    histories = []
    for account_id, raw in data.items():
        if not isinstance(account_id, str) or not isinstance(raw, dict):
            continue
        entries = []
        for item in raw.get("entries", []) if isinstance(raw.get("entries"), list) else []:
            try:
                entries.append(_entry_from_file(item))
            except (ValueError, TypeError, KeyError, AttributeError):
                continue
        histories.append(
            AccountHistory(
                account_id,
                name=_text_or_empty(raw.get("name")),
                provider=_text_or_empty(raw.get("provider")),
                subject=_text_or_empty(raw.get("subject")),
                entries=tuple(entries[-MAX_ENTRIES:]),
            )
        )
    return bounded(histories, set(current))


def _entry_to_file(entry: HistoryEntry) -> dict[str, Any]:
    # Only what an entry has: the file stays small at 100 entries an account.
    data = entry.to_json()
    return {k: v for k, v in data.items() if v not in ([], "", None) and (k, v) != ("count", 1)}


def _entry_from_file(data: Any) -> HistoryEntry:
    if not isinstance(data, dict):
        raise TypeError("expected an object")
    at = datetime.fromisoformat(_text(data["time"]))
    since = data.get("since")
    count = data.get("count", 1)
    if not isinstance(count, int) or isinstance(count, bool):
        raise TypeError("expected a count")
    revocation = data.get("revocation")
    return HistoryEntry(
        kind=HistoryKind(data["kind"]),
        at=at,
        scopes=_strings(data.get("scopes", [])),
        added=_strings(data.get("added", [])),
        removed=_strings(data.get("removed", [])),
        reason=_reason(data.get("reason", "")),
        revocation=None if revocation is None else RevokeResult(revocation),
        count=count,
        since=None if since is None else datetime.fromisoformat(_text(since)),
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _text_or_empty(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return tuple(value)


def _reason(value: Any) -> str:
    # Written redacted and short; checked again, as the file may have been edited.
    return short_reason(_text(value)) if value else ""
