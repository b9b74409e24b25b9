"""What every benchmark shares: results, a simulator process, and the app in a real
pseudo-terminal whose output is rendered by a terminal emulator (pyte), so figures are
what a user would see, taken from outside the app.

The simulator process and the terminal are the test suite's own (tests/harness/), so a
benchmark and a test start and read the app the same way."""

from __future__ import annotations

import os
import statistics
import tempfile
from dataclasses import asdict, dataclass, field

from tests.harness.simulator import SimulatorProcess
from tests.harness.terminal import APP, Terminal, app_env

__all__ = ["APP", "KEYS", "Result", "SimulatorProcess", "Terminal", "app_against", "median", "percentile"]

KEYS = {"ALPACA_API_KEY": "bench-key", "ALPACA_SECRET_KEY": "bench-secret"}


@dataclass
class Result:
    """One figure. `target` is None for figures that only inform; `higher_is_better`
    flips the comparison (throughput)."""

    name: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = False
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def as_json(self) -> dict:
        return {**asdict(self), "met": self.met}


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), nearest-rank: a value that was really measured."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def app_against(url: str, columns: int = 80, lines: int = 24) -> Terminal:
    """The app in PAPER mode against a simulator (or proxy) at `url`."""
    journal = os.path.join(tempfile.mkdtemp(prefix="alpaca-tui-bench-"), "audit.jsonl")
    return Terminal([*APP], env=app_env(**KEYS, ALPACA_BASE_URL=url, ALPACA_TUI_AUDIT_LOG=journal),
                    columns=columns, lines=lines)
