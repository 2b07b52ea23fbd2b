"""One exception family for the whole core.

Every message is written for a person reading it in the window or on a terminal,
and never contains a secret (code, state, verifier, token or claim value).
"""


class DesktopOAuthError(Exception):
    """Base class of every error the core raises on purpose."""


class ConfigurationError(DesktopOAuthError):
    """A provider or the app is configured in a way that cannot work."""


class InsecureURLError(ConfigurationError):
    """A URL uses plain http on a host that is not a loopback address."""


class DiscoveryError(DesktopOAuthError):
    """The provider's metadata could not be fetched or is not acceptable."""


class ProviderHTTPError(DesktopOAuthError):
    """The provider could not be reached or answered something unusable."""


class ReceiverError(DesktopOAuthError):
    """The loopback receiver could not start or stopped without a callback."""


class PortUnavailableError(ReceiverError):
    """The loopback port is held by another program."""


class FlowTimeoutError(ReceiverError):
    """No callback arrived before the deadline."""


class FlowCancelledError(ReceiverError):
    """The person (or the app closing) cancelled the pending connection."""


class AuthorizationDeniedError(DesktopOAuthError):
    """The provider redirected back with an ``error`` (for instance access_denied)."""

    def __init__(self, error: str, description: str = "", hint: str = "") -> None:
        self.error = error
        self.description = description
        if error == "access_denied":
            message = "You declined the request at the provider, so nothing was connected."
        else:
            message = f"The provider refused the request ({error})."
        if description:
            message += f" It said: {description}"
        if hint:
            message += f" {hint}"
        super().__init__(message)


class IssuerMismatchError(DesktopOAuthError):
    """An ``iss`` value (metadata, authorization response or id_token) is not the expected one."""


class TokenError(DesktopOAuthError):
    """The token endpoint refused the request or answered something unusable.

    Attributes:
        error: The OAuth error code the provider sent (RFC 6749 §5.2), if any.
    """

    def __init__(self, message: str, error: str | None = None) -> None:
        super().__init__(message)
        self.error = error


class InvalidGrantError(TokenError):
    """The code or refresh token is no longer valid: the person must sign in again."""


class IdTokenError(TokenError):
    """The id_token failed a check; the message names the check."""


class TokenStoreError(DesktopOAuthError):
    """The keyring could not store or read tokens."""


class RevocationError(DesktopOAuthError):
    """The provider did not confirm the revocation (local tokens are deleted anyway).

    Attributes:
        retryable: The provider could not be reached or answered 5xx/429, so
            trying again later may work (RFC 7009 §2.2.1).
    """

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class DifferentPersonError(DesktopOAuthError):
    """Signing in again for an account brought back another person: nothing changed.

    Attributes:
        signed_in: Who signed in (their display name; provider text: show it as text).
        result: The connection, for a caller that offers to add that person as a new
            account (``AccountService.save_connection(result)``).
    """

    def __init__(self, signed_in: str, expected: str, result: object) -> None:
        self.signed_in = signed_in
        self.result = result
        super().__init__(
            f"You signed in as {signed_in}, not as {expected}; {expected} was left "
            "unchanged. Sign in as them, or add the other person as a new account."
        )
