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
from functools import cache

from confusable_homoglyphs import confusables

MAX_NAME_LENGTH = 24


@dataclass(frozen=True)
class Limits:
    """The classroom's rules for every client.

    ``per_second`` is the sustained rate of events a client may send;
    ``burst`` how many it may send at once after a pause (a typist's quick
    replies). ``max_chars`` bounds a chat message; ``max_packet_bytes`` is
    Engine.IO's own limit: a bigger frame closes that client's connection.
    ``connections_per_address`` bounds the connections one machine may hold
    open at once (a browser tab uses one or two; the server's own machine is
    not counted).
    """

    per_second: float = 2.0
    burst: int = 10
    max_chars: int = 500
    max_packet_bytes: int = 16_000
    connections_per_address: int = 20


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


_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero-width space, joiners, direction marks
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # zero-width no-break space
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),  # unassigned specials
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE0FFF),  # tags and variation selectors supplement
)
"""Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt).

A font draws none of them, so ``ada`` followed by one looks exactly like ``ada``.
"""

_BLANK_SYMBOLS = frozenset("\u2800")
"""Symbols drawn as nothing at all (the blank Braille pattern)."""


def _ignorable(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _DEFAULT_IGNORABLE)


def _visible(ch: str) -> bool:
    """A letter, digit, punctuation or symbol that a font draws: what a name needs one of."""
    return unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK_SYMBOLS


def name_key(name: str) -> str:
    """The form in which two display names are compared: equal keys look alike.

    NFKC folds compatibility forms (fullwidth ``ａ``, ligatures), casefold
    folds case (``Ada`` is ``ada``), and the default-ignorable code points
    (zero-width space, word joiner, soft hyphen, Hangul fillers…) are dropped,
    since nothing of them shows. What is left is compared by its confusable
    skeleton (Unicode UTS #39): Cyrillic ``а`` and Greek ``ο`` count as Latin
    ``a`` and ``o``, ``1`` as ``l``.

    Case and look-alikes together force one more fold: ``Ian`` must match
    ``ian`` (case) and ``lan`` (a capital I is drawn as a small L), so the
    key writes every ``i`` as ``l``. Two names that differ only there are
    refused side by side: a rare false alarm, never a double on the projector.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    visible = "".join(ch for ch in folded if not _ignorable(ch)).strip()
    return _skeleton(_skeleton(visible).casefold()).replace("i", "l")


def _skeleton(text: str) -> str:
    """UTS #39's skeleton: decompose, replace each character by its prototype, decompose."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(_prototype(ch) for ch in decomposed))


@cache
def _prototype(ch: str) -> str:
    """The character (or sequence) that ``ch`` is confusable with, per Unicode's table.

    The table (``confusables.txt``, as the ``confusable-homoglyphs`` package
    ships it) links each character to its prototype both ways: a prototype
    lists all its look-alikes, a look-alike lists only its prototype. When a
    prototype has one look-alike, the two are indistinguishable in that form,
    and the smaller one stands for both, which keeps the mapping consistent.
    """
    linked = confusables.confusables_data.get(ch)
    if not linked or len(linked) > 1:
        return ch  # not confusable, or itself a prototype
    other = linked[0]["c"]
    if len(confusables.confusables_data.get(other, ())) > 1 or len(other) > 1:
        return other  # only a prototype has several look-alikes or more than one character
    return min(ch, other)


def check_name(name: object) -> str:
    """A display name: 1 to ``MAX_NAME_LENGTH`` characters, some visible, else ``ValueError``.

    Names are shown to the whole room (and on the projector), so control
    characters are refused rather than silently stripped, and so is a name
    that would show as nothing. The name is returned as typed (trimmed);
    ``name_key`` is what tells two names apart.
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
    if not any(_visible(ch) for ch in name_key(name)):
        raise ValueError(
            "a display name needs at least one visible letter, digit or symbol: "
            "this one would show as blank"
        )
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
