"""What one client may send to a classroom server: how often, how much, and what.

A room of students shares one server. One student pasting a novel or holding
down Enter must get a clear "no" in the acknowledgement of that message, while
everybody else keeps chatting. These checks are plain functions and a small
token bucket, so the classroom server can apply them before any handler runs.
"""

from __future__ import annotations

import time
import unicodedata
from dataclasses import dataclass, field

MAX_NAME_LENGTH = 24


@dataclass(frozen=True)
class Limits:
    """The classroom's rules for every client.

    ``per_second`` is the sustained rate of events a client may send;
    ``burst`` how many it may send at once after a pause (a typist's quick
    replies). ``max_chars`` bounds a chat message; ``max_packet_bytes`` is
    Engine.IO's own limit: a bigger frame closes that client's connection.
    """

    per_second: float = 2.0
    burst: int = 10
    max_chars: int = 500
    max_packet_bytes: int = 16_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimit:
    """A token bucket per client key: ``allow(key)`` is False once the key is over its rate."""

    per_second: float
    burst: int
    clock: object = field(default=time.monotonic, repr=False)
    _buckets: dict[str, _Bucket] = field(default_factory=dict, repr=False)

    def allow(self, key: str) -> bool:
        now = self.clock()  # type: ignore[operator]
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.per_second)
        bucket.updated = now
        if bucket.tokens < 1:
            return False
        bucket.tokens -= 1
        return True

    def forget(self, key: str) -> None:
        """Drop a client's bucket when it leaves, so the table never grows without bound."""
        self._buckets.pop(key, None)

    def explain(self) -> str:
        return (
            f"too many messages: at most {self.burst} at once and "
            f"{self.per_second:g} per second after that. Wait a moment and send again."
        )


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Characters that reorder the text after them: they let a name pose as another."""


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS for ch in text)


def check_name(name: object) -> str:
    """A display name: text of 1 to ``MAX_NAME_LENGTH`` visible characters, else ``ValueError``.

    Names are shown to the whole room (and on the projector), so invisible
    and control characters are refused rather than silently stripped.
    """
    if not isinstance(name, str):
        raise ValueError("send a display name as text in auth: {'name': 'ada', ...}")
    name = name.strip()
    if not name:
        raise ValueError("a display name cannot be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"a display name is at most {MAX_NAME_LENGTH} characters")
    if _has_control_characters(name):
        raise ValueError("a display name cannot contain control characters")
    return name


def check_text(text: object, max_chars: int) -> str:
    """A chat message: non-empty text of at most ``max_chars``; newlines and tabs allowed."""
    if not isinstance(text, str):
        raise ValueError(f"a chat message must be text, not {type(text).__name__}")
    if not text.strip():
        raise ValueError("a chat message cannot be empty")
    if len(text) > max_chars:
        raise ValueError(
            f"a chat message is at most {max_chars} characters (this one: {len(text)})"
        )
    if _has_control_characters(text.replace("\n", "").replace("\t", "")):
        raise ValueError("a chat message cannot contain control characters")
    return text
