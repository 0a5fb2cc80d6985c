"""The versions of python-socketio, python-engineio and ipywidgets chatlib was tested with.

``_engine`` relies on private behaviour of the first two, and the diagram on
ipywidgets sending one message per change of a synced trait. Within these
ranges ``tests/test_engine_contract.py`` passed; outside them chatlib may
still work, but nothing checked it, so the first server or client created
says so once, naming the range, instead of failing in some lesson later.
"""

from __future__ import annotations

import re
import warnings
from importlib import metadata

TESTED: dict[str, tuple[str, str]] = {
    "python-socketio": ("5.18.1", "5.19"),
    "python-engineio": ("4.15.1", "4.16"),
    "ipywidgets": ("8.1.0", "9"),
}
"""Per distribution: the lowest version tested and the first one not tested."""


class UntestedVersionWarning(UserWarning):
    """An installed library is outside the versions chatlib was tested with."""


_warned = False


def tested_range(distribution: str) -> str:
    """The tested range of ``distribution`` as a requirement, e.g. ``>=5.18.1,<5.19``."""
    low, high = TESTED[distribution]
    return f">={low},<{high}"


def _numbers(version: str) -> tuple[int, ...]:
    """The leading release numbers: ``5.18.1`` → (5, 18, 1); ``6.0.0rc1`` → (6, 0, 0)."""
    match = re.match(r"\d+(\.\d+)*", version)
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def is_tested(distribution: str, version: str) -> bool:
    """Whether ``version`` of ``distribution`` lies in its tested range."""
    low, high = TESTED[distribution]
    return _numbers(low) <= _numbers(version) < _numbers(high)


def untested() -> list[str]:
    """One sentence per installed distribution outside its tested range (none: all is well)."""
    problems = []
    for distribution in TESTED:
        try:
            version = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
        if not is_tested(distribution, version):
            problems.append(
                f"{distribution} {version} is installed; chatlib was tested with "
                f"{distribution}{tested_range(distribution)}"
            )
    return problems


def check_versions() -> None:
    """Warn once per process when an installed version is outside its tested range."""
    global _warned
    if _warned:
        return
    _warned = True
    problems = untested()
    if problems:
        warnings.warn(
            "; ".join(problems) + ". It may still work: run tests/test_engine_contract.py to see.",
            UntestedVersionWarning,
            stacklevel=3,
        )
