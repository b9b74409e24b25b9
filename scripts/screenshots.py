"""Regenerate the README's screenshots in screenshots/ (SVG).

    python scripts/screenshots.py

Runs the app headless against an in-process simulator with the sample portfolio, a clock
frozen on a Monday morning and still prices (the same setup as tests/test_snapshots.py, whose
steps it reuses, including the status bar's pinned data age and request count), so the
files only change when the UI does:

    screenshots/main.svg             the main screen with the watchlist beside the panes, 120×34
    screenshots/main-80x24.svg       the main screen at the smallest supported size
    screenshots/watchlist-80x24.svg  w at 80×24: the watchlist in place of positions and orders
    screenshots/detail.svg           NVDA's detail screen (Enter on its row), 120×34
    screenshots/detail-80x24.svg     the same at 80×24, the chart as a line (c)
    screenshots/ticket.svg           the order ticket: b, MSFT, Tab, 10
    screenshots/review.svg           the review after Enter
    screenshots/order-detail.svg     Enter on the first open order (3, Enter), 100×30
    screenshots/history.svg          h: the account's activities, 120×34
    screenshots/realized.svg         h, p, F 2026-08-01..: realized P&L by FIFO lots, 120×34
    screenshots/equity.svg           p: the equity chart over a month, 120×34
    screenshots/equity-80x24.svg     the same at 80×24
    screenshots/fills.svg            a market buy of 10 INTC after the market moved 25 cents
                                     under the review: recent fills (3, f f f) with its slippage
    screenshots/fill-detail.svg      Enter on that fill: its order's detail, the slippage section
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


async def watchlist_screen(pilot: Any) -> None:
    await main_screen(pilot)
    await pilot.press("w")
    await pilot.pause()


async def detail_screen(pilot: Any, line: bool = False) -> None:
    """Enter on NVDA in the positions (AAPL AMD MSFT NVDA): its detail, the 1D chart drawn."""
    from tests.ui_support import until
    from tui.ui.screens.detail import DetailScreen

    await main_screen(pilot)
    await pilot.press("2", "j", "j", "j", "enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, DetailScreen) and pilot.app.screen.bars
                and not pilot.app.screen.loading, what="the detail screen with its chart")
    if line:
        await pilot.press("c")
    await pilot.pause()


async def detail_line(pilot: Any) -> None:
    await detail_screen(pilot, line=True)


async def order_detail_screen(pilot: Any) -> None:
    from tests.ui_support import until
    from tui.ui.screens.order_detail import OrderDetailScreen

    await main_screen(pilot)
    await pilot.press("3", "enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, OrderDetailScreen) and not pilot.app.screen.reading,
                what="the order detail")
    await pilot.pause()


async def history_screen(pilot: Any, realized: bool = False) -> None:
    from tests.ui_support import until
    from tui.ui.screens.history import HistoryScreen

    await main_screen(pilot)
    await pilot.press("h")
    await until(pilot, lambda: isinstance(pilot.app.screen, HistoryScreen) and pilot.app.screen.shown
                and not pilot.app.screen.loading, what="the history")
    if realized:
        screen = pilot.app.screen
        await pilot.press("p")
        await until(pilot, lambda: screen.realized is not None and not screen.pnl_loading, what="realized P&L")
    await pilot.pause()


async def realized_screen(pilot: Any) -> None:
    """h, p, then F 2026-08-01..: the sample's past round trip in the range."""
    from tests.test_ui_history import realized_shown

    await realized_shown(pilot)  # from the main screen


async def equity_screen(pilot: Any) -> None:
    from tests.test_ui_equity import equity_shown

    await main_screen(pilot)
    await pilot.press("p")
    await equity_shown(pilot, "1M")


SIM: SimHandle | None = None  # the running shot's simulator: a step may move its market


async def market_fill(pilot: Any) -> None:
    """b INTC 10, Enter: the review; the price moves 25 cents up before y (the ticket's own
    quote refresh is off in these shots); then the recent fills view."""
    from decimal import Decimal

    from tests.test_slippage import lookups_over
    from tests.ui_support import until
    from tui.ui.screens.ticket import ReviewScreen
    from tui.ui.widgets.orders import OrdersPane

    app = pilot.app
    await main_screen(pilot)
    await pilot.press("b", *"INTC", "tab", *"10", "enter")
    review = await until(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.checked
                         and app.screen.shown and app.screen, what="the review")
    assert SIM is not None
    await lookups_over(pilot)  # no look-up answered later brings the moved price to the review
    SIM.set_price("INTC", review.outlook.quote.ask + Decimal("0.25"))
    await pilot.press("y")

    def filled() -> bool:
        SIM.advance(0.2)  # the frozen clock: the simulator works its orders as time passes
        return any(f.symbol == "INTC" for f in app.state.fills)

    await until(pilot, filled, what="the fill")
    await pilot.press("3", "f", "f", "f")
    await until(pilot, lambda: app.main.query_one(OrdersPane).fill_slip is not None, what="the slippage")
    await pilot.pause()


async def fill_detail(pilot: Any) -> None:
    from tests.ui_support import screen_text, until
    from tui.ui.screens.order_detail import OrderDetailScreen

    await market_fill(pilot)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, OrderDetailScreen) and not pilot.app.screen.reading
                and "Slippage" in screen_text(pilot.app), what="the fill's order detail")
    await pilot.pause()


SHOTS: list[tuple[str, tuple[int, int], Callable[[Any], Awaitable[None]]]] = [
    ("main.svg", (120, 34), main_screen),
    ("main-80x24.svg", (80, 24), main_screen),
    ("watchlist-80x24.svg", (80, 24), watchlist_screen),
    ("detail.svg", (120, 34), detail_screen),
    ("detail-80x24.svg", (80, 24), detail_line),
    ("ticket.svg", (100, 30), ticket_screen),
    ("review.svg", (100, 30), review_screen),
    ("order-detail.svg", (100, 30), order_detail_screen),
    ("history.svg", (120, 34), history_screen),
    ("realized.svg", (120, 34), realized_screen),
    ("equity.svg", (120, 34), equity_screen),
    ("equity-80x24.svg", (80, 24), equity_screen),
    ("fills.svg", (100, 30), market_fill),
    ("fill-detail.svg", (100, 30), fill_detail),
]


def start_simulator() -> SimHandle:
    """What tests/conftest.py's make_sim(start_at=FROZEN_AT, portfolio="sample", seed=1) starts."""
    clock = ManualClock(FROZEN_AT)
    engine = EngineOptions(seed=1, prices="static", portfolio="sample", partial_fill_share=0.0)
    background = BackgroundSimulator(ServerOptions(engine=engine, rate_limit=0), clock).start()
    return SimHandle(background, clock)


async def shoot(filename: str, size: tuple[int, int], steps: Callable[[Any], Awaitable[None]]) -> None:
    global SIM
    sim = SIM = start_simulator()  # a fresh account per shot: no shot sees another's orders
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
    import tui.ui.screens.ticket as ticket

    ticket.QUOTE_EVERY = 3600  # the review keeps its quote while a shot moves the market
    OUT.mkdir(exist_ok=True)
    for filename, size, steps in SHOTS:
        await shoot(filename, size, steps)


if __name__ == "__main__":
    asyncio.run(main())
