"""Shared fixtures: a real simulator on a loopback port, driven through the real alpaca-py.

The simulator launcher, the pseudo-terminal driver and the Hypothesis profiles live in
tests/harness/ (the benchmarks use the same ones); the names below are kept for the tests
that import them from here."""

from __future__ import annotations

from typing import Callable, Iterator

import pytest

from .harness import profiles  # noqa: F401  (registers and loads the Hypothesis profile)
from .harness.simulator import KEY, SECRET, SimHandle, Simulators, trading_client, wait_for

__all__ = ["KEY", "SECRET", "SimHandle", "trading_client", "wait_for"]


@pytest.fixture
def make_sim() -> Iterator[Callable[..., SimHandle]]:
    """Start simulators with chosen options (tests/harness/simulator.py: server_options);
    all are stopped after the test.

    Defaults favour determinism: seed 1, static prices, no rate limit, no partial fills
    unless asked (partial_fills=True keeps Alpaca's ~10%).
    """
    simulators = Simulators()
    yield simulators.start
    simulators.close()


@pytest.fixture
def sim(make_sim) -> SimHandle:
    """An empty $100,000 account on an always-open market with still prices."""
    return make_sim()


def pytest_report_header(config) -> str:
    return f"hypothesis profile: {profiles.PROFILE} (HYPOTHESIS_PROFILE=thorough for a deeper search)"
