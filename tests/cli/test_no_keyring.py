"""What the command line says where no keyring can be reached: a sentence for the
person, never the name of a keyring backend class."""

from __future__ import annotations

from pathlib import Path

import keyring.backends.fail
import pytest

from .runner import Cli

NO_KEYRING = {
    # the person chose keyring's "fail" backend
    "chosen": {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    # no D-Bus session, so no Secret Service (an SSH login, a container)
    "no session bus": {"DBUS_SESSION_BUS_ADDRESS": ""},
}


@pytest.mark.parametrize("why", NO_KEYRING)
def test_connect_without_a_keyring_says_what_happened_and_what_to_do(
    tmp_path: Path, why: str
) -> None:
    cli = Cli(tmp_path / "home", env=NO_KEYRING[why])
    refused = cli.run("connect", "sandbox", "--no-browser")
    assert refused.returncode == 1, str(refused)
    assert refused.stdout == ""
    line = refused.error_line
    assert line == (
        "desktop-oauth: No secure keyring can be reached, so desktop-oauth cannot keep "
        "the account's tokens. It keeps tokens and client secrets only in the system "
        "keyring, never in a file: nothing was changed, and what was saved earlier stays "
        "in the keyring. Start or unlock your keyring (GNOME Keyring, KWallet, macOS "
        "Keychain or Windows Credential Manager), then try again."
    )
    assert keyring.backends.fail.Keyring.name not in line  # "fail Keyring"
    assert cli.accounts() == ()
