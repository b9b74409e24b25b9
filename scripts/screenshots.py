"""Regenerate the README's screenshots in screenshots/ (SVG).

    python scripts/screenshots.py

Runs the app headless against an in-process simulator with the sample portfolio, a clock
frozen on a Monday morning and still prices (the same setup as tests/test_snapshots.py, whose
steps it reuses, including the status bar's pinned data age and request count), so the
files only change when the UI does:

    screenshots/main.svg         the main screen, 100×30
    screenshots/main-80x24.svg   the main screen at the smallest supported size
    screenshots/ticket.svg       the order ticket: b, MSFT, Tab, 10
    screenshots/review.svg       the review after Enter
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import SimHandle  # noqa: E402
from tests.test_snapshots import main_screen, review_screen, ticket_screen  # noqa: E402
from tests.ui_support import FROZEN_AT, QUIET, make_app  # noqa: E402
from tui.config import Mode  # noqa: E402
from tui.sim.clock import ManualClock  # noqa: E402
from tui.sim.engine import EngineOptions  # noqa: E402
from tui.sim.runner import BackgroundSimulator  # noqa: E402
from tui.sim.server import ServerOptions  # noqa: E402

OUT = ROOT / "screenshots"
SHOTS: list[tuple[str, tuple[int, int], Callable[[Any], Awaitable[None]]]] = [
    ("main.svg", (100, 30), main_screen),
    ("main-80x24.svg", (80, 24), main_screen),
    ("ticket.svg", (100, 30), ticket_screen),
    ("review.svg", (100, 30), review_screen),
]


def start_simulator() -> SimHandle:
    """What tests/conftest.py's make_sim(start_at=FROZEN_AT, portfolio="sample", seed=1) starts."""
    clock = ManualClock(FROZEN_AT)
    engine = EngineOptions(seed=1, prices="static", portfolio="sample", partial_fill_share=0.0)
    background = BackgroundSimulator(ServerOptions(engine=engine, rate_limit=0), clock).start()
    return SimHandle(background, clock)


async def shoot(filename: str, size: tuple[int, int], steps: Callable[[Any], Awaitable[None]]) -> None:
    sim = start_simulator()  # a fresh account per shot: no shot sees another's orders
    try:
        app = make_app(sim, mode=Mode.DEMO, intervals=QUIET)
        async with app.run_test(size=size) as pilot:
            await steps(pilot)
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            app.save_screenshot(filename=filename, path=str(OUT))
            await app.action_quit()
    finally:
        sim.background.stop()
    print(f"wrote {(OUT / filename).relative_to(ROOT)} ({size[0]}×{size[1]})")


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for filename, size, steps in SHOTS:
        await shoot(filename, size, steps)


if __name__ == "__main__":
    asyncio.run(main())
