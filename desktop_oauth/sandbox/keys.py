"""The sandbox's id_token signing key: made once per profile, kept in the profile folder.

The private key is a PEM file readable by its owner only (mode 0600). Its key
id (``kid``) is the RFC 7638 thumbprint of the public key, so it is the same
after every restart and a client can pick the key from the JWKS by it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from ..core.files import write_atomically
from .errors import SandboxError

ALGORITHM = "RS256"
_KEY_BITS = 2048


class SigningKey:
    """An RSA key pair that signs id_tokens (RS256) and publishes itself as a JWKS."""

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self._private_key = private_key
        self._public_jwk: dict[str, Any] = dict(
            RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        )
        self.kid = _thumbprint(self._public_jwk)
        self._public_jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """Read the key at ``path``, or make one and store it there (mode 0600).

        Raises:
            SandboxError: the file exists but is not a usable RSA private key.
        """
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return cls._create(path)
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            raise SandboxError(
                f"The sandbox's signing key in {path} is damaged. Delete the file to make a "
                "new one (accounts connected to the sandbox will need to sign in again)."
            ) from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SandboxError(f"The sandbox's signing key in {path} is not an RSA key.")
        # Tighten permissions left wider by a copy or an archive tool.
        if stat.S_IMODE(path.stat().st_mode) & 0o077 and os.name == "posix":
            path.chmod(0o600)
        return cls(key)

    @classmethod
    def _create(cls, path: Path) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=_KEY_BITS)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # 0600 from the first byte, renamed into place: a crash leaves no half key.
        write_atomically(path, pem)
        return cls(key)

    def jwks(self) -> dict[str, Any]:
        """The public JSON Web Key Set (RFC 7517 §5)."""
        return {"keys": [dict(self._public_jwk)]}

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of ``claims``, signed RS256 with ``kid`` in the header."""
        return jwt.encode(claims, self._private_key, algorithm=ALGORITHM, headers={"kid": self.kid})


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 §3: SHA-256 over the required members, sorted, without whitespace."""
    members = {name: jwk[name] for name in ("e", "kty", "n")}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode()
    digest = hashlib.sha256(canonical).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
