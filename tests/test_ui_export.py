"""`E` writes what the focused pane shows to a new CSV file and says where: positions, and
the Orders pane's open, closed or all orders and fills; parsed back, the files are the
simulator's REST answers."""

from __future__ import annotations

import csv
import os
import stat

import requests

from tui.ui import compat
from tui.ui.widgets.orders import OrdersPane

from .ui_support import loaded, make_app, screen_text, until

HEADERS = {"APCA-API-KEY-ID": "someone", "APCA-API-SECRET-KEY": "x"}


def rest(sim, path: str) -> list[dict]:
    answer = requests.get(sim.url + path, headers=HEADERS, timeout=10)
    answer.raise_for_status()
    return answer.json()


def exported(directory, prefix: str) -> list[dict]:
    [path] = [p for p in directory.iterdir() if p.name.startswith(prefix)]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


async def test_E_exports_the_positions_and_each_orders_view(make_sim, tmp_path):
    sim = make_sim(portfolio="sample")
    app = make_app(sim, export_dir=tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("2", "E")
        await until(pilot, lambda: any(p.name.startswith("positions-") for p in tmp_path.iterdir()),
                    what="the positions file")
        # The whole path is said (a toast wraps it over lines, never cuts it).
        await until(pilot, lambda: any(str(tmp_path) in n.message.replace("\n", "") and "positions-" in n.message
                                       for n in compat.shown_notifications(app)), what="its path said")
        rows = exported(tmp_path, "positions-")
        answer = {p["symbol"]: p for p in rest(sim, "/v2/positions")}
        assert {r["symbol"] for r in rows} == set(answer) and len(rows) == 6
        for row in rows:
            for field in ("qty", "avg_entry_price", "side"):
                assert row[field] == str(answer[row["symbol"]][field]), (row["symbol"], field)

        pane = app.main.query_one(OrdersPane)
        await pilot.press("3", "E")  # the open orders
        await until(pilot, lambda: any(p.name.startswith("orders-open-") for p in tmp_path.iterdir()))
        assert {r["id"] for r in exported(tmp_path, "orders-open-")} == \
            {o["id"] for o in rest(sim, "/v2/orders?status=open")}

        await pilot.press("f")  # closed: the sample's past
        closed = rest(sim, "/v2/orders?status=closed&limit=500")
        await until(pilot, lambda: f"closed ({len(closed)})" in pane.border_title, timeout=10)
        await pilot.press("E")
        await until(pilot, lambda: any(p.name.startswith("orders-closed-") for p in tmp_path.iterdir()))
        rows = exported(tmp_path, "orders-closed-")
        assert [r["id"] for r in rows if not r.get("parent_id")] == [o["id"] for o in closed] or \
            {r["id"] for r in rows} >= {o["id"] for o in closed}
        assert {r["status"] for r in rows} >= {"filled", "canceled", "expired", "rejected", "replaced"}


def test_an_export_never_overwrites_and_leaves_no_partial_file(tmp_path):
    from datetime import datetime

    from tui.export_files import write_export

    now = datetime(2026, 12, 7, 23, 15, 2)
    positions = [{"symbol": "AAPL", "qty": "5", "avg_entry_price": "=cmd|' /C calc'!A0", "side": "long"}]
    first, count = write_export("positions", positions, "positions", now, tmp_path)
    second, _ = write_export("positions", positions, "positions", now, tmp_path)  # the same second
    assert count == 1 and first.name == "positions-20261207-231502.csv"
    assert second.name == "positions-20261207-231502-1.csv"
    assert {p.name for p in tmp_path.iterdir()} == {first.name, second.name}  # no .partial left
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    [row] = exported_rows(first)
    assert row["symbol"] == "AAPL" and row["qty"] == "5"


def exported_rows(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_the_toast_shows_the_whole_path_at_80x24(tmp_path):
    """In a real terminal: the path is wrapped to the width the toast really has (Textual's
    toast rack keeps a scrollbar's width). Wrapped 2 cells too wide, a last line of 44
    cells was folded again by Textual and its end cut off. The data directory is chosen so
    that the file's name is such a line."""
    import textwrap

    from .harness.terminal import APP, Terminal, app_env

    name = "realized-pnl-20261208-000000.csv"  # as long as every export of realized P&L
    for k in range(1, 80):  # a directory whose path wraps (at 45 cells) just before "tui/exports/…"
        data = tmp_path / ("d" * k)
        if textwrap.wrap(f"{data}/alpaca-tui/exports/{name}", 45)[-1] == f"tui/exports/{name}":
            break
    env = app_env(XDG_DATA_HOME=str(data), ALPACA_TUI_AUDIT_LOG=str(tmp_path / "audit.jsonl"))
    with Terminal([*APP, "--demo"], env, cwd=tmp_path, columns=80, lines=24) as term:
        term.expect("Positions (6)", "Orders (3)", timeout=30)
        term.send("s")  # a close today: the realized view has a row to export
        term.expect("Enter review", timeout=10)
        term.send("\x15AAPL\t1\r")
        term.expect("y send", timeout=10)
        term.send("y")
        term.expect("Realized ", timeout=10)
        assert term.wait_for(lambda text: "Realized        ±0.00" not in text and "AAPL" in text, timeout=10)
        term.send("h")
        term.expect("Account activities", timeout=10)
        term.send("p")
        term.expect("1 close", timeout=10)
        term.send("E")
        folder = data / "alpaca-tui" / "exports"
        assert term.wait_for(lambda text: folder.exists() and any(folder.iterdir()), timeout=10) is not None
        [path] = list(folder.iterdir())

        def shown(text: str) -> str:  # the toasts' lines, joined: a wrapped path reads whole again
            return "".join(line.split("▌", 1)[1].rstrip(" │─╮╯").strip() for line in text.splitlines() if "▌" in line)

        assert term.wait_for(lambda text: str(path) in shown(text), timeout=10) is not None, term.text()
        term.send("q")
