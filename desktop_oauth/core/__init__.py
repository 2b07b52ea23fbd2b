"""The Qt-free core: discovery, the authorization flow, the loopback receiver,
the token exchange, token storage, revocation and API calls.

Nothing in this package imports PySide6; ``tests/core/test_layers.py`` checks it.
"""
