"""A clock the test moves by hand, for rules that depend on time without waiting for it."""


class ManualClock:
    """Returns ``now`` when called; a test advances it with ``clock.now += seconds``."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
