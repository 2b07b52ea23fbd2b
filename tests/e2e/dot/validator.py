"""The OAuth2Validator subclass django-oauth-toolkit's OIDC docs show for claims
("Customizing the OIDC responses"): email and name from the Django user."""

from __future__ import annotations

from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator


class ClaimsValidator(OAuth2Validator):  # type: ignore[misc]
    oidc_claim_scope = OAuth2Validator.oidc_claim_scope

    def get_additional_claims(self) -> dict[str, Any]:
        return {
            "email": lambda request: request.user.email,
            "name": lambda request: request.user.get_full_name() or request.user.username,
            "preferred_username": lambda request: request.user.username,
        }
