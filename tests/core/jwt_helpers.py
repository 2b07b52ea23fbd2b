"""Building JWT-shaped strings for claim checks (the signature part is opaque here)."""

from __future__ import annotations

import base64
import json


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def make_jwt(claims: dict[str, object], alg: str = "RS256") -> str:
    return f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(claims)}.c2lnbmF0dXJl"
