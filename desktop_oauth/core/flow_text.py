"""The flow log in words: the line a step or an exchange makes, and what failed.

The window's status line and the command line's ``-v`` both use these, so a
failure is named the same way everywhere ("the token exchange failed: the
provider answered invalid_grant").
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .flow_log import STEPS, HttpExchange, OperationRecord, Step, StepRecord, StepState

#: Each step as the subject of "... failed".
STEP_NOUNS: dict[Step, str] = {
    Step.DISCOVERY: "reading the provider's settings",
    Step.AUTHORIZE: "the sign-in at the provider",
    Step.CALLBACK: "the authorization response",
    Step.TOKEN: "the token exchange",
    Step.ID_TOKEN: "the id_token check",
    Step.API: "the API call",
    Step.REFRESH: "the token refresh",
    Step.REVOKE: "the revocation",
    Step.VERIFY: "the check that access ended",
    Step.DEVICE_AUTHORIZATION: "the request for a sign-in code",
    Step.DEVICE_POLL: "the wait for your approval",
}


def failure_summary(record: OperationRecord) -> str | None:
    """One sentence naming the step that failed and what the provider answered, or
    None when nothing failed.

    The provider's answer comes first when there is one ("the provider answered
    invalid_grant"); otherwise the app's own message for the failure.
    """
    if record.failed_step is None:
        return None
    failed = next(
        (s for s in reversed(record.steps) if s.step == record.failed_step and s.failed),
        None,
    )
    noun = STEP_NOUNS[record.failed_step]
    if failed is not None and failed.answer:
        return f"{noun} failed: the provider answered {failed.answer}"
    reason = (failed.error if failed is not None else None) or record.error
    if not reason:
        return f"{noun} failed"
    return f"{noun} failed: {reason[:1].lower()}{reason[1:]}"


def milliseconds(seconds: float | None) -> str:
    """``12 ms``, or ``1.4 s`` from one second on (a person in the browser takes seconds)."""
    if seconds is None:
        return "…"
    if seconds >= 1:
        return f"{seconds:.1f} s"
    return f"{seconds * 1000:.0f} ms"


def exchange_line(exchange: HttpExchange) -> str:
    """``POST http://127.0.0.1:…/token → 200 (12 ms)``; an incoming request is
    shown as what the browser sent to this computer."""
    url = _short(exchange.url)
    arrow = "←" if exchange.direction == "incoming" else "→"
    outcome = str(exchange.status) if exchange.status is not None else exchange.error or "no answer"
    timing = f" ({milliseconds(exchange.duration)})" if exchange.status is not None else ""
    if exchange.direction == "incoming":
        return f"{exchange.method} {url} {arrow} answered {outcome}{timing}"
    return f"{exchange.method} {url} {arrow} {outcome}{timing}"


def step_line(step: StepRecord) -> str:
    """``token: done (34 ms): The app trades the code and its PKCE verifier for tokens``."""
    info = STEPS[step.step]
    state = step.state.value
    if step.state is not StepState.WAITING:
        state += f" ({milliseconds(step.duration)})"
    line = f"{step.step.value}: {state}: {info.title} [{info.reference}]"
    if step.state is StepState.FAILED:
        said = f"the provider answered {step.answer}" if step.answer else step.error
        line += f": {said}"
    return line


def _short(url: str, limit: int = 1000) -> str:
    """A URL for one line: whole when short, else its origin and path and a cut query."""
    if len(url) <= limit:
        return url
    parts = urlsplit(url)
    head = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return (head + "?" + parts.query)[:limit] + "…"
