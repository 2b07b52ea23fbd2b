"""The sandbox's SQLite database: users, grants, codes, tokens, device codes, quotas, notes.

Codes, tokens and device codes are stored as SHA-256 hashes, never as issued:
a copy of the file lets nobody act as anyone. They carry 256 bits of entropy,
so an unsalted hash is enough (nothing to guess). A code's nonce is kept
encrypted under a key derived from the code itself (:func:`seal_nonce`): only
whoever presents the code can have it put back into the id_token.

One connection serves every request thread, behind a lock; only one process
serves a profile at a time (see :mod:`desktop_oauth.sandbox.instance`).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .catalog import DEMO_USERS, STARTER_NOTES, DemoUser
from .errors import SandboxError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, username TEXT NOT NULL, email TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS grants (
    id TEXT PRIMARY KEY, user_id TEXT NOT NULL, client_id TEXT NOT NULL,
    scopes TEXT NOT NULL, auth_time REAL NOT NULL, created_at REAL NOT NULL,
    revoked_at REAL);
CREATE TABLE IF NOT EXISTS codes (
    hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL, scopes TEXT NOT NULL, nonce TEXT,
    challenge TEXT NOT NULL, challenge_method TEXT NOT NULL, auth_time REAL NOT NULL,
    expires_at REAL NOT NULL, used_at REAL, grant_id TEXT);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY, kind TEXT NOT NULL, grant_id TEXT NOT NULL,
    scopes TEXT NOT NULL, issued_at REAL NOT NULL, expires_at REAL, rotated_at REAL);
CREATE INDEX IF NOT EXISTS tokens_grant ON tokens (grant_id);
CREATE TABLE IF NOT EXISTS device_codes (
    hash TEXT PRIMARY KEY, user_code_hash TEXT NOT NULL UNIQUE, client_id TEXT NOT NULL,
    scopes TEXT NOT NULL, expires_at REAL NOT NULL, interval REAL NOT NULL,
    last_poll REAL, status TEXT NOT NULL, user_id TEXT, granted_scopes TEXT,
    auth_time REAL, grant_id TEXT);
CREATE TABLE IF NOT EXISTS quotas (
    user_id TEXT PRIMARY KEY, window_start REAL NOT NULL, used INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL, text TEXT NOT NULL,
    created_at REAL NOT NULL, client_id TEXT);
"""


def digest(secret: str) -> str:
    """How a code or token is stored and looked up: its SHA-256, in hex."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _scopes(text: str | None) -> tuple[str, ...]:
    return tuple(text.split()) if text else ()


def _nonce_key(code: str) -> bytes:
    # Domain-separated from digest(code), the row's key: the stored hash says
    # nothing about this key.
    return hashlib.sha256(
        b"desktop-oauth sandbox nonce\0" + code.encode("utf-8", "surrogatepass")
    ).digest()


def seal_nonce(code: str, nonce: str | None) -> str | None:
    """``nonce`` encrypted (AES-GCM) under a key only ``code`` gives; None stays None."""
    if nonce is None:
        return None
    iv = secrets.token_bytes(12)
    sealed = AESGCM(_nonce_key(code)).encrypt(iv, nonce.encode(), None)
    return "v1:" + base64.urlsafe_b64encode(iv + sealed).decode()


def open_nonce(code: str, stored: str | None) -> str | None:
    """The nonce sealed by :func:`seal_nonce` with ``code``; None if absent or unreadable."""
    if not stored or not stored.startswith("v1:"):
        return None
    try:
        raw = base64.urlsafe_b64decode(stored[3:])
        return AESGCM(_nonce_key(code)).decrypt(raw[:12], raw[12:], None).decode()
    except (ValueError, InvalidTag):
        return None


@dataclass(frozen=True)
class Grant:
    """One authorization a user gave one application, and every token it produced."""

    id: str
    user_id: str
    client_id: str
    scopes: tuple[str, ...]
    auth_time: float
    created_at: float
    revoked_at: float | None


@dataclass(frozen=True)
class TokenRecord:
    """An issued access or refresh token (never the token itself)."""

    kind: str  # "access" or "refresh"
    grant: Grant
    scopes: tuple[str, ...]
    issued_at: float
    expires_at: float | None
    rotated_at: float | None

    def active(self, now: float) -> bool:
        """Not revoked, not rotated out, not expired."""
        if self.grant.revoked_at is not None or self.rotated_at is not None:
            return False
        return self.expires_at is None or now < self.expires_at


@dataclass(frozen=True)
class CodeRecord:
    """An authorization code as saved at consent (RFC 6749 §4.1.2)."""

    client_id: str
    user_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    nonce: str | None
    challenge: str
    challenge_method: str
    auth_time: float
    expires_at: float
    used_at: float | None
    grant_id: str | None


class Store:
    """All persistent state of one sandbox. Thread-safe."""

    def __init__(self, path: Path) -> None:
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.executescript(_SCHEMA)
            self._initialise()
        except sqlite3.DatabaseError as exc:
            raise SandboxError(
                f"The sandbox's database {path} cannot be used ({exc}). Delete it to start "
                "over with a fresh sandbox."
            ) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _initialise(self) -> None:
        with self._transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is not None:
                if int(row["value"]) != SCHEMA_VERSION:
                    raise sqlite3.DatabaseError(f"unknown schema version {row['value']}")
                return
            db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            for user in DEMO_USERS:
                db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?)",
                    (user.id, user.name, user.username, user.email),
                )
                for text in STARTER_NOTES:
                    db.execute(
                        "INSERT INTO notes (user_id, text, created_at) VALUES (?, ?, ?)",
                        (user.id, text, time.time()),
                    )

    # -- users ------------------------------------------------------------------
    def users(self) -> list[DemoUser]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM users ORDER BY rowid").fetchall()
        return [DemoUser(r["id"], r["name"], r["username"], r["email"]) for r in rows]

    def user(self, user_id: str | None) -> DemoUser | None:
        return next((u for u in self.users() if u.id == user_id), None)

    # -- grants -----------------------------------------------------------------
    def create_grant(
        self, user_id: str, client_id: str, scopes: tuple[str, ...], auth_time: float, now: float
    ) -> str:
        grant_id = secrets.token_urlsafe(16)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO grants VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (grant_id, user_id, client_id, " ".join(scopes), auth_time, now),
            )
        return grant_id

    def grant(self, grant_id: str) -> Grant | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM grants WHERE id=?", (grant_id,)).fetchone()
        return None if row is None else _grant(row)

    def live_grants(self, user_id: str, now: float) -> list[Grant]:
        """The user's unrevoked grants that still hold a usable token."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT g.* FROM grants g JOIN tokens t ON t.grant_id = g.id "
                "WHERE g.user_id=? AND g.revoked_at IS NULL AND t.rotated_at IS NULL "
                "AND (t.expires_at IS NULL OR t.expires_at > ?) ORDER BY g.created_at",
                (user_id, now),
            ).fetchall()
        return [_grant(row) for row in rows]

    def revoke_grant(self, grant_id: str, now: float) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE grants SET revoked_at=? WHERE id=? AND revoked_at IS NULL", (now, grant_id)
            )

    def revoke_client(self, user_id: str, client_id: str, now: float) -> int:
        """Revoke every grant ``user_id`` gave ``client_id``; return how many."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE grants SET revoked_at=? WHERE user_id=? AND client_id=? "
                "AND revoked_at IS NULL",
                (now, user_id, client_id),
            )
            return cursor.rowcount

    # -- tokens -----------------------------------------------------------------
    def add_token(
        self,
        token: str,
        kind: str,
        grant_id: str,
        scopes: tuple[str, ...],
        issued_at: float,
        expires_at: float | None,
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO tokens VALUES (?, ?, ?, ?, ?, ?, NULL)",
                (digest(token), kind, grant_id, " ".join(scopes), issued_at, expires_at),
            )

    def token(self, token: str | None) -> TokenRecord | None:
        """The record of ``token`` (an access or refresh token), whatever its state."""
        if not token:
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT t.kind, t.scopes AS token_scopes, t.issued_at, t.expires_at, "
                "t.rotated_at, g.* FROM tokens t JOIN grants g ON g.id = t.grant_id "
                "WHERE t.hash=?",
                (digest(token),),
            ).fetchone()
        if row is None:
            return None
        return TokenRecord(
            kind=row["kind"],
            grant=_grant(row),
            scopes=_scopes(row["token_scopes"]),
            issued_at=row["issued_at"],
            expires_at=row["expires_at"],
            rotated_at=row["rotated_at"],
        )

    def rotate_token(self, token: str, now: float) -> bool:
        """Mark a refresh token as used up; False if it already was."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE tokens SET rotated_at=? WHERE hash=? AND rotated_at IS NULL",
                (now, digest(token)),
            )
            return cursor.rowcount == 1

    # -- authorization codes ----------------------------------------------------
    def save_code(self, code: str, record: CodeRecord) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO codes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                (
                    digest(code),
                    record.client_id,
                    record.user_id,
                    record.redirect_uri,
                    " ".join(record.scopes),
                    seal_nonce(code, record.nonce),
                    record.challenge,
                    record.challenge_method,
                    record.auth_time,
                    record.expires_at,
                ),
            )

    def code(self, code: str | None) -> CodeRecord | None:
        if not code:
            return None
        with self._lock:
            row = self._db.execute("SELECT * FROM codes WHERE hash=?", (digest(code),)).fetchone()
        if row is None:
            return None
        return CodeRecord(
            client_id=row["client_id"],
            user_id=row["user_id"],
            redirect_uri=row["redirect_uri"],
            scopes=_scopes(row["scopes"]),
            nonce=open_nonce(code, row["nonce"]),
            challenge=row["challenge"],
            challenge_method=row["challenge_method"],
            auth_time=row["auth_time"],
            expires_at=row["expires_at"],
            used_at=row["used_at"],
            grant_id=row["grant_id"],
        )

    def use_code(self, code: str, now: float) -> bool:
        """Mark ``code`` as presented; True only for the first presentation."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE codes SET used_at=? WHERE hash=? AND used_at IS NULL", (now, digest(code))
            )
            return cursor.rowcount == 1

    def link_code(self, code: str, grant_id: str) -> None:
        """Remember which grant ``code`` produced, to revoke it if the code comes back."""
        with self._transaction() as db:
            db.execute("UPDATE codes SET grant_id=? WHERE hash=?", (grant_id, digest(code)))

    def purge_expired_codes(self, now: float) -> None:
        with self._transaction() as db:
            # Keep used codes a while: a replay must still find them (RFC 6749 §4.1.2).
            db.execute("DELETE FROM codes WHERE expires_at < ?", (now - 3600,))
            db.execute("DELETE FROM device_codes WHERE expires_at < ?", (now - 3600,))

    # -- the connection, for the device-code and API modules ----------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (BEGIN IMMEDIATE ... COMMIT) under the store's lock."""
        with self._transaction() as db:
            yield db


def _grant(row: sqlite3.Row) -> Grant:
    return Grant(
        id=row["id"],
        user_id=row["user_id"],
        client_id=row["client_id"],
        scopes=_scopes(row["scopes"]),
        auth_time=row["auth_time"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
