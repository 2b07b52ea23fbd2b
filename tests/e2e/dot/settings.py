"""A Django site with django-oauth-toolkit as its OpenID provider, set up the way
its documentation's OIDC tutorial does (OIDC_ENABLED, an RSA signing key, the
``oauth2_provider`` URLs under ``/o/``, Django's own login page). Started by
tests/e2e/dot_provider.py with ``django-admin runserver``; the key, the database
path and the host come from the environment, as in a deployment.
"""

from __future__ import annotations

import os

BASE_URL_PREFIX = "o/"
SECRET_KEY = os.environ["DOT_DJANGO_SECRET_KEY"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "tests.e2e.dot.urls"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["DOT_DATABASE"]}
}
LOGIN_URL = "/accounts/login/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": os.environ["DOT_OIDC_RSA_PRIVATE_KEY"],
    "PKCE_REQUIRED": True,
    # Short-lived access tokens, so that `token` refreshes (it renews within 60 s).
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("DOT_ACCESS_TOKEN_SECONDS", "36000")),
    "SCOPES": {
        "openid": "OpenID Connect scope",
        "profile": "Your name",
        "email": "Your email address",
    },
    # The docs' way to put claims in the id_token and userinfo.
    "OAUTH2_VALIDATOR_CLASS": "tests.e2e.dot.validator.ClaimsValidator",
}
