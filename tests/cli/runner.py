"""Running ``python -m desktop_oauth ...`` as a subprocess on a profile folder of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from desktop_oauth.core.config import AccountRecord
from desktop_oauth.core.config import load as load_config
from desktop_oauth.core.profile import HOME_VARIABLE, Profile
from desktop_oauth.core.token_store import TokenStore
from desktop_oauth.core.tokens import TokenSet
from tests.e2e.conftest import BrowserPlan

REPO = Path(__file__).resolve().parents[2]
PYTHON = os.environ.get("DESKTOP_OAUTH_TEST_PYTHON", sys.executable)


def files_containing(root: Path, *needles: str) -> list[Path]:
    """Every file under ``root`` that contains any of ``needles``."""
    encoded = [n.encode() for n in needles if n]
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and any(n in path.read_bytes() for n in encoded)
    ]


@dataclass
class Result:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def error_line(self) -> str:
        """The one line a failing command writes on stderr."""
        lines = self.stderr.splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got:\n{self.stderr}"
        assert "Traceback" not in self.stderr
        return lines[0]

    def __str__(self) -> str:
        return (
            f"desktop-oauth {' '.join(self.args)} -> {self.returncode}\n"
            f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}"
        )


@dataclass
class Cli:
    """The command line on the profile folder ``home``."""

    home: Path
    env: dict[str, str] = field(default_factory=dict)
    #: Every command run so far, for checks that no secret ever leaked.
    transcript: list[Result] = field(default_factory=list)

    @property
    def profile(self) -> Profile:
        return Profile.from_environment({HOME_VARIABLE: str(self.home)})

    def environ(self, **extra: str) -> dict[str, str]:
        return {**os.environ, HOME_VARIABLE: str(self.home), **self.env, **extra}

    def command(self, *args: str, python_options: tuple[str, ...] = ()) -> list[str]:
        return [PYTHON, *python_options, "-m", "desktop_oauth", *args]

    def run(
        self,
        *args: str,
        stdin: str = "",
        timeout: float = 60,
        env: dict[str, str] | None = None,
        python_options: tuple[str, ...] = (),
    ) -> Result:
        done = subprocess.run(
            self.command(*args, python_options=python_options),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO,
            env=self.environ(**(env or {})),
            check=False,
        )
        result = Result(tuple(args), done.returncode, done.stdout, done.stderr)
        self.transcript.append(result)
        return result

    def ok(self, *args: str, stdin: str = "") -> Result:
        result = self.run(*args, stdin=stdin)
        assert result.returncode == 0, str(result)
        return result

    def connect_without_browser(self, provider: str, code: str = "c0de") -> Result:
        """``connect PROVIDER --no-browser``, the person opening the printed link: here,
        the provider "redirects" at once with ``code`` and the link's state."""
        with subprocess.Popen(
            self.command("connect", provider, "--no-browser"),
            env=self.environ(),
            cwd=REPO,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        ) as proc:
            try:
                assert proc.stderr is not None
                url = ""
                while not url.startswith("http"):
                    url = proc.stderr.readline().strip()
                query = parse_qs(urlsplit(url).query)
                callback = f"{query['redirect_uri'][0]}?code={code}&state={query['state'][0]}"
                with requests.Session() as person:
                    person.trust_env = False
                    person.get(callback, timeout=10)
                out, err = proc.communicate(timeout=30)
            finally:
                if proc.poll() is None:
                    proc.kill()
        result = Result(("connect", provider, "--no-browser"), proc.returncode, out, err)
        self.transcript.append(result)
        return result

    def connect(self, provider: str, plan: BrowserPlan, login: str, *extra: str) -> Result:
        """Connect ``login`` at ``provider`` through the test browser (sign in, consent)."""
        plan.set(login=login, action="consent")
        result = self.run("connect", provider, *extra)
        assert result.returncode == 0, f"{result}\ndriver log:\n{plan.log_tail()}"
        plan.results()  # the browser is done before the next test step starts
        return result

    # -- what the command left behind, read directly ---------------------------------
    def accounts(self) -> tuple[AccountRecord, ...]:
        return load_config(self.profile.config_path).accounts

    def account(self, subject: str, provider: str | None = None) -> AccountRecord:
        [record] = [
            a for a in self.accounts() if a.subject == subject and provider in (None, a.provider)
        ]
        return record

    def stored_tokens(self, subject: str, provider: str | None = None) -> TokenSet:
        """The tokens the keyring holds for the account (the test fails when there are none)."""
        tokens = TokenStore(self.profile.keyring_service).load(self.account(subject, provider).id)
        assert tokens is not None, f"no tokens stored for {provider}:{subject}"
        return tokens
