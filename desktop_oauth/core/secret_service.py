"""The Secret Service (GNOME Keyring, KWallet) over one D-Bus connection per process.

keyring's own Secret Service backend opens a new D-Bus connection and a new
encrypted session for every call, and finding it means first probing every
backend keyring knows (the macOS one runs ``ctypes.util.find_library``, which
spawns ldconfig). For a command such as ``desktop-oauth token`` that is most of
its time. On Linux with a session bus, and when the person has chosen no
backend themselves, the token store talks to the Secret Service directly,
through one connection and one session, with the same item attributes as
keyring's backend, so entries written by either are read by the other.

Errors are this module's own (importing keyring costs a command like ``token``
more than reading the secret); :mod:`token_store` maps both families to messages.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import Any

#: The attributes keyring's Secret Service backend gives an item (scheme "default").
APPLICATION = "Python keyring library"


class SecretServiceError(Exception):
    """A Secret Service call failed (the message names the cause, never a secret)."""


class SecretServiceLocked(SecretServiceError):
    """The collection is locked and unlocking was dismissed, or it cannot be opened."""


class NoSuchSecret(SecretServiceError):
    """Nothing is stored under that name."""


class SecretServiceKeyring:
    """get/set/delete_password over one D-Bus connection, opened by :meth:`available`."""

    name = "Secret Service (D-Bus)"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connection: Any = None
        self._collection: Any = None

    def available(self) -> bool:
        """Open the connection and ask whether a Secret Service runs or can be started."""
        import secretstorage

        try:
            self._connection = secretstorage.dbus_init()
            if secretstorage.check_service_availability(self._connection):
                return True
        except Exception:  # no bus, a refused bus: keyring's own choice decides
            return False
        self._connection.close()
        self._connection = None
        return False

    def _default_collection(self) -> Any:
        """The unlocked default collection; the connection and session are kept."""
        import secretstorage

        if self._collection is None:
            try:
                connection = self._connection or secretstorage.dbus_init()
                self._connection = connection
                session = secretstorage.util.open_session(connection)
                self._collection = secretstorage.get_default_collection(connection, session)
            except Exception as exc:
                self._forget_connection()
                raise SecretServiceLocked(f"Failed to open the collection: {exc}.") from None
        collection = self._collection
        if collection.is_locked():
            collection.unlock()
            if collection.is_locked():  # the person dismissed the prompt
                raise SecretServiceLocked("Failed to unlock the collection!")
        return collection

    def _forget_connection(self) -> None:
        """After a failure the next call opens a new connection (the daemon may have
        restarted while the window was open)."""
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
        self._connection = None
        self._collection = None

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        with self._lock:
            try:
                yield
            except SecretServiceError:
                raise
            except Exception as exc:  # jeepney / secretstorage: a D-Bus error
                self._forget_connection()
                raise SecretServiceError(type(exc).__name__) from None

    def _items(self, service: str, username: str) -> list[Any]:
        query = {"username": username, "service": service}
        return list(self._default_collection().search_items(query))

    def get_password(self, service: str, username: str) -> str | None:
        """The secret stored for (service, username), or None."""
        with self._call():
            for item in self._items(service, username):
                if item.is_locked():
                    item.unlock()
                    if item.is_locked():
                        raise SecretServiceLocked("Failed to unlock the item!")
                return str(item.get_secret().decode("utf-8"))
            return None

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store ``password``, replacing what (service, username) held."""
        with self._call():
            attributes = {"username": username, "service": service, "application": APPLICATION}
            label = f"Password for '{username}' on '{service}'"
            self._default_collection().create_item(label, attributes, password, replace=True)

    def delete_password(self, service: str, username: str) -> None:
        """Delete the entry; NoSuchSecret when there is none."""
        with self._call():
            for item in self._items(service, username):
                item.delete()
                return
            raise NoSuchSecret("No such password!")


def chosen_by_person(environ: Mapping[str, str]) -> bool:
    """Whether a keyring backend was chosen by environment or keyring's config file."""
    if environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    # keyring's config folder on Linux (keyring.util.platform_), without importing keyring.
    base = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.exists(os.path.join(base, "python_keyring", "keyringrc.cfg"))


_shared: list[SecretServiceKeyring | None] = []
_shared_lock = threading.Lock()


def direct_backend(environ: Mapping[str, str] = os.environ) -> SecretServiceKeyring | None:
    """The process's direct Secret Service backend where it applies, else None (then
    keyring's own choice is used).

    It applies on Linux (and the BSDs) with a session bus, when the person chose no
    backend, and when a Secret Service runs or can be started there. The backend and
    its connection are made once and shared by every store of the process.
    """
    if sys.platform in ("win32", "darwin") or not environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return None
    if chosen_by_person(environ):
        return None
    with _shared_lock:
        if not _shared:
            try:
                import secretstorage  # noqa: F401
            except ImportError:
                _shared.append(None)
            else:
                backend = SecretServiceKeyring()
                _shared.append(backend if backend.available() else None)
        return _shared[0]
