"""Tokens in the OS keyring, and nowhere else (docs/security.md (a)25-26).

Entries are namespaced per profile folder, so two profiles never see each
other's tokens. Where the keyring has no size limit (Secret Service, macOS
Keychain) a token set is one entry, so an update is one atomic write and a read
one lookup. Windows Credential Manager keeps about 1,280 characters per entry:
there a token set is split into parts, written under a new generation before
the head entry points at them, so a failed write leaves the previous tokens
readable. Heads of either form are read, whichever backend wrote them.

With no usable keyring (keyring's ``fail`` backend, an empty chainer, or a
plaintext backend from keyrings.alt) the store keeps tokens in memory for this
session only and says so; it never writes a token to disk itself.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import threading
from typing import TYPE_CHECKING, Any

from .errors import TokenError, TokenStoreError
from .secret_service import NoSuchSecret, SecretServiceError, SecretServiceKeyring
from .secret_service import SecretServiceLocked as _Locked
from .tokens import TokenSet

if TYPE_CHECKING:
    import keyring.backend

log = logging.getLogger(__name__)

#: Characters per keyring entry; below Windows' limit of about 1,280 UTF-16 characters.
PART_SIZE = 1000


def has_size_limit(backend: Any) -> bool:
    """Whether ``backend`` (or one it chains) is Windows' Credential Manager."""
    if type(backend).__module__ == "keyring.backends.chainer":
        return any(has_size_limit(b) for b in getattr(backend, "backends", []))
    return type(backend).__module__.startswith("keyring.backends.Windows")


def default_backend() -> Any:
    """The Secret Service directly where that applies, else the one keyring selects."""
    from .secret_service import direct_backend

    direct = direct_backend()
    if direct is not None:
        return direct
    import keyring  # its backend detection runs only where the direct path does not apply

    return keyring.get_keyring()


def _error_types(backend: Any) -> tuple[type[Exception], type[Exception]]:
    """(any failure, "nothing stored there") as ``backend`` raises them."""
    if isinstance(backend, SecretServiceKeyring):
        return SecretServiceError, NoSuchSecret
    import keyring.errors

    return keyring.errors.KeyringError, keyring.errors.PasswordDeleteError


def is_usable(backend: Any) -> bool:
    """Whether ``backend`` keeps secrets encrypted by the operating system."""
    module = type(backend).__module__
    if module.startswith("keyrings.alt") or module == "keyring.backends.fail":
        return False
    if module == "keyring.backends.null":
        return False
    if module == "keyring.backends.chainer":
        return any(is_usable(b) for b in getattr(backend, "backends", []))
    return True


class TokenStore:
    """Reads and writes :class:`TokenSet` objects by account id.

    Args:
        namespace: The keyring service name for this profile.
        backend: A keyring backend; by default :func:`default_backend`.
        part_size: Characters per entry; by default unlimited unless the backend
            has a size limit (then :data:`PART_SIZE`).
    """

    def __init__(
        self,
        namespace: str,
        backend: keyring.backend.KeyringBackend | None = None,
        *,
        part_size: int | None = None,
    ):
        self._namespace = namespace
        self._backend = backend if backend is not None else default_backend()
        if part_size is None and has_size_limit(self._backend):
            part_size = PART_SIZE
        self._part_size = part_size
        self._failure, self._missing = _error_types(self._backend)
        self._lock = threading.Lock()
        #: Tokens that could not be written to the keyring, held for this session.
        self._unsaved: dict[str, TokenSet] = {}
        self.persistent = is_usable(self._backend)
        if not self.persistent:
            log.warning(
                "No secure keyring (%s); tokens kept for this session only.",
                type(self._backend).__module__,
            )

    @property
    def backend_name(self) -> str:
        """A human name for the keyring in use."""
        return str(getattr(self._backend, "name", type(self._backend).__name__))

    def save(self, account_id: str, tokens: TokenSet) -> None:
        """Store ``tokens`` for ``account_id``, replacing earlier ones.

        Raises:
            TokenStoreError: the keyring refused (locked, full, gone); the
                previously stored tokens are still there.
        """
        with self._lock:
            if not self.persistent:
                self._unsaved[account_id] = tokens
                return
            text = tokens.to_json()
            if self._part_size is None:
                self._save_whole(account_id, tokens, text)
                return
            size = self._part_size
            generation = secrets.token_hex(4)
            parts = [text[i : i + size] for i in range(0, len(text), size)]
            old_head: tuple[str, int] | None = None
            try:
                # Inside the try: a keyring that is gone or locked already fails
                # here, and must keep the tokens for the session too (docs/security.md (b)19).
                old_head = self._read_head(account_id)
                for index, part in enumerate(parts):
                    self._backend.set_password(
                        self._namespace, _part_name(account_id, generation, index), part
                    )
                head = json.dumps({"v": 1, "gen": generation, "parts": len(parts)})
                self._backend.set_password(self._namespace, account_id, head)
            except self._failure as exc:
                # Keep the new tokens usable for this session (a rotated refresh
                # token must not be lost, docs/security.md (a)23) and leave the old ones.
                self._unsaved[account_id] = tokens
                with contextlib.suppress(self._failure):
                    self._delete_parts(account_id, generation, len(parts))
                raise TokenStoreError(_explain(exc, "save the tokens")) from None
            self._unsaved.pop(account_id, None)
            if old_head is not None and old_head[1]:
                self._delete_parts(account_id, old_head[0], old_head[1])

    def _save_whole(self, account_id: str, tokens: TokenSet, text: str) -> None:
        """One entry holds the whole set: a single write replaces it atomically."""
        try:
            old = self._backend.get_password(self._namespace, account_id)
            head = json.dumps({"v": 2, "tokens": text})
            self._backend.set_password(self._namespace, account_id, head)
        except self._failure as exc:
            self._unsaved[account_id] = tokens  # a rotated refresh token must not be lost
            raise TokenStoreError(_explain(exc, "save the tokens")) from None
        self._unsaved.pop(account_id, None)
        earlier = _parts_of(old)
        if earlier is not None and earlier[1]:  # tokens written in parts before
            with contextlib.suppress(self._failure):
                self._delete_parts(account_id, earlier[0], earlier[1])

    def load(self, account_id: str) -> TokenSet | None:
        """The stored tokens of ``account_id``, or None when there are none.

        Raises:
            TokenStoreError: the keyring could not be read, or holds a damaged entry.
        """
        with self._lock:
            if account_id in self._unsaved:
                return self._unsaved[account_id]
            if not self.persistent:
                return None
            chunks = self._read_parts(account_id)
            if chunks is None:
                return None
            try:
                tokens = TokenSet.from_json("".join(chunks))
            except TokenError as exc:
                raise TokenStoreError(str(exc)) from None
            return tokens

    def delete(self, account_id: str) -> None:
        """Forget the tokens of ``account_id`` (memory and keyring)."""
        with self._lock:
            self._unsaved.pop(account_id, None)
            if not self.persistent:
                return
            try:
                head = self._read_head(account_id)
                if head is not None:
                    self._delete_parts(account_id, head[0], head[1])
                self._delete(account_id)
            except self._failure as exc:
                raise TokenStoreError(_explain(exc, "delete the tokens")) from None

    # -- client secrets, one keyring entry per provider ----------------------------
    def save_client_secret(self, provider: str, value: str) -> None:
        """Keep the client secret of ``provider`` under ``client-secret:<provider>``.

        Raises:
            TokenStoreError: no secure keyring (nothing is kept), or it refused.
        """
        if not self.persistent:
            raise TokenStoreError(
                "No secure keyring is available, so the client secret cannot be kept. "
                "Nothing was saved."
            )
        try:
            self._backend.set_password(self._namespace, f"client-secret:{provider}", value)
        except self._failure as exc:
            raise TokenStoreError(_explain(exc, "store the client secret")) from None

    def load_client_secret(self, provider: str) -> str | None:
        """The client secret of ``provider``, or None."""
        if not self.persistent:
            return None
        try:
            value = self._backend.get_password(self._namespace, f"client-secret:{provider}")
        except self._failure as exc:
            raise TokenStoreError(_explain(exc, "read the client secret")) from None
        return value if isinstance(value, str) and value else None

    def delete_client_secret(self, provider: str) -> None:
        """Forget the client secret of ``provider`` (no error when there is none)."""
        if not self.persistent:
            return
        try:
            self._delete(f"client-secret:{provider}")
        except self._failure as exc:
            raise TokenStoreError(_explain(exc, "delete the client secret")) from None

    def _read_parts(self, account_id: str, attempts: int = 3) -> list[str] | None:
        """The parts of the current generation, or None when nothing is stored.

        Another process may replace the tokens while this one reads them (a
        refresh writes a new generation, then deletes the old one): a part that
        vanishes means "read the head again", not "the entry is damaged".
        """
        for _ in range(attempts):
            try:
                raw = self._backend.get_password(self._namespace, account_id)
                if raw is None:
                    return None
                whole = _whole_of(raw)
                if whole is not None:
                    return [whole]
                head = _parts_of(raw)
                assert head is not None
                generation, count = head
                chunks = [
                    self._backend.get_password(
                        self._namespace, _part_name(account_id, generation, index)
                    )
                    for index in range(count)
                ]
            except self._failure as exc:
                raise TokenStoreError(_explain(exc, "read the tokens")) from None
            except Exception as exc:  # e.g. secretstorage's ItemNotFoundException mid-replace
                log.debug(
                    "Reading the keyring raced with a write (%s); reading again.",
                    type(exc).__name__,
                )
                continue
            if all(isinstance(chunk, str) for chunk in chunks):
                return [str(chunk) for chunk in chunks]
        raise TokenStoreError("The stored tokens are incomplete in the keyring; sign in again.")

    def _read_head(self, account_id: str) -> tuple[str, int] | None:
        """The generation and part count of the entry (0 parts: a whole entry)."""
        return _parts_of(self._backend.get_password(self._namespace, account_id))

    def _delete_parts(self, account_id: str, generation: str, count: int) -> None:
        for index in range(count):
            self._delete(_part_name(account_id, generation, index))

    def _delete(self, username: str) -> None:
        with contextlib.suppress(self._missing):  # already gone
            self._backend.delete_password(self._namespace, username)


def _head(raw: str) -> dict[str, Any]:
    try:
        head = json.loads(raw)
        if not isinstance(head, dict):
            raise TypeError
        return head
    except (ValueError, TypeError):
        raise TokenStoreError(
            "The keyring holds a damaged entry for this account; sign in again."
        ) from None


def _whole_of(raw: str) -> str | None:
    """The token set held in the head itself (format 2), or None for a parts head."""
    head = _head(raw)
    whole = head.get("tokens")
    if head.get("v") == 2 and isinstance(whole, str):
        return whole
    return None


def _parts_of(raw: str | None) -> tuple[str, int] | None:
    """(generation, part count) of a parts head; ("", 0) for a whole entry; None if absent."""
    if raw is None:
        return None
    if _whole_of(raw) is not None:
        return "", 0
    head = _head(raw)
    try:
        return str(head["gen"]), int(head["parts"])
    except (KeyError, TypeError, ValueError):
        raise TokenStoreError(
            "The keyring holds a damaged entry for this account; sign in again."
        ) from None


def _part_name(account_id: str, generation: str, index: int) -> str:
    return f"{account_id}/{generation}/{index}"


def _explain(exc: Exception, action: str) -> str:
    import keyring.errors  # a failure path: the import cost does not matter here

    if isinstance(exc, _Locked | keyring.errors.KeyringLocked | keyring.errors.InitError):
        return f"The keyring is locked, so the app could not {action}. Unlock it and try again."
    if isinstance(exc, keyring.errors.NoKeyringError):
        return f"No keyring is available, so the app could not {action}."
    # The class name helps whoever reads the log, not the person reading the message.
    log.warning("the keyring refused to %s (%s)", action, type(exc).__name__)
    return f"The keyring refused to {action}. The log file has the details."
