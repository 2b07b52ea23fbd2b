"""Comments cite RFC sections or documents in this repository: each
"docs/security.md (a)N" names a row of that table, and no comment points at a
document the repository does not hold."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    path
    for folder in ("desktop_oauth", "tests", "scripts", "benchmarks")
    for path in sorted((ROOT / folder).rglob("*"))
    if path.is_file()
    and (path.suffix == ".py" or folder == "scripts")
    and "node_modules" not in path.parts
]
# Spelled in pieces, so that this file does not match itself.
UNRESOLVED = re.compile("SECURITY" + r" \([abc]\)|" + "FAC" + "TS|" + "shared/" + r"[A-Z]+\.md")
CITATION = re.compile(r"docs/security\.md \(([ab])\)(\d+(?:-\d+)?(?:, \d+(?:-\d+)?)*)")


def test_no_comment_cites_a_document_outside_the_repository() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in SOURCES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if UNRESOLVED.search(line)
    ]
    assert found == []


def test_every_security_citation_names_a_row_of_docs_security_md() -> None:
    rows = set(re.findall(r"^\| \(([ab])\)(\d+) \|", (ROOT / "docs/security.md").read_text(), re.M))
    cited: set[tuple[str, str]] = set()
    for path in SOURCES:
        for part, numbers in CITATION.findall(path.read_text(encoding="utf-8")):
            for item in numbers.split(", "):
                first, _, last = item.partition("-")
                for n in range(int(first), int(last or first) + 1):
                    cited.add((part, str(n)))
    assert len(cited) > 20
    assert sorted(cited - rows) == []
