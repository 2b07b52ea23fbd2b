"""The Secret Service (GNOME Keyring, KWallet) over one D-Bus connection per process.

keyring's own Secret Service backend opens a new D-Bus connection and a new
encrypted session for every call, and finding it means first probing every
backend keyring knows (the macOS one runs ``ctypes.util.find_library``, which
spawns ldconfig). For a command such as ``desktop-oauth token`` that is most of
its time. On Linux with a session bus, and when the person has chosen no
backend themselves, the token store talks to the Secret Service directly,
through one connection and one session, with the same item attributes as
keyring's backend, so entries written by either are read by the other.

It speaks the D-Bus API with jeepney alone and opens a ``plain`` session: the
secrets cross the same-user session bus unencrypted, as the Secret Service
specification allows for programs that cannot keep their own memory from being
paged out; the DH session keyring uses needs the cryptography package, whose
import alone cost ``token`` about 40 ms (docs/security.md, "Why the Secret Service
session is plain").

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

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
#: The collection keyring's backend (through secretstorage) uses: the "default" alias.
DEFAULT_COLLECTION = "/org/freedesktop/secrets/aliases/default"
_INTERFACE = "org.freedesktop.Secret."
_NO_PROMPT = "/"
_MISSING = (
    "org.freedesktop.Secret.Error.NoSuchObject",
    "org.freedesktop.DBus.Error.UnknownObject",
    "org.freedesktop.DBus.Error.UnknownMethod",
)
_LOCKED = "org.freedesktop.Secret.Error.IsLocked"
#: Seconds to wait for the service's answer (a prompt waits for the person instead).
CALL_TIMEOUT = 30.0
#: Seconds to wait for the person to answer an unlock prompt. Without a bound, a
#: keyring locked where no prompt can be shown (an SSH session) would hang forever.
PROMPT_TIMEOUT = 60.0


class SecretServiceError(Exception):
    """A Secret Service call failed (the message names the cause, never a secret)."""


class SecretServiceLocked(SecretServiceError):
    """The collection is locked and unlocking was dismissed, or it cannot be opened."""


class NoSuchSecret(SecretServiceError):
    """Nothing is stored under that name."""


class _Refused(Exception):
    """A D-Bus error reply; ``name`` is the error's name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def completed_rule(prompt: str) -> Any:
    """The filter for the Completed signal of ``prompt`` as it reaches this process.

    A signal arrives with the sender's unique name (``:1.7``), never the well-known
    ``org.freedesktop.secrets``, and jeepney compares names literally: a rule naming
    the well-known name would never match, and the wait would never end. The prompt's
    object path is unique to this call.
    """
    from jeepney import MatchRule, MessageType

    return MatchRule(
        type=MessageType.signal,
        interface=_INTERFACE + "Prompt",
        member="Completed",
        path=prompt,
    )


class SecretServiceKeyring:
    """get/set/delete_password over one D-Bus connection, opened by :meth:`available`."""

    name = "Secret Service (D-Bus)"

    def __init__(self, *, prompt_timeout: float = PROMPT_TIMEOUT) -> None:
        self._lock = threading.Lock()
        self._connection: Any = None
        self._session = ""
        self._prompt_timeout = prompt_timeout

    def available(self) -> bool:
        """Open the connection and a session; False when no Secret Service answers
        (nor can be started) there."""
        try:
            self._open()
        except Exception:  # no bus, a refused bus, no service: keyring's own choice decides
            self._forget_connection()
            return False
        return True

    def _open(self) -> None:
        if self._connection is None:
            from jeepney.io.blocking import open_dbus_connection

            self._connection = open_dbus_connection(bus="SESSION")
            # The bus starts the service if it is activatable and not yet running.
            _output, self._session = self._call_raw(
                SERVICE_PATH, "Service", "OpenSession", "sv", "plain", ("s", "")
            )

    def _call_raw(self, path: str, interface: str, method: str, *args: Any) -> Any:
        """Call ``method`` of ``org.freedesktop.Secret.<interface>`` on ``path``."""
        from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call

        address = DBusAddress(path, bus_name=BUS_NAME, interface=_INTERFACE + interface)
        signature, body = (args[0], args[1:]) if args else (None, ())
        message = new_method_call(address, method, signature, body)
        reply = self._connection.send_and_get_reply(message, timeout=CALL_TIMEOUT)
        if reply.header.message_type == MessageType.error:
            raise _Refused(str(reply.header.fields.get(HeaderFields.error_name, "error")))
        return reply.body

    def _call(self, path: str, interface: str, method: str, *args: Any) -> Any:
        self._open()
        return self._call_raw(path, interface, method, *args)

    def _prompt(self, prompt: str) -> tuple[bool, Any]:
        """Show the service's prompt (unlock, confirm) and wait for the person:
        (dismissed, result).

        Raises:
            SecretServiceLocked: no answer within the prompt timeout (the prompt is
                dismissed: no prompter could be shown, or nobody answered).
        """
        if prompt == _NO_PROMPT:
            return False, None
        from jeepney import MatchRule, MessageType
        from jeepney.bus_messages import message_bus

        rule = completed_rule(prompt)
        connection = self._connection
        with connection.filter(rule) as signals:
            # The bus resolves the well-known name when it routes; locally the signal
            # carries the service's unique name, so the filter above names no sender.
            subscription = MatchRule(
                type=MessageType.signal,
                sender=BUS_NAME,
                interface=_INTERFACE + "Prompt",
                member="Completed",
                path=prompt,
            )
            connection.send_and_get_reply(message_bus.AddMatch(subscription), timeout=CALL_TIMEOUT)
            self._call(prompt, "Prompt", "Prompt", "s", "")
            try:
                answer = connection.recv_until_filtered(signals, timeout=self._prompt_timeout)
            except TimeoutError:
                with contextlib.suppress(Exception):
                    self._call(prompt, "Prompt", "Dismiss")
                raise SecretServiceLocked(
                    f"The keyring asked to be unlocked and had no answer within "
                    f"{self._prompt_timeout:g} seconds."
                ) from None
            dismissed, (_signature, result) = answer.body
        return bool(dismissed), result

    def _unlock(self, path: str) -> None:
        _unlocked, prompt = self._call(SERVICE_PATH, "Service", "Unlock", "ao", [path])
        dismissed, _result = self._prompt(prompt)
        if dismissed:
            raise SecretServiceLocked("Failed to unlock the collection!")

    def _ensure_default_collection(self) -> None:
        """Create the default collection when there is none (the service may ask)."""
        properties = {_INTERFACE + "Collection.Label": ("s", "Default")}
        path, prompt = self._call(
            SERVICE_PATH, "Service", "CreateCollection", "a{sv}s", properties, "default"
        )
        if path == _NO_PROMPT:
            dismissed, _result = self._prompt(prompt)
            if dismissed:
                raise SecretServiceLocked("Failed to create the default collection!")

    @contextlib.contextmanager
    def _calls(self) -> Iterator[None]:
        with self._lock:
            try:
                self._open()
                yield
            except SecretServiceError:
                raise
            except _Refused as exc:
                if exc.name == _LOCKED:
                    raise SecretServiceLocked("Failed to unlock the collection!") from None
                self._forget_connection()
                raise SecretServiceError(exc.name.rsplit(".", 1)[-1]) from None
            except Exception as exc:  # the bus went away, a timeout, a malformed reply
                self._forget_connection()
                raise SecretServiceError(type(exc).__name__) from None

    def close(self) -> None:
        """Close the D-Bus connection; the next call opens another."""
        with self._lock:
            self._forget_connection()

    def _forget_connection(self) -> None:
        """After a failure the next call opens a new connection (the daemon may have
        restarted while the window was open)."""
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
        self._connection = None
        self._session = ""

    def _items(self, service: str, username: str) -> list[str]:
        """The items stored for (service, username) in the default collection."""
        query = {"username": username, "service": service}
        try:
            (paths,) = self._call(DEFAULT_COLLECTION, "Collection", "SearchItems", "a{ss}", query)
        except _Refused as exc:
            if exc.name in _MISSING:  # no default collection: nothing stored yet
                return []
            raise
        return [str(path) for path in paths]

    def _secret_of(self, item: str) -> str | None:
        """The item's secret, unlocking once if it is locked; None if it vanished."""
        for attempt in range(2):
            try:
                (secret,) = self._call(item, "Item", "GetSecret", "o", self._session)
            except _Refused as exc:
                if exc.name in _MISSING:
                    return None  # deleted since the search (a concurrent replace)
                if exc.name != _LOCKED or attempt:
                    raise
                self._unlock(DEFAULT_COLLECTION)
                continue
            _session, _parameters, value, _content_type = secret
            return bytes(value).decode("utf-8")
        return None

    def get_password(self, service: str, username: str) -> str | None:
        """The secret stored for (service, username), or None."""
        with self._calls():
            for item in self._items(service, username):
                return self._secret_of(item)
            return None

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store ``password``, replacing what (service, username) held."""
        attributes = {"username": username, "service": service, "application": APPLICATION}
        properties = {
            _INTERFACE + "Item.Label": ("s", f"Password for '{username}' on '{service}'"),
            _INTERFACE + "Item.Attributes": ("a{ss}", attributes),
        }
        with self._calls():
            for attempt in range(3):
                secret = (self._session, b"", password.encode("utf-8"), "text/plain")
                try:
                    _item, prompt = self._call(
                        DEFAULT_COLLECTION,
                        "Collection",
                        "CreateItem",
                        "a{sv}(oayays)b",
                        properties,
                        secret,
                        True,
                    )
                except _Refused as exc:
                    if attempt == 2 or exc.name not in (_LOCKED, *_MISSING):
                        raise
                    if exc.name == _LOCKED:
                        self._unlock(DEFAULT_COLLECTION)
                    else:
                        self._ensure_default_collection()
                    continue
                if self._prompt(prompt)[0]:
                    raise SecretServiceLocked("Storing the secret was dismissed.")
                return

    def delete_password(self, service: str, username: str) -> None:
        """Delete the entry; NoSuchSecret when there is none."""
        with self._calls():
            for item in self._items(service, username):
                try:
                    (prompt,) = self._call(item, "Item", "Delete")
                except _Refused as exc:
                    if exc.name != _LOCKED:
                        raise
                    self._unlock(DEFAULT_COLLECTION)
                    (prompt,) = self._call(item, "Item", "Delete")
                if self._prompt(prompt)[0]:
                    raise SecretServiceLocked("Deleting the secret was dismissed.")
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
                import jeepney  # noqa: F401
            except ImportError:
                _shared.append(None)
            else:
                backend = SecretServiceKeyring()
                _shared.append(backend if backend.available() else None)
        return _shared[0]
