"""desktop-oauth: connect OAuth 2.0 / OpenID Connect accounts from the desktop."""

APP_ID = "io.github.desktop_oauth.DesktopOAuth"
APP_NAME = "desktop-oauth"
__version__ = "0.1.0"
