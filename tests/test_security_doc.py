"""docs/security.md lists every requirement (a)1-30 and scenario (b)1-20 with a
test, and every test it names exists (so the table cannot rot silently)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")


def rows(prefix: str) -> dict[int, str]:
    found = re.findall(rf"^\| \({prefix}\)(\d+) \|(.*)$", DOC, re.M)
    return {int(number): rest for number, rest in found}


def test_every_requirement_and_scenario_has_a_row_with_a_test() -> None:
    requirements, scenarios = rows("a"), rows("b")
    assert sorted(requirements) == list(range(1, 31))
    assert sorted(scenarios) == list(range(1, 21))
    for number, row in {**requirements, **{100 + k: v for k, v in scenarios.items()}}.items():
        assert "::test_" in row, number


def test_every_named_test_exists() -> None:
    named = set(re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", DOC))
    assert len(named) > 60
    missing = [
        f"{path}::{name}"
        for path, name in sorted(named)
        if not re.search(rf"^def {name}\(", (ROOT / path).read_text(encoding="utf-8"), re.M)
    ]
    assert missing == []
