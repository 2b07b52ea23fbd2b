"""``desktop-oauth history ACCOUNT [--json]``: what happened to an account, oldest first."""

from __future__ import annotations

import argparse

from ..core.lookup import AmbiguousAccountError
from .accounts import find
from .console import Console
from .service import open_service


def history(args: argparse.Namespace, console: Console) -> int:
    """Print the account's history: a table in local time, or a JSON list.

    A name several connected accounts share lists them (exit 1), as every command does;
    a name nobody has, connected or removed, is one line on stderr (exit 1).
    """
    service = open_service(console)
    try:
        kept = service.history_for(args.account)
    except AmbiguousAccountError:
        find(service, args.account)  # raises with the candidates named
        raise
    if args.json:
        console.json([entry.to_json() for entry in kept.entries])
        return 0
    name = kept.name or kept.account_id
    if not kept.entries:
        console.print(f"Nothing is recorded for {name} yet.")
        return 0
    console.print(f"{name} ({kept.provider or 'provider unknown'}), oldest first:")
    console.table(
        ("TIME", "EVENT", "DETAIL"),
        [(e.local_time, e.kind.label, e.detail) for e in kept.entries],
    )
    return 0
