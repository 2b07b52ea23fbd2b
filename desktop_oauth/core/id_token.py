"""Checking an id_token's signature against the provider's published keys.

The claims themselves are checked by :func:`desktop_oauth.core.tokens.check_id_token_claims`,
which names the failed check in words; this module answers one question: did
the provider sign this token (OIDC Core §3.1.3.7 item 6, RFC 8725 §2.1)?
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any

from .errors import IdTokenError, ProviderHTTPError
from .http import json_object, send

if TYPE_CHECKING:
    import jwt
    import requests

#: Asymmetric algorithms only: a symmetric "HS256" token verified with a public
#: key as the secret is the classic algorithm-confusion attack (RFC 8725 §2.1).
ALLOWED_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)


#: RFC 7518 §3.1 / RFC 8037 §3.1: the key type each algorithm needs.
_KEY_TYPE = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}


class KeySet:
    """The provider's signing keys, fetched from ``jwks_uri`` on first use.

    An unknown ``kid`` triggers one refetch, so a provider that rotated its keys
    is followed without a restart (OIDC Core §10.1.1). Keys without ``kid`` are
    all kept: a token that names no key is tried against each that fits
    (OIDC Core §10.1: ``kid`` is required only to tell keys apart, and many
    providers publish several keys without it).
    """

    def __init__(self, session: requests.Session, jwks_uri: str) -> None:
        self._session = session
        self._uri = jwks_uri
        self._lock = threading.Lock()
        self._keys: list[dict[str, Any]] | None = None

    def prefetch(self) -> None:
        """Load the JOSE code and fetch the keys now, while nothing waits on them.

        A connection calls this while the person is still in the browser, so that
        the id_token check after the redirect neither fetches nor imports. A failure
        is not reported here: the keys are fetched again when first needed, and
        that failure is the one the person hears about.
        """
        import jwt  # noqa: F401 (with cryptography: the slow part of the first check)

        with contextlib.suppress(Exception), self._lock:
            if self._keys is None:
                self._keys = self._fetch()

    def key_for(self, kid: str | None, alg: str) -> jwt.PyJWK:
        """The key with ``kid`` (the first that fits when the token names none), for ``alg``.

        A published key names its algorithm only optionally (RFC 7517 §4.4): one
        that does must be used with that algorithm alone (RFC 8725 §3.1); one
        that does not is used with the token's, which is asymmetric (checked
        by the caller).
        """
        return self.candidates(kid, alg)[0]

    def candidates(self, kid: str | None, alg: str, *, refetch: bool = False) -> list[jwt.PyJWK]:
        """Every key that may have signed a token with ``kid`` and ``alg``.

        With ``kid``: the key of that id (refetched once when unknown). Without:
        every key whose ``kty``, ``alg`` and ``use`` fit ``alg``.

        Raises:
            IdTokenError: no key fits.
        """
        import jwt  # with cryptography: loaded when a signature is first checked

        with self._lock:
            if self._keys is None or refetch or (kid is not None and not self._has(kid)):
                self._keys = self._fetch()
            keys = list(self._keys)
        entries = [e for e in keys if e.get("kid") == kid] if kid is not None else []
        if kid is not None and not entries and not any("kid" in e for e in keys):
            # A key set that names no key at all (many gateways strip kid): the
            # token's kid cannot be matched, so every fitting key is tried below.
            kid = None
        if kid is not None:
            if not entries:
                raise IdTokenError(
                    "The id_token was signed with a key the provider does not publish "
                    "(signature check failed)."
                )
            declared = entries[0].get("alg")
            if declared is not None and declared != alg:
                raise IdTokenError(
                    f"The id_token uses {alg}, but its key is published for {declared} "
                    "(signature check failed)."
                )
        else:
            kty = _KEY_TYPE.get(alg[:2])
            entries = [e for e in keys if e.get("kty") == kty and e.get("alg") in (None, alg)]
            if not entries:
                raise IdTokenError(
                    f"The id_token names no key (no kid), and the provider publishes no "
                    f"{kty} key for {alg} (signature check failed)."
                )
        usable = []
        for entry in entries:
            try:
                usable.append(jwt.PyJWK(entry, algorithm=alg))
            except (jwt.PyJWKError, jwt.InvalidKeyError):
                continue
        if not usable:
            raise IdTokenError(
                f"The id_token's key cannot be used with {alg} (signature check failed)."
            )
        return usable

    def _has(self, kid: str) -> bool:
        return any(e.get("kid") == kid for e in self._keys or ())

    def _fetch(self) -> list[dict[str, Any]]:
        import jwt

        try:
            response = send(self._session, "GET", self._uri, "key set (jwks_uri)")
            data = json_object(response, "key set (jwks_uri)")
        except ProviderHTTPError as exc:
            raise IdTokenError(f"The provider's signing keys could not be read: {exc}") from None
        keys: list[dict[str, Any]] = []
        for entry in data.get("keys") or []:
            if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
                continue
            try:
                jwt.PyJWK(entry)
            except (jwt.PyJWKError, jwt.InvalidKeyError):
                continue  # a key type this app cannot use; others may still do
            if not isinstance(entry.get("kid"), str):
                entry = {k: v for k, v in entry.items() if k != "kid"}
            keys.append(entry)
        return keys


def verify_signature(id_token: str, keys: KeySet) -> dict[str, Any]:
    """Verify the id_token's signature and return its claims (not yet checked).

    Raises:
        IdTokenError: unsigned, unexpected algorithm, unknown key, or bad signature.
    """
    import jwt

    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.DecodeError:
        raise IdTokenError("The id_token is not valid base64url-encoded JSON.") from None
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        raise IdTokenError("The id_token is unsigned (alg: none); it is refused.")
    if alg not in ALLOWED_ALGORITHMS:
        raise IdTokenError(f"The id_token uses the algorithm {alg}, which this app refuses.")
    kid = header.get("kid")
    kid = kid if isinstance(kid, str) else None
    candidates = keys.candidates(kid, alg)
    for refetched in (False, True):
        for key in candidates:
            try:
                return _decode(id_token, key, alg)
            except jwt.InvalidSignatureError:
                continue
        if kid is not None or refetched:
            break
        # No kid and no key verifies: the provider may have rotated (OIDC Core §10.1.1).
        candidates = keys.candidates(kid, alg, refetch=True)
    if len(candidates) > 1:
        raise IdTokenError(
            f"The id_token names no key the provider publishes by id (no kid), and none of "
            f"its {len(candidates)} {alg} keys verifies the signature (signature check failed)."
        )
    raise IdTokenError(
        "The id_token's signature does not match the provider's key (signature check failed)."
    )


def _decode(id_token: str, key: jwt.PyJWK, alg: str) -> dict[str, Any]:
    """The claims, once ``key`` verifies the signature; nothing else is checked here."""
    import jwt

    try:
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key=key,
            algorithms=[alg],
            # The claims get their own checks, with messages a person understands.
            options={
                "verify_signature": True,
                "verify_aud": False,
                "verify_iss": False,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.InvalidSignatureError:
        raise
    except jwt.PyJWTError as exc:
        raise IdTokenError(f"The id_token could not be verified ({type(exc).__name__}).") from None
    return claims
