"""The fuzz of the sandbox reuses the sandbox tests' signing key (made once per run)."""

from __future__ import annotations

from tests.sandbox.conftest import signing_key_pem

__all__ = ["signing_key_pem"]
