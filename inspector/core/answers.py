"""The answer sequences of response rules: `FILTER=STEP,STEP,...`, the part after '='.

Pure parsing, no I/O and nothing of the filter language (core.responses matches filters), so
that the settings (core.config) can read and write rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HOLD_MAX = 600.0
DELAY_MAX = 600.0


class RuleError(ValueError):
    """A response rule cannot be understood; the message is one line and says why."""


# --- steps ----------------------------------------------------------------------------------

ANSWER, CLOSE, HOLD = "answer", "close", "hold"
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m)?")
_STATUS = re.compile(r"[1-5]\d\d")


@dataclass(frozen=True, slots=True)
class Step:
    """One answer of a sequence."""

    kind: str = ANSWER
    status: int | None = None
    """None: the rule's own status."""
    delay: float = 0.0
    """Seconds to wait before answering."""
    retry_after: int | None = None
    hold: float | None = None
    """Seconds to hold (None: the provider's deadline plus HOLD_MARGIN)."""

    @property
    def text(self) -> str:
        if self.kind == CLOSE:
            return "close"
        if self.kind == HOLD:
            return "hold" if self.hold is None else f"hold:{_seconds_text(self.hold)}"
        if self.status is None:
            return f"delay:{_seconds_text(self.delay)}"
        options = []
        if self.retry_after is not None:
            options.append(f"retry-after={self.retry_after}")
        if self.delay:
            options.append(f"delay={_seconds_text(self.delay)}")
        return str(self.status) + (":" + ";".join(options) if options else "")


def _seconds_text(seconds: float) -> str:
    if seconds < 1 and seconds * 1000 == int(seconds * 1000):
        return f"{int(seconds * 1000)}ms"
    return f"{seconds:g}s"


def parse_duration(text: str, where: str, limit: float) -> float:
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise RuleError(f"bad duration {text!r} in {where!r}: use e.g. 500ms, 2s or 1m")
    value = float(match[1]) * {"ms": 0.001, "s": 1.0, "m": 60.0}[match[2] or "s"]
    if value > limit:
        raise RuleError(f"duration {text!r} in {where!r} is over {limit:g} s")
    return value


def parse_step(text: str) -> Step:
    """One step: 500, 429:retry-after=30, 200:delay=2s, delay:2s, hold, hold:20s, close."""
    word = text.strip()
    head, _, rest = word.partition(":")
    low = head.lower()
    if low == "close" and not rest:
        return Step(CLOSE)
    if low == "hold":
        return Step(HOLD, hold=parse_duration(rest, word, HOLD_MAX) if rest else None)
    if low == "delay" and rest:
        return Step(ANSWER, delay=parse_duration(rest, word, DELAY_MAX))
    if not _STATUS.fullmatch(head):
        raise RuleError(
            f"unknown answer {word!r}: use a status (100-599), 429:retry-after=30, "
            "200:delay=2s, delay:2s, hold, hold:20s or close"
        )
    return _status_step(int(head), rest, word)


def _status_step(status: int, options: str, word: str) -> Step:
    delay, retry_after = 0.0, None
    for option in filter(None, options.split(";")):
        name, sep, value = option.partition("=")
        name = name.strip().lower()
        if name == "delay" and sep:
            delay = parse_duration(value, word, DELAY_MAX)
        elif name == "retry-after" and sep and value.strip().isdigit():
            retry_after = int(value)
        else:
            raise RuleError(f"unknown option {option!r} in {word!r}: use retry-after=N or delay=2s")
    return Step(ANSWER, status, delay, retry_after)


def parse_steps(text: str) -> tuple[Step, ...]:
    if not text.strip():
        raise RuleError("no answers after '=': e.g. 500,500,200")
    return tuple(parse_step(part) for part in text.split(","))


def steps_text(steps: tuple[Step, ...]) -> str:
    return ",".join(step.text for step in steps)


def split_rule(text: str) -> tuple[str, tuple[Step, ...]]:
    """`FILTER=STEPS` -> (filter text, steps). The filter ends at the first '=' after which a
    valid list of answers follows (the filter may itself contain '=', as in method=POST); the
    filter itself is checked by `responses.parse_rule_option`."""
    first_error: RuleError | None = None
    for index, char in enumerate(text):
        if char != "=":
            continue
        try:
            steps = parse_steps(text[index + 1 :])
        except RuleError as exc:
            first_error = first_error or exc
            continue
        return text[:index].strip(), steps
    if first_error is not None:
        raise first_error
    raise RuleError(f"expected FILTER=ANSWERS, e.g. 'path:/webhook=500,500,200' (got {text!r})")
