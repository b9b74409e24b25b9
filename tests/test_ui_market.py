"""Live prices through the real app against the real simulator: pushed prices move the
watchlist and the positions (and their total), symbols beyond the plan's limit are polled
from snapshots and marked, another client holding the data stream (406) leaves prices to
snapshots until it lets go, a dropped or restarted stream comes back to live."""

from __future__ import annotations

import json
from decimal import Decimal

import aiohttp

from tui.ui.screens.ticket import TicketScreen

from .conftest import KEY, SECRET
from .harness.simulator import start_simulator
from .market_support import (SAMPLE_PLAN, SAMPLE_WATCHLIST, fmt, live, loaded, market_app, position_cells,
                             run_blocking, shown_or_none, status, total_cells, watch_cells, watchlist_loaded)
from .ui_support import until


def expected_row(app, symbol: str, price: Decimal) -> list[str]:
    """Price, Mkt value, Unrl P&L of a position at `price`: qty × price, MV − cost basis."""
    position = app.state.position(symbol)
    qty, cost = Decimal(str(position.qty)), Decimal(str(position.cost_basis))
    value = qty * price
    return [fmt(price), fmt(value), fmt(value - cost, signed=True)]


def total_value(app, prices: dict[str, Decimal]) -> tuple[str, str]:
    """The Total row's Mkt value and Unrl P&L with `prices` for some symbols, the rest as read."""
    value = pl = Decimal(0)
    for position in app.state.positions:
        qty, cost = Decimal(str(position.qty)), Decimal(str(position.cost_basis))
        symbol = str(position.symbol)
        mv = qty * prices[symbol] if symbol in prices else Decimal(str(position.market_value))
        value += mv
        pl += mv - cost
    return fmt(value), fmt(pl, signed=True)


async def test_pushed_prices_move_the_watchlist_the_positions_and_the_total(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        read_at = app.refresher.schedule.fetched_at("positions")
        prices = {"NVDA": Decimal("200.00"), "TSLA": Decimal("400.00")}  # a long and a short
        want_total = total_value(app, prices)
        for symbol, price in prices.items():
            await run_blocking(sim.set_price, symbol, str(price))
        await run_blocking(sim.set_price, "QQQ", "600.00")  # watched, not held
        await until(pilot, lambda: watch_cells(app, "QQQ")[1] == "600.00", what="QQQ's Last follows")
        await until(pilot, lambda: watch_cells(app, "NVDA")[1] == "200.00", what="NVDA's Last follows")
        for symbol, price in prices.items():
            await until(pilot, lambda: position_cells(app, symbol)[4:7] == expected_row(app, symbol, price),
                        what=f"{symbol}'s Price, Mkt value and Unrl P&L follow")
        await until(pilot, lambda: (total_cells(app)[5], total_cells(app)[6]) == want_total,
                    what=f"the Total row follows: {want_total}")
        assert app.refresher.schedule.fetched_at("positions") == read_at, "moved by the stream, not a REST read"
        assert "● prices live 10/30" in status(app)
        assert not any("◌" in watch_cells(app, s)[0] for s in SAMPLE_WATCHLIST)


async def test_beyond_the_symbol_limit_prices_are_polled_marked_and_still_move(make_sim):
    sim = make_sim(portfolio="sample")
    sim.background.simulator.datastream.symbol_limit = 3
    app = market_app(sim, limit=3, quotes=0.3)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot, streamed=3)
        plan = app.market.plan
        assert plan.streamed == ("AAPL", "AMD", "MSFT")  # positions first, in the panes' order
        assert len(plan.polled) == SAMPLE_PLAN - 3
        await until(pilot, lambda: "● prices live 3/3 +7◌" in status(app), what="the polled count on the status bar")
        for symbol in SAMPLE_WATCHLIST:
            mark = watch_cells(app, symbol)[0]
            assert mark == (symbol if symbol in plan.streamed else f"{symbol} ◌"), mark
        await run_blocking(sim.set_price, "QQQ", "600.00")
        await run_blocking(sim.set_price, "NVDA", "200.00")
        await until(pilot, lambda: watch_cells(app, "QQQ")[1] == "600.00", what="a polled watchlist price moves")
        await until(pilot, lambda: position_cells(app, "NVDA")[4:7] == expected_row(app, "NVDA", Decimal(200)),
                    what="a polled position is repriced")
        await run_blocking(sim.set_price, "AAPL", "300.00")  # streamed still
        await until(pilot, lambda: watch_cells(app, "AAPL")[1] == "300.00", what="a streamed price moves")


async def test_a_server_limit_below_the_plan_is_learned_and_the_rest_polled(make_sim):
    sim = make_sim(portfolio="sample")
    sim.background.simulator.datastream.symbol_limit = 3
    app = market_app(sim, quotes=0.3)  # the app thinks 30
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await until(pilot, lambda: app.market.streaming and 0 < app.market.limit <= 3
                    and len(app.market.plan.streamed) == app.market.limit, what="the lowered limit")
        limit = app.market.limit
        await until(pilot, lambda: f"● prices live {limit}/{limit} +{SAMPLE_PLAN - limit}◌" in status(app),
                    what="the status bar says so")
        await watchlist_loaded(pilot)
        await run_blocking(sim.set_price, "QQQ", "600.00")
        await until(pilot, lambda: watch_cells(app, "QQQ") == ["QQQ ◌", "600.00"] + watch_cells(app, "QQQ")[2:],
                    what="QQQ polled, marked and moving")


async def hold_the_data_stream(port: int) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    """Another program with the same keys: connected and authenticated on /v2/iex."""
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(f"ws://127.0.0.1:{port}/v2/iex")
    assert json.loads((await ws.receive()).data)[0]["msg"] == "connected"
    await ws.send_str(json.dumps({"action": "auth", "key": KEY, "secret": SECRET}))
    assert json.loads((await ws.receive()).data)[0]["msg"] == "authenticated"
    return session, ws


async def test_another_client_holding_the_stream_leaves_snapshots_then_the_app_reconnects(make_sim):
    sim = make_sim(portfolio="sample")
    session, other = await hold_the_data_stream(sim.port)
    try:
        app = market_app(sim, quotes=0.3)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot)
            await until(pilot, lambda: "406" in app.market.detail, what="the 406 refusal")
            await until(pilot, lambda: "◌ prices: snapshots" in status(app), what="snapshots on the status bar")
            await watchlist_loaded(pilot)
            await until(pilot, lambda: all("◌" in watch_cells(app, s)[0] for s in SAMPLE_WATCHLIST),
                        what="every row marked polled")
            await run_blocking(sim.set_price, "NVDA", "200.00")
            await until(pilot, lambda: watch_cells(app, "NVDA")[1] == "200.00", what="prices from snapshots")
            await until(pilot, lambda: position_cells(app, "NVDA")[4:7] == expected_row(app, "NVDA", Decimal(200)),
                        what="positions repriced from snapshots")
            await other.close()
            await until(pilot, lambda: app.market.streaming and len(app.market.plan.streamed) == SAMPLE_PLAN,
                        what="live again once the other client let go")
            await until(pilot, lambda: "● prices live 10/30" in status(app), what="live on the status bar")
            await until(pilot, lambda: not any("◌" in watch_cells(app, s)[0] for s in SAMPLE_WATCHLIST),
                        what="no row marked polled")
            await run_blocking(sim.set_price, "NVDA", "210.00")
            await until(pilot, lambda: watch_cells(app, "NVDA")[1] == "210.00", what="streamed again")
    finally:
        await other.close()
        await session.close()


async def test_a_dropped_data_stream_comes_back_live(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    datastream = sim.background.simulator.datastream
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        first = set(datastream.sockets)
        assert len(first) == 1

        def drop() -> None:  # on the simulator's loop: the server closes the connection
            import asyncio
            for ws in list(datastream.sockets):
                asyncio.ensure_future(ws.close(code=1011, message=b"going away"))

        await run_blocking(sim.call, drop)
        await until(pilot, lambda: datastream.sockets and not datastream.sockets & first and app.market.streaming
                    and len(app.market.plan.streamed) == SAMPLE_PLAN, what="a new connection, live")
        await run_blocking(sim.set_price, "QQQ", "600.00")
        await until(pilot, lambda: watch_cells(app, "QQQ")[1] == "600.00", what="ticks on the new connection")
        assert "● prices live 10/30" in status(app)


async def test_after_the_simulator_restarts_prices_are_live_again(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim, quotes=0.3)
    second = None
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await live(pilot)
            await run_blocking(sim.stop)
            await until(pilot, lambda: not app.market.streaming, what="the data stream down")
            await until(pilot, lambda: "◌ prices" in status(app), what="the status bar says so")
            second = await run_blocking(lambda: start_simulator(port=sim.port, portfolio="sample"))
            await until(pilot, lambda: app.market.streaming and len(app.market.plan.streamed) == SAMPLE_PLAN,
                        timeout=8, what="live again on the new simulator")
            await run_blocking(second.set_price, "QQQ", "600.00")
            await until(pilot, lambda: watch_cells(app, "QQQ")[1] == "600.00", what="ticks from the new simulator")
    finally:
        if second is not None:
            second.stop()


async def test_a_ticket_for_a_streamed_symbol_takes_the_feeds_quote_without_a_request(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        await run_blocking(sim.set_price, "NVDA", "200.00")
        await until(pilot, lambda: app.market.book.get("NVDA").last == Decimal("200.00"), what="the tick")
        asked: list[str] = []
        broker = app.broker
        quote, snapshots = broker.quote, broker.snapshots

        def counted_quote(symbol):
            asked.append(symbol)
            return quote(symbol)

        def counted_snapshots(symbols, *args, **kwargs):
            asked.extend(symbols)
            return snapshots(symbols, *args, **kwargs)

        broker.quote, broker.snapshots = counted_quote, counted_snapshots
        await pilot.press("b")
        await until(pilot, lambda: isinstance(app.screen, TicketScreen), what="the ticket")
        ticket = app.screen
        await pilot.press(*"NVDA", "tab")
        await until(pilot, lambda: ticket.asset_symbol == "NVDA" and ticket.quote is not None, what="NVDA's quote")
        assert ticket.quote.last == Decimal("200.00")
        assert asked == [], f"snapshots asked for {asked}"


async def test_on_a_narrow_screen_the_status_says_snapshots_too(make_sim):
    sim = make_sim(portfolio="sample")
    session, other = await hold_the_data_stream(sim.port)
    try:
        app = market_app(sim, quotes=0.3)
        async with app.run_test(size=(80, 24)) as pilot:
            await loaded(pilot)
            await until(pilot, lambda: "406" in app.market.detail, what="the 406 refusal")
            await until(pilot, lambda: "◌ prices: snapshots" in status(app) or "◌ snap" in status(app),
                        what="snapshots on the narrow status bar")
            assert "● prices live" not in status(app)
    finally:
        await other.close()
        await session.close()
