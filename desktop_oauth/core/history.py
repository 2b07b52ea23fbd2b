"""What happened to each account, kept in the settings file: connected, scopes changed,
refreshed, refresh failed, signed in again, revoked, removed.

An entry holds the kind of event, a timezone-aware local time and a few typed
details: scopes, a short plain reason, an outcome. Never a token, a code, a
state, a verifier or a client secret: nothing here comes from a token response
except the scope names (RFC 6749 §3.3), and reasons pass :func:`~.logs.redact`.

Each account keeps its last :data:`MAX_ENTRIES` entries (the oldest are dropped
first). Repeats in a row of :data:`COALESCED` kinds (a refresh every 48 minutes, a
refresh retried every 10 minutes while the provider is unreachable) make one entry
that counts them (``count``, ``since``), so they cannot push the rest out.

The history is keyed by account id apart from the accounts themselves, so removing
an account keeps its history, "removed" last; the histories of the
:data:`MAX_FORGOTTEN` most recently changed removed accounts are kept, older ones
dropped. How it is written in the settings file: :mod:`.history_file`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .logs import redact

#: Entries kept per account; the oldest go first.
MAX_ENTRIES = 100
#: Histories kept of accounts that were removed (the most recently changed ones).
MAX_FORGOTTEN = 50
#: A reason is cut to this many characters.
MAX_REASON = 200


class HistoryKind(StrEnum):
    """What happened (stored as these values; ``history --json`` prints them)."""

    CONNECTED = "connected"
    SCOPES_CHANGED = "scopes_changed"
    REFRESHED = "refreshed"
    REFRESH_FAILED = "refresh_failed"
    SIGNED_IN_AGAIN = "signed_in_again"
    REVOKED = "revoked"
    REMOVED = "removed"

    @property
    def label(self) -> str:
        """The words shown for it: ``scopes changed``."""
        return self.value.replace("_", " ")


#: Kinds whose repeats in a row (same details) are one entry with a count.
COALESCED = frozenset({HistoryKind.REFRESHED, HistoryKind.REFRESH_FAILED})


class RevokeResult(StrEnum):
    """How a revocation went, as far as the app could tell (RFC 7009)."""

    #: Asked afterwards, the provider no longer honours the tokens.
    VERIFIED = "verified"
    #: The provider accepted the request; whether it took could not be checked.
    CONFIRMED = "confirmed"
    #: The provider did not confirm: the tokens were only forgotten here.
    UNCONFIRMED = "unconfirmed"
    #: The provider could not be reached; it is told as soon as it can be.
    PENDING = "pending"


_REVOKE_WORDS = {
    RevokeResult.VERIFIED: "verified: the provider no longer accepts the tokens",
    RevokeResult.CONFIRMED: "the provider accepted; not verified",
    RevokeResult.UNCONFIRMED: "not confirmed by the provider; forgotten here",
    RevokeResult.PENDING: "the provider could not be reached; it will be told later",
}


@dataclass(frozen=True)
class HistoryEntry:
    """One event of one account.

    Attributes:
        kind: What happened.
        at: When, timezone-aware (local time with its offset when recorded).
        scopes: The scopes granted (connected, signed in again).
        added: Scopes granted now that were not before (scopes changed).
        removed: Scopes granted before that are not now (scopes changed).
        reason: Why it failed, in a few plain words (refresh failed, revoked).
        revocation: How a revocation went (revoked).
        count: How many times in a row it happened (refreshed, refresh failed), the
            last one at ``at``.
        since: When the first of those ``count`` happened (None for one).
    """

    kind: HistoryKind
    at: datetime
    scopes: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    reason: str = ""
    revocation: RevokeResult | None = None
    count: int = 1
    since: datetime | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or (self.since is not None and self.since.tzinfo is None):
            raise ValueError("a history time must carry its time zone")
        if self.count < 1:
            raise ValueError("a history entry happened at least once")

    def repeats(self, earlier: HistoryEntry) -> bool:
        """Whether this entry, following ``earlier``, only says it again."""
        return (
            self.kind in COALESCED
            and replace(self, at=earlier.at, count=earlier.count, since=earlier.since) == earlier
        )

    def again(self, earlier: HistoryEntry) -> HistoryEntry:
        """This entry, counting ``earlier`` (which it repeats) and its own repeats."""
        return replace(self, count=earlier.count + 1, since=earlier.since or earlier.at)

    @property
    def detail(self) -> str:
        """The details in words, for a table or a list."""
        parts = []
        if self.scopes:
            parts.append("granted: " + " ".join(self.scopes))
        if self.added:
            parts.append("added: " + " ".join(self.added))
        if self.removed:
            parts.append("removed: " + " ".join(self.removed))
        if self.revocation is not None:
            parts.append(_REVOKE_WORDS[self.revocation])
        if self.reason:
            parts.append(self.reason)
        if self.count > 1 and self.since is not None:
            when = self.since.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")
            parts.append(f"{self.count} times in a row since {when}")
        return "; ".join(parts)

    @property
    def local_time(self) -> str:
        """The time in this computer's zone, with the zone: ``2026-12-04 07:10:00 CET``."""
        return self.at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")

    def to_json(self) -> dict[str, Any]:
        """Every field, always present (``history --json`` prints this)."""
        return {
            "time": self.at.isoformat(timespec="seconds"),
            "kind": self.kind.value,
            "scopes": list(self.scopes),
            "added": list(self.added),
            "removed": list(self.removed),
            "reason": self.reason,
            "revocation": None if self.revocation is None else self.revocation.value,
            "count": self.count,
            "since": None if self.since is None else self.since.isoformat(timespec="seconds"),
        }


@dataclass(frozen=True)
class AccountHistory:
    """The entries of one account, oldest first, with the names it was known by, so
    that a removed account can still be named."""

    account_id: str
    name: str = ""
    provider: str = ""
    subject: str = ""
    entries: tuple[HistoryEntry, ...] = ()


# -- making entries ----------------------------------------------------------------------
def local_time(seconds: float) -> datetime:
    """``seconds`` since the epoch as a local, timezone-aware time, to the second (as the
    settings file keeps it, so an entry reads back equal)."""
    return datetime.fromtimestamp(seconds, tz=UTC).astimezone().replace(microsecond=0)


def short_reason(text: str) -> str:
    """``text`` on one line, secrets masked, at most :data:`MAX_REASON` characters."""
    line = redact(" ".join(text.split()))
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"


def connected(at: float, scopes: Sequence[str]) -> HistoryEntry:
    return HistoryEntry(HistoryKind.CONNECTED, local_time(at), scopes=tuple(scopes))


def after_sign_in(at: float, before: Sequence[str] | None, now: Sequence[str]) -> HistoryEntry:
    """A sign-in to an account already known: "scopes changed" when the grant differs
    from ``before`` (the scopes granted until now), "signed in again" otherwise."""
    if before is None:
        return connected(at, now)
    added = tuple(s for s in now if s not in before)
    removed = tuple(s for s in before if s not in now)
    if added or removed:
        return HistoryEntry(
            HistoryKind.SCOPES_CHANGED, local_time(at), added=added, removed=removed
        )
    return HistoryEntry(HistoryKind.SIGNED_IN_AGAIN, local_time(at), scopes=tuple(now))


def refreshed(at: float) -> HistoryEntry:
    return HistoryEntry(HistoryKind.REFRESHED, local_time(at))


def refresh_failed(at: float, reason: str) -> HistoryEntry:
    return HistoryEntry(HistoryKind.REFRESH_FAILED, local_time(at), reason=short_reason(reason))


def revoked(at: float, result: RevokeResult, reason: str = "") -> HistoryEntry:
    return HistoryEntry(
        HistoryKind.REVOKED, local_time(at), revocation=result, reason=short_reason(reason)
    )


def removed(at: float, reason: str = "") -> HistoryEntry:
    return HistoryEntry(HistoryKind.REMOVED, local_time(at), reason=short_reason(reason))


# -- keeping them ------------------------------------------------------------------------
def with_entry(
    histories: tuple[AccountHistory, ...],
    names: AccountHistory,
    entry: HistoryEntry,
    *,
    current: Iterable[str] = (),
) -> tuple[AccountHistory, ...]:
    """``histories`` with ``entry`` added to the account of ``names`` (whose name,
    provider and subject replace those kept, when given), within the bounds.

    Args:
        current: The ids of the accounts configured now; other histories are of
            removed accounts, of which only :data:`MAX_FORGOTTEN` are kept.
    """
    old = next((h for h in histories if h.account_id == names.account_id), None)
    base = old or AccountHistory(names.account_id)
    entries = base.entries
    if entries and entry.repeats(entries[-1]):
        entries, entry = entries[:-1], entry.again(entries[-1])
    updated = replace(
        base,
        name=names.name or base.name,
        provider=names.provider or base.provider,
        subject=names.subject or base.subject,
        entries=(*entries, entry)[-MAX_ENTRIES:],
    )
    others = [h for h in histories if h.account_id != names.account_id]
    # The account changed last goes last: the forgotten ones dropped are the stalest.
    return bounded((*others, updated), set(current) | {names.account_id})


def bounded(histories: Sequence[AccountHistory], current: set[str]) -> tuple[AccountHistory, ...]:
    forgotten = [h.account_id for h in histories if h.account_id not in current]
    dropped = set(forgotten[: max(0, len(forgotten) - MAX_FORGOTTEN)])
    return tuple(h for h in histories if h.account_id not in dropped)


def find_histories(histories: Iterable[AccountHistory], query: str) -> list[AccountHistory]:
    """The histories ``query`` names: by account id or ``provider:subject`` exactly,
    else by the name or subject kept with it (case-insensitive)."""
    wanted = query.strip()
    folded = wanted.casefold()
    kept = list(histories)
    exact = [h for h in kept if wanted in (h.account_id, f"{h.provider}:{h.subject}")]
    if exact or not wanted:
        return exact
    return [h for h in kept if folded in (h.name.casefold(), h.subject.casefold())]
