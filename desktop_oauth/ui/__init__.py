"""Widgets. They talk to the controller only: never to the network, the keyring or files."""
