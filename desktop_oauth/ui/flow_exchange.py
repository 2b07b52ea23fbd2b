"""An HTTP exchange of the flow log as text for a person: what was asked, what came
back, how long it took. The text goes to plain-text widgets only: headers and
bodies come from the provider and are never shown as rich text."""

from __future__ import annotations

from ..core.flow_log import HttpExchange, StepRecord, StepState
from ..core.flow_text import exchange_line, milliseconds

#: What a step's state looks like: a glyph and a word, never colour alone.
STATE_MARKS: dict[StepState, str] = {
    StepState.WAITING: "… waiting",
    StepState.DONE: "✓ done",
    StepState.FAILED: "✗ failed",
}


def state_text(step: StepRecord) -> str:
    """``✓ done · 34 ms`` (a waiting step has no duration yet)."""
    if step.state is StepState.WAITING or step.duration is None:
        return STATE_MARKS[step.state]
    return f"{STATE_MARKS[step.state]} · {milliseconds(step.duration)}"


def _headers(title: str, headers: tuple[tuple[str, str], ...]) -> list[str]:
    if not headers:
        return []
    return [title, *(f"  {name}: {value}" for name, value in headers)]


def _body(title: str, body: str) -> list[str]:
    if not body:
        return []
    return [title, *(f"  {line}" for line in body.splitlines())]


def exchange_text(exchange: HttpExchange) -> str:
    """The whole exchange: its line (method, URL, status, timing), then the request
    and response headers and bodies, already redacted by the core."""
    lines = [exchange_line(exchange)]
    if exchange.direction == "incoming":
        lines.append("  (the browser's request to this computer, answered by the app)")
    lines.append(f"  took {milliseconds(exchange.duration)}")
    if exchange.error:
        lines.append(f"  no answer: {exchange.error}")
    lines += _headers("Request headers", exchange.request_headers)
    lines += _body("Request body", exchange.request_body)
    lines += _headers("Response headers", exchange.response_headers)
    lines += _body("Response body", exchange.response_body)
    return "\n".join(lines)


def step_exchanges_text(step: StepRecord) -> str:
    """Every kept exchange of ``step``, oldest first, with a note for dropped ones."""
    parts: list[str] = []
    if step.dropped_exchanges:
        parts.append(f"{step.dropped_exchanges} earlier exchanges not kept")
    parts += [exchange_text(e) for e in step.exchanges]
    if not parts:
        return "No HTTP exchange in this step."
    return "\n\n".join(parts)
