"""`E` on the History screen writes what it shows: the activities read (as filtered), or the
realized P&L's closes in the range; parsed back, the files are the simulator's REST answers
and realize() over its fills. Nothing shown, nothing written."""

from __future__ import annotations

import csv
import os
import stat
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from alpaca.trading.requests import MarketOrderRequest

from tui import export
from tui.broker.activity import parse_fill
from tui.export import FORMULA_STARTS
from tui.export_files import write_export
from tui.sim.model import CashActivity, activity_id
from tui.state.realized import METHOD, lots_before, realize
from tui.ui import compat
from tui.ui.screens.history import ActivityFilter, HistoryScreen

from .conftest import wait_for
from .test_export import _same
from .test_ui_history import filled, open_history, rest_activities
from .ui_support import loaded, make_app, until


def written(directory, prefix: str, columns) -> list[dict]:
    [path] = [p for p in directory.iterdir() if p.name.startswith(prefix)]
    assert path.suffix == ".csv" and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == tuple(columns)
    return rows


def toasts(app) -> list[str]:
    # A toast wraps a path over lines (at its hyphens too): read it whole.
    return [f"{n.title} {n.message.replace(chr(10), '')}" for n in compat.shown_notifications(app)]


async def test_E_writes_the_activities_read_as_filtered_with_formulas_guarded(make_sim, tmp_path):
    sim = make_sim(portfolio="sample")
    at = datetime.now(timezone.utc) - timedelta(minutes=5)
    # A fee whose description a spreadsheet would run.
    sim.call(lambda: sim.exchange.cash_activities.append(CashActivity(
        id=activity_id(at, sim.exchange.uuid()), at=at, activity_type="FEE", net_amount=Decimal("-1.25"),
        description="=HYPERLINK(\"http://evil\",\"x\")", symbol="AAPL")))
    wire = rest_activities(sim)
    assert len(wire) < 100  # one page: all of them read
    app = make_app(sim, export_dir=tmp_path)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await open_history(pilot, app)
        await until(pilot, lambda: not screen.more and not screen.loading, timeout=10, what="every page")
        await pilot.press("E")
        await until(pilot, lambda: any(p.name.startswith("activities-") for p in tmp_path.iterdir()),
                    what="the activities file")
        await until(pilot, lambda: any(f"Exported {len(wire)} activities" in t and str(tmp_path) in t
                                       for t in toasts(app)), what="the toast")
        rows = written(tmp_path, "activities-", export.ACTIVITY_COLUMNS)
        assert [r["id"] for r in rows] == [a["id"] for a in wire]  # as shown: newest first
        for row, sent in zip(rows, wire):
            for column in export.ACTIVITY_COLUMNS:
                if column in ("description", "symbol") and str(sent.get(column, "")).startswith(FORMULA_STARTS):
                    assert row[column] == "'" + sent[column]  # guarded
                    continue
                if column == "date" and sent.get("date"):
                    assert row[column] == sent["date"][:10]
                    continue
                assert _same(column, row[column], sent.get(column)), (column, row[column], sent.get(column))
        assert any(r["description"].startswith("'=HYPERLINK") for r in rows)
        assert not any(r["description"].startswith(("=", "+", "@")) for r in rows)

        # Filtered: the file holds what the filter keeps, nothing else.
        screen.filter = ActivityFilter(("DIV",))
        screen.start()
        await until(pilot, lambda: not screen.more and not screen.loading and screen.shown, timeout=10)
        for path in list(tmp_path.iterdir()):
            path.unlink()
        await pilot.press("E")
        await until(pilot, lambda: any(p.name.startswith("activities-") for p in tmp_path.iterdir()))
        rows = written(tmp_path, "activities-", export.ACTIVITY_COLUMNS)
        assert [r["id"] for r in rows] == [a["id"] for a in rest_activities(sim, "/DIV")]
        assert {r["activity_type"] for r in rows} == {"DIV"}


async def test_E_says_when_more_activities_are_on_the_server(make_sim, tmp_path):
    sim = make_sim()
    for _ in range(105):
        sim.client.submit_order(MarketOrderRequest(symbol="AAPL", qty=1, side="buy", time_in_force="day"))
    wait_for(lambda: len(rest_activities(sim)) == 105, timeout=20)
    app = make_app(sim, export_dir=tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_history(pilot, app)
        assert screen.more and len(screen.shown) == 100
        await pilot.press("E")
        await until(pilot, lambda: any("more on the server" in t for t in toasts(app)), what="the note")
        assert any("Exported 100 activities" in t for t in toasts(app))
        assert len(written(tmp_path, "activities-", export.ACTIVITY_COLUMNS)) == 100


async def test_E_writes_the_realized_pnl_closes_as_realize_works_them_out(make_sim, tmp_path):
    sim = make_sim()
    sim.set_price("AAPL", "100")
    filled(sim, 2, "buy")
    sim.set_price("AAPL", "110")
    filled(sim, 1, "buy")
    sim.set_price("AAPL", "120.37")
    filled(sim, 2, "sell")  # closes the first lot
    sim.set_price("AAPL", "90")
    filled(sim, 1, "sell")  # closes the second, at a loss
    sim.set_price("AAPL", "95.5")
    filled(sim, 2, "sell")  # opens a short (Alpaca's fill says sell_short)
    sim.set_price("AAPL", "93")
    filled(sim, 1, "buy")  # covers half of it
    fills = [parse_fill(f) for f in rest_activities(sim, "/FILL")]
    positions = {p.symbol: Decimal(p.qty) for p in sim.client.get_all_positions()}
    expected = realize(fills, lots_before(positions, fills)).closes
    assert len(expected) == 3 and expected[-1].short
    app = make_app(sim, export_dir=tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_history(pilot, app)
        await pilot.press("p")
        await until(pilot, lambda: screen.realized is not None and not screen.pnl_loading, timeout=10)
        await pilot.press("E")
        await until(pilot, lambda: any(p.name.startswith("realized-pnl-") for p in tmp_path.iterdir()),
                    what="the realized P&L file")
        await until(pilot, lambda: any("Exported 3 realized P&L closes" in t for t in toasts(app)))
        rows = written(tmp_path, "realized-pnl-", export.REALIZED_COLUMNS)
        # The command palette's export does the same from here.
        [command] = [c for c in app.get_system_commands(screen) if c.title == "Export the current view (CSV)"]
        await command.callback()  # run_action: a coroutine, as the palette awaits it
        await until(pilot, lambda: len([p for p in tmp_path.iterdir() if p.name.startswith("realized-pnl-")]) == 2,
                    what="a second file")
    assert list(rows[0]) == list(export.REALIZED_COLUMNS)
    assert len(rows) == len(expected)
    for row, close in zip(rows, expected):  # oldest first, exact
        assert datetime.fromisoformat(row["transaction_time"]) == close.at
        assert (row["symbol"], row["side"], row["id"], row["order_id"]) == \
            (close.symbol, close.side, close.fill_id, close.order_id)
        assert row["order_id"] and row["method"] == METHOD == "FIFO"
        assert Decimal(row["qty"]) == close.qty and Decimal(row["price"]) == close.close_price
        assert Decimal(row["realized_pl"]) == close.realized and Decimal(row["cost_basis"]) == close.cost
        assert Decimal(row["avg_open_price"]) == close.open_price
        assert row["same_day"] == "true" and Decimal(row["unmatched_qty"]) == 0
        assert row["position_side"] == ("short" if close.short else "long")
    first = rows[0]
    buys = sorted((f for f in fills if f.side == "buy"), key=lambda f: f.at)
    assert Decimal(first["realized_pl"]) == (Decimal(first["price"]) - buys[0].price) * 2
    assert "E" not in first["realized_pl"] and "," not in first["realized_pl"]  # raw: no exponent, no separators


async def test_E_on_an_empty_realized_view_writes_nothing(make_sim, tmp_path):
    sim = make_sim()  # a new account: no activities, no fills
    app = make_app(sim, export_dir=tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("h")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), what="the history screen")
        screen = app.screen
        await until(pilot, lambda: not screen.loading and not screen.more, timeout=10, what="no activities")
        await pilot.press("E")
        await until(pilot, lambda: any("Nothing to export: no activities" in t for t in toasts(app)))
        await pilot.press("p")
        await until(pilot, lambda: screen.realized is not None and not screen.pnl_loading, timeout=10)
        await pilot.press("E")
        await until(pilot, lambda: any("Nothing to export: no closing fills" in t for t in toasts(app)),
                    what="the refusal")
        await pilot.pause(0.2)
        assert list(tmp_path.iterdir()) == []


def test_realized_rows_are_exact_and_guarded(tmp_path):
    from tui.state.realized import Close, MatchedLot

    at = datetime(2026, 12, 7, 15, 30, tzinfo=timezone.utc)
    close = Close("=1+1", at, "AAPL", "sell", False, Decimal("1.5"),
                  (MatchedLot(at - timedelta(days=1), Decimal("1"), Decimal("100.123456789")),
                   MatchedLot(at, Decimal("0.5"), Decimal("101"))),
                  Decimal("110.000000001"), Decimal("14.3765432125"), order_id="-oops")
    unmatched = Close("f2", at, "MSFT", "sell", False, Decimal("3"), (), Decimal("400"), Decimal(0),
                      unmatched=Decimal("3"))
    path, count = write_export("realized", [close, unmatched], "realized-pnl", datetime(2026, 12, 7), tmp_path)
    assert count == 2 and path.name == "realized-pnl-20261207-000000.csv"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, newline="", encoding="utf-8") as file:
        first, second = csv.DictReader(file)
    assert first["id"] == "'=1+1" and first["order_id"] == "'-oops"  # text: guarded
    assert first["cost_basis"] == "150.623456789" and first["matched_qty"] == "1.5"
    assert first["realized_pl"] == "14.3765432125" and first["price"] == "110.000000001"
    assert first["same_day"] == "false" and first["same_day_qty"] == "0.5"
    assert first["transaction_time"] == "2026-12-07T15:30:00+00:00"
    # Nothing of known cost matched: no P&L, no cost, all of it unmatched.
    assert second["realized_pl"] == second["cost_basis"] == second["avg_open_price"] == ""
    assert second["unmatched_qty"] == "3" and second["same_day"] == "false"
