"""The delivery ledger: what the store holds next to what each chat shows.

``settle()``'s table counts packets. With delivery guarantees the question
changes: is every *stored* message *shown* exactly once by every client, in
the store's order? The ledger answers it, one row per stored message, and
names every difference: a missing message, one shown twice, a wrong order,
one shown that was never stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..delivery import NOT_RECEIVED, RECEIVED
from ..log import describe
from .reliable import DurableClient
from .store import StoredMessage

if TYPE_CHECKING:
    from .server import DurableChatServer


@dataclass
class Ledger:
    """Stored messages against the messages each client shows."""

    stored: list[StoredMessage]
    shown: dict[str, list[int]]

    @property
    def names(self) -> list[str]:
        return list(self.shown)

    def problems(self) -> list[str]:
        """Every way in which a client's chat differs from the store; empty when none."""
        ids = [m.id for m in self.stored]
        known = set(ids)
        found = []
        for name, seen in self.shown.items():
            counts = Counter(seen)
            missing = [i for i in ids if i not in counts]
            twice = sorted(i for i, n in counts.items() if n > 1)
            unknown = sorted(i for i in counts if i not in known)
            if missing:
                found.append(f"{name} does not show {_ids(missing)}")
            if twice:
                found.append(f"{name} shows {_ids(twice)} more than once")
            if unknown:
                found.append(f"{name} shows {_ids(unknown)}, which the store does not hold")
            if not (missing or twice or unknown) and seen != ids:
                found.append(f"{name} shows the messages in another order than the store")
        return found

    @property
    def ok(self) -> bool:
        return not self.problems()

    def verdict(self) -> str:
        problems = self.problems()
        if problems:
            return "\n".join(problems)
        return (
            f"{len(self.stored)} stored; each shown exactly once, in the store's order, "
            f"by {', '.join(self.names)}"
        )

    def table(self, last: int | None = None) -> str:
        """One row per stored message (the ``last`` ones): id, sender, text, a mark per client."""
        rows = self.stored[-last:] if last else self.stored
        counts = {name: Counter(seen) for name, seen in self.shown.items()}
        header = ["id", "from", "message", *self.names]
        body = [
            [str(m.id), m.sender, describe(m.content, 40)]
            + [_mark(counts[name][m.id]) for name in self.names]
            for m in rows
        ]
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *body]
        )

    def view(self, last: int | None = None) -> str:
        """The table (its ``last`` rows when given) and the verdict under it."""
        return self.table(last) + "\n" + self.verdict()

    def __str__(self) -> str:
        return self.view()

    __repr__ = __str__


def _mark(count: int) -> str:
    if count == 0:
        return NOT_RECEIVED
    return RECEIVED if count == 1 else f"{RECEIVED}×{count}"


def _ids(ids: Sequence[int]) -> str:
    shown = ", ".join(f"#{i}" for i in ids[:5])
    return shown + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


async def ledger(server: DurableChatServer, clients: Sequence[DurableClient]) -> Ledger:
    """Read ``server``'s store (a ``DurableChatServer``) and what each client shows."""
    stored = await server.store.all()
    return Ledger(stored, {c.name: [m.id for m in c.shown] for c in clients})
