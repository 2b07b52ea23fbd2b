"""`desktop-oauth token ACCOUNT` against the floor of reading the same keyring entries.

A script asks for a token many times; what it waits for is a whole process:
interpreter start, imports, finding the keyring, reading it, exit. This times
three commands, interleaved so that each sees the same machine noise:

  token     `desktop-oauth token ada@sandbox.test` (a valid token: no refresh)
  keyring   `python -c "import keyring; keyring.get_password(...)"` reading the
            entries the token store reads for that account (the floor for a
            Python program that uses keyring)
  secret-tool  `secret-tool lookup` of the same entry (libsecret, C)

and prints each one's median, min and max, and the ratio token / keyring (the
target: 0.6 or less). Run it in the test environment, which has a real Secret
Service:

    bash scripts/test --run .venv/bin/python benchmarks/token_command.py [--runs 21]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from desktop_oauth.core import config as config_file
from desktop_oauth.core.config import AccountRecord, Config
from desktop_oauth.core.profile import HOME_VARIABLE, Profile
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.core.tokens import TokenSet

ACCOUNT = "ada@sandbox.test"


def seed(home: Path) -> tuple[Profile, list[str]]:
    """An account with a valid token set of realistic size; the entries that hold it."""
    profile = Profile.from_environment({HOME_VARIABLE: str(home)})
    now = time.time()
    record = AccountRecord(
        id="acct-bench",
        provider="Sandbox (built in, no account needed)",
        issuer="http://127.0.0.1:1/",
        subject="ada",
        display_name=ACCOUNT,
        requested_scopes=("openid", "profile", "email", "offline_access"),
        granted_scopes=("openid", "profile", "email", "offline_access"),
        expires_at=now + 3600,
        has_refresh_token=True,
        connected_at=now,
        refreshed_at=now,
    )
    config_file.save(profile.config_path, Config(accounts=(record,)))
    tokens = TokenSet(
        access_token="a" * 43,
        refresh_token="r" * 43,
        id_token="h" * 36 + "." + "c" * 600 + "." + "s" * 342,  # an RS256 id_token's size
        expires_at=now + 3600,
        granted_scopes=record.granted_scopes,
        obtained_at=now,
    )
    TokenStore(profile.keyring_service).save(record.id, tokens)
    import keyring

    head = keyring.get_password(profile.keyring_service, record.id) or "{}"
    parsed = json.loads(head)
    entries = [record.id]
    if "gen" in parsed:  # the earlier format: a head and its parts
        entries += [f"{record.id}/{parsed['gen']}/{i}" for i in range(parsed["parts"])]
    return profile, entries


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"{command[0]} failed: {done.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="desktop-oauth-bench-"))
    profile, entries = seed(home)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env[HOME_VARIABLE] = str(home)
    python = sys.executable
    root = Path(__file__).resolve().parents[1]
    subprocess.run(  # noqa: S603
        [python, "-m", "compileall", "-q", str(root / "desktop_oauth")], check=True, env=env
    )
    reads = "; ".join(
        f"print(keyring.get_password({profile.keyring_service!r}, {name!r}) is not None)"
        for name in entries
    )
    commands = {
        "token": [str(Path(python).with_name("desktop-oauth")), "token", ACCOUNT],
        "keyring": [python, "-c", f"import keyring; {reads}"],
    }
    secret_tool = shutil.which("secret-tool")
    if secret_tool:
        commands["secret-tool"] = [
            secret_tool,
            "lookup",
            "service",
            profile.keyring_service,
            "username",
            entries[0],
        ]
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # one warm-up each
        timed(command, env)
    for _ in range(args.runs):
        for name, command in commands.items():
            samples[name].append(timed(command, env))
    print(f"{args.runs} runs each, interleaved; keyring entries read per token: {len(entries)}")
    for name, values in samples.items():
        print(
            f"{name:12s} median {statistics.median(values) * 1000:6.1f} ms  "
            f"(min {min(values) * 1000:6.1f}, max {max(values) * 1000:6.1f})"
        )
    ratios = [t / k for t, k in zip(samples["token"], samples["keyring"], strict=True)]
    print(
        f"ratio token / keyring, run by run: median {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f}); target 0.60 or less"
    )
    TokenStore(profile.keyring_service).delete("acct-bench")
    shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
