"""Which account states ask something of the person now (what ``accounts`` repeats
on stderr), and which the state alone says."""

from __future__ import annotations

from typing import Any

import pytest

from desktop_oauth.core.account_state import describe
from desktop_oauth.core.config import AccountRecord, AccountStatus, Revocation
from desktop_oauth.core.tokens import TokenSet

NOW = 1_800_000_000.0


def record(**fields: Any) -> AccountRecord:
    return AccountRecord("id", "op", "https://op.test", "u1", "U", **fields)


@pytest.mark.parametrize(
    ("fields", "tokens", "attention"),
    [
        ({}, TokenSet(access_token="a", expires_at=NOW + 600), False),
        ({}, TokenSet(access_token="a", refresh_token="r", expires_at=NOW - 1), False),
        ({}, TokenSet(access_token="a", expires_at=NOW - 1), True),
        ({}, None, True),
        ({"status": AccountStatus.NEEDS_SIGN_IN}, None, True),
        ({"status": AccountStatus.REVOCATION_PENDING}, None, True),
        ({"status": AccountStatus.REVOKED, "revocation": Revocation.VERIFIED}, None, False),
        ({"status": AccountStatus.REVOKED, "revocation": Revocation.CONFIRMED}, None, False),
        ({"status": AccountStatus.REVOKED, "revocation": Revocation.UNCONFIRMED}, None, True),
    ],
)
def test_only_what_the_person_must_act_on_needs_attention(
    fields: dict[str, Any], tokens: TokenSet | None, attention: bool
) -> None:
    summary = describe(record(**fields), NOW, tokens)
    assert summary.needs_attention is attention
    assert summary.detail or not attention  # a warning always has words
