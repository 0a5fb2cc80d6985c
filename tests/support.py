"""What the tests share: how a missing real dependency is reported."""

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(available: bool, what: str, how_to_install: str) -> None:
    """Skip with install advice on a learner's machine; fail under ``CI=true``."""
    if available:
        return
    message = f"{what} is not available: {how_to_install}"
    if IN_CI:
        pytest.fail(message + " (CI=true: a missing dependency is a failure)")
    pytest.skip(message)
