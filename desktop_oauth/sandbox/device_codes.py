"""Device authorizations (RFC 8628): the codes, the user's decision, the polling pace.

oauthlib's device authorization endpoint creates the codes but does not store
them; this module keeps them (hashed, like every other credential) and
answers the device grant's question "where is this device_code now?".
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass

from .store import Store, digest

#: RFC 8628 §6.1: 20 consonants (no vowels, so no words; no look-alikes), 8 of
#: them give 34 bits; a per-session attempt limit on the /device page stops guessing.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8

PENDING = "authorization_pending"
SLOW_DOWN = "slow_down"
EXPIRED = "expired_token"
DENIED = "access_denied"
AUTHORIZED = "authorized"

#: RFC 8628 §3.5: each slow_down adds 5 seconds to the interval for good.
SLOW_DOWN_STEP = 5.0
#: A poll this much early still counts as on time (network and timer jitter).
_POLL_TOLERANCE = 0.25


def new_user_code() -> str:
    """A code to type in, like ``WDJB-MJHT`` (RFC 8628 §6.1)."""
    raw = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_user_code(text: str) -> str:
    """What the person typed, reduced to the code's letters (case, dashes and spaces dropped)."""
    return "".join(ch for ch in text.upper() if ch in USER_CODE_ALPHABET)


@dataclass(frozen=True)
class DeviceRecord:
    """A device authorization and how far the user got with it."""

    hash: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    interval: float
    last_poll: float | None
    status: str  # pending, authorized, denied, used
    user_id: str | None
    granted_scopes: tuple[str, ...]
    auth_time: float | None


class DeviceCodes:
    """The device authorizations of one sandbox, over its :class:`Store`."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self,
        device_code: str,
        user_code: str,
        client_id: str,
        scopes: tuple[str, ...],
        expires_at: float,
        interval: float,
    ) -> None:
        with self._store.transaction() as db:
            db.execute(
                "INSERT INTO device_codes (hash, user_code_hash, client_id, scopes, expires_at,"
                " interval, status) VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                (
                    digest(device_code),
                    digest(normalise_user_code(user_code)),
                    client_id,
                    " ".join(scopes),
                    expires_at,
                    interval,
                ),
            )

    def by_user_code(self, user_code: str, now: float) -> DeviceRecord | None:
        """The pending, unexpired authorization that ``user_code`` names, if any."""
        code = normalise_user_code(user_code)
        if len(code) != USER_CODE_LENGTH:
            return None
        with self._store.transaction() as db:
            row = db.execute(
                "SELECT * FROM device_codes WHERE user_code_hash=?", (digest(code),)
            ).fetchone()
        record = None if row is None else _record(row)
        if record is None or record.status != "pending" or now >= record.expires_at:
            return None
        return record

    def decide(
        self, record_hash: str, *, user_id: str, granted: tuple[str, ...] | None, auth_time: float
    ) -> bool:
        """Record the person's answer: ``granted`` scopes, or None for "Deny".

        Returns False when the authorization was no longer pending.
        """
        status = "denied" if granted is None else "authorized"
        with self._store.transaction() as db:
            cursor = db.execute(
                "UPDATE device_codes SET status=?, user_id=?, granted_scopes=?, auth_time=? "
                "WHERE hash=? AND status='pending'",
                (status, user_id, " ".join(granted or ()), auth_time, record_hash),
            )
            return cursor.rowcount == 1

    def poll(
        self, client_id: str, device_code: str, now: float
    ) -> tuple[str | None, DeviceRecord | None]:
        """One poll of the token endpoint (RFC 8628 §3.4-3.5).

        Returns the status (None for an unknown code) and the record. An
        authorized code is used up by the poll that collects it.
        """
        with self._store.transaction() as db:
            row = db.execute(
                "SELECT * FROM device_codes WHERE hash=?", (digest(device_code),)
            ).fetchone()
            if row is None or row["client_id"] != client_id or row["status"] == "used":
                return None, None
            record = _record(row)
            if now >= record.expires_at:
                return EXPIRED, record
            if record.status == "denied":
                return DENIED, record
            if record.status == "authorized":
                db.execute("UPDATE device_codes SET status='used' WHERE hash=?", (record.hash,))
                return AUTHORIZED, record
            waited = None if record.last_poll is None else now - record.last_poll
            too_soon = waited is not None and waited < record.interval - _POLL_TOLERANCE
            interval = record.interval + SLOW_DOWN_STEP if too_soon else record.interval
            db.execute(
                "UPDATE device_codes SET last_poll=?, interval=? WHERE hash=?",
                (now, interval, record.hash),
            )
            return (SLOW_DOWN if too_soon else PENDING), record

    def link_grant(self, device_code: str, grant_id: str) -> None:
        with self._store.transaction() as db:
            db.execute(
                "UPDATE device_codes SET grant_id=? WHERE hash=?", (grant_id, digest(device_code))
            )


def _record(row: sqlite3.Row) -> DeviceRecord:
    return DeviceRecord(
        hash=row["hash"],
        client_id=row["client_id"],
        scopes=tuple(row["scopes"].split()),
        expires_at=row["expires_at"],
        interval=row["interval"],
        last_poll=row["last_poll"],
        status=row["status"],
        user_id=row["user_id"],
        granted_scopes=tuple((row["granted_scopes"] or "").split()),
        auth_time=row["auth_time"],
    )
