"""Local stand-ins for provider APIs that cannot be reached from the test machine.

Each one is a real HTTP server on 127.0.0.1 that follows the provider's
documented request and response shapes (cited in its docstring) and records
every request it receives, so tests can check what the app sent.
"""
