"""What the confirmations say matches what Remove will do to each kind of account."""

from __future__ import annotations

from desktop_oauth.core.config import AccountRecord, AccountStatus
from desktop_oauth.ui.confirm import remove_text


def record(status: AccountStatus) -> AccountRecord:
    return AccountRecord(
        id="a1", provider="sandbox", issuer="http://127.0.0.1:1", subject="s",
        display_name="Ada", status=status,
    )  # fmt: skip


def test_remove_says_what_happens_at_the_provider_for_each_status() -> None:
    assert "first revokes" in remove_text(record(AccountStatus.CONNECTED))
    pending = remove_text(record(AccountStatus.REVOCATION_PENDING))
    assert "tries once more" in pending and "already taken back" not in pending
    assert "already taken back" in remove_text(record(AccountStatus.REVOKED))
