"""`alpaca-tui export` and the writers behind it: what a script gets is what Alpaca said,
column for column (CSV and JSON read back and compared with the REST answers), with text
that a spreadsheet would run made inert and junk from a server left empty."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import stat
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from tui import cli, export
from tui.broker.activities import parse_activities

from .harness.simulator import HEADERS, ROOT, SimulatorProcess, wait_for
from .hostile import hostile  # noqa: F401  (the fixture)
from .test_broker_history import WIRE

# ---- the writers -------------------------------------------------------------------------------

ROWS = [
    {"symbol": "=HYPERLINK(\"http://evil\",\"x\")", "qty": Decimal("-15"), "price": Decimal("1E+3"),
     "description": "+1 call me", "order_id": "-2", "status": "@SUM(A1)", "transaction_time":
     datetime(2026, 3, 10, 15, 0, 0, 123456, tzinfo=UTC), "date": date(2026, 3, 10), "side": "buy",
     "type": "\tcmd", "id": None},
]
COLUMNS = ("id", "symbol", "qty", "price", "description", "order_id", "status", "transaction_time", "date",
           "side", "type")


def test_csv_cells_a_spreadsheet_would_run_get_an_apostrophe_numbers_do_not():
    out = io.StringIO(newline="")
    assert export.write_csv(ROWS, COLUMNS, out) == 1
    got = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert got == [{
        "id": "", "symbol": "'=HYPERLINK(\"http://evil\",\"x\")", "qty": "-15", "price": "1000",
        "description": "'+1 call me", "order_id": "'-2", "status": "'@SUM(A1)",
        "transaction_time": "2026-03-10T15:00:00.123456+00:00", "date": "2026-03-10", "side": "buy",
        "type": "'\tcmd"}]
    assert out.getvalue().splitlines()[0] == ",".join(COLUMNS)


def test_json_is_a_list_of_objects_with_numbers_as_plain_strings():
    out = io.StringIO()
    export.write(ROWS, COLUMNS, out, "json")
    assert json.loads(out.getvalue()) == [{
        "id": None, "symbol": "=HYPERLINK(\"http://evil\",\"x\")", "qty": "-15", "price": "1000",
        "description": "+1 call me", "order_id": "-2", "status": "@SUM(A1)",
        "transaction_time": "2026-03-10T15:00:00.123456+00:00", "date": "2026-03-10", "side": "buy",
        "type": "\tcmd"}]
    with pytest.raises(ValueError):
        export.write(ROWS, COLUMNS, out, "xlsx")


def test_rows_read_junk_as_empty_and_text_clean():
    junk = {"symbol": "AB\x1b[2JC", "qty": "abc", "avg_entry_price": "NaN", "market_value": "1e999999999",
            "unrealized_pl": "-12.50", "cost_basis": {"x": 1}, "current_price": "=2+3", "side": ["long"],
            "change_today": True}
    (row,) = export.position_rows([junk])
    assert row["symbol"] == "ABC" and row["unrealized_pl"] == Decimal("-12.50")
    assert [row[k] for k in ("qty", "avg_entry_price", "market_value", "cost_basis", "current_price", "side",
                             "change_today", "exchange")] == [None] * 8
    (order,) = export.order_rows([{"id": "o1", "submitted_at": "not a time", "filled_at": "2026-03-10T11:00:00Z",
                                   "extended_hours": False, "legs": None, "qty": 1.5}])
    assert order["submitted_at"] is None and order["filled_at"] == datetime(2026, 3, 10, 11, tzinfo=UTC)
    assert order["extended_hours"] is False and order["qty"] == Decimal("1.5")
    rows = export.activity_rows(parse_activities(WIRE))
    out = io.StringIO(newline="")
    export.write_csv(rows, export.ACTIVITY_COLUMNS, out)
    back = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert len(back) == 15
    assert back[13]["net_amount"] == back[13]["qty"] == back[13]["date"] == back[13]["id"] == ""
    assert back[14]["price"] == back[14]["transaction_time"] == back[14]["leaves_qty"] == ""
    assert back[3]["net_amount"] == "-0.02"  # a negative number is not a formula


def test_a_bracket_order_exports_its_legs_as_rows_after_it():
    legs = [{"id": "tp", "type": "limit"}, {"id": "sl", "type": "stop"}]
    rows = export.order_rows([{"id": "parent", "order_class": "bracket", "legs": legs}, {"id": "next"}])
    assert [r["id"] for r in rows] == ["parent", "tp", "sl", "next"]


# ---- the command, as a script runs it ----------------------------------------------------------

def _env(url: str | None, keys: bool = True) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALPACA_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    if url is not None:
        env["ALPACA_BASE_URL"] = url
    if keys:
        env.update(ALPACA_API_KEY=HEADERS["APCA-API-KEY-ID"], ALPACA_SECRET_KEY=HEADERS["APCA-API-SECRET-KEY"])
    return env


def _run(cwd: Path, url: str | None, *args: str, keys: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui", "export", *args], cwd=cwd, env=_env(url, keys),
                          capture_output=True, text=True, timeout=60)


def _rest(url: str, path: str, **params: str):
    answer = requests.get(url + path, headers=HEADERS, params=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def _same(column: str, exported: object, sent: object) -> bool:
    """An exported value (CSV text or JSON value) against what the server sent."""
    if sent is None or sent == "":
        return exported in ("", None)
    if column in export.NUMBER_COLUMNS:
        return Decimal(str(exported)) == Decimal(str(sent))
    if column in export.TIME_COLUMNS:
        return datetime.fromisoformat(str(exported)) == datetime.fromisoformat(str(sent).replace("Z", "+00:00"))
    if isinstance(sent, bool):
        return exported in (sent, "true" if sent else "false")
    return exported == str(sent)


@pytest.fixture(scope="module")
def sim_process():
    """`alpaca-tui sim` as its own process, the sample portfolio plus a few orders: filled,
    resting, canceled, and one whose client_order_id is a spreadsheet formula.

    The sample comes with a seeded past (closed orders, fills, cash activities), so the
    process is given, as `seeded_orders` and `seeded_fills`, how many orders and fills it
    held before these, and as `placed` the ids of these orders with the status each ends in."""
    with SimulatorProcess("--portfolio", "sample", "--rate-limit", "0", "--prices", "static") as sim:
        def post(body):
            answer = requests.post(sim.url + "/v2/orders", json=body, headers=HEADERS, timeout=10)
            assert answer.status_code == 200, answer.text
            return answer.json()

        def fills() -> list:
            return _rest(sim.url, "/v2/account/activities/FILL", page_size="100")

        sim.seeded_orders = len(_rest(sim.url, "/v2/orders", status="all", limit="500"))
        sim.seeded_fills = len(fills())
        assert sim.seeded_orders < 495 and sim.seeded_fills < 97  # what follows fits one page of each
        sim.placed = {}
        for symbol, qty in [("AAPL", "2"), ("MSFT", "1"), ("NVDA", "5")]:
            order = post({"symbol": symbol, "qty": qty, "side": "buy", "type": "market", "time_in_force": "day"})
            sim.placed[order["id"]] = "filled"
        rests = post({"symbol": "AMD", "qty": "1", "side": "buy", "type": "limit", "limit_price": "1.5",
                      "time_in_force": "gtc", "client_order_id": "=cmd|' /C calc'!A0"})
        sim.placed[rests["id"]] = "new"
        gone = post({"symbol": "SPY", "qty": "1", "side": "buy", "type": "limit", "limit_price": "2",
                     "time_in_force": "day", "client_order_id": "-2+3"})
        requests.delete(sim.url + f"/v2/orders/{gone['id']}", headers=HEADERS, timeout=10)
        sim.placed[gone["id"]] = "canceled"
        wait_for(lambda: len(fills()) == sim.seeded_fills + 3)  # the three market orders, filled
        yield sim


def test_positions_csv_on_stdout_are_the_rest_answer(sim_process, tmp_path):
    done = _run(tmp_path, sim_process.url, "positions", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    sent = _rest(sim_process.url, "/v2/positions")
    assert [r["symbol"] for r in rows] == [p["symbol"] for p in sent] and len(rows) == 6
    assert list(rows[0]) == list(export.POSITION_COLUMNS)
    for row, position in zip(rows, sent):
        for column in export.POSITION_COLUMNS:
            assert _same(column, row[column], position.get(column)), (column, row[column], position.get(column))
    short = next(r for r in rows if r["symbol"] == "TSLA")
    assert short["qty"].startswith("-") and short["market_value"].startswith("-")  # numbers are never guarded
    for row in rows:  # raw numbers: no thousands separators, no exponent, no currency sign
        assert all(re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", row[c]) for c in export.POSITION_COLUMNS
                   if c in export.NUMBER_COLUMNS and row[c])


def test_orders_json_to_a_file_are_every_order_oldest_first(sim_process, tmp_path):
    target = tmp_path / "orders.json"
    done = _run(tmp_path, sim_process.url, "orders", "--format", "json", "--output", str(target))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr.strip() == str(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    exported = json.loads(target.read_text())
    sent = _rest(sim_process.url, "/v2/orders", status="all", direction="asc", limit="500", nested="true")
    # The sample's seeded past and its 3 resting orders, then 3 filled, 1 resting, 1 canceled
    assert len(exported) == len(sent) == sim_process.seeded_orders + 5
    assert [o["id"] for o in exported] == [o["id"] for o in sent]
    assert {o["id"]: o["status"] for o in exported if o["id"] in sim_process.placed} == sim_process.placed
    for order, original in zip(exported, sent):
        assert list(order) == list(export.ORDER_COLUMNS)
        for column in export.ORDER_COLUMNS:
            assert _same(column, order[column], original.get(column)), (column, order[column], original.get(column))
    assert {"new", "filled", "canceled"} <= {o["status"] for o in exported}
    assert "=cmd|' /C calc'!A0" in {o["client_order_id"] for o in exported}  # JSON: as sent

    since = _run(tmp_path, sim_process.url, "orders", "--since", "2200-01-01")
    assert since.returncode == 0 and since.stdout.splitlines() == [",".join(export.ORDER_COLUMNS)]


def test_orders_csv_guards_formulas_in_text_cells(sim_process, tmp_path):
    done = _run(tmp_path, sim_process.url, "orders")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    ids = {r["client_order_id"] for r in rows}
    assert "'=cmd|' /C calc'!A0" in ids and "'-2+3" in ids
    assert not any(i.startswith(("=", "+", "-", "@")) for i in ids)


def test_fills_csv_are_the_fill_activities(sim_process, tmp_path):
    done = _run(tmp_path, sim_process.url, "fills")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    sent = _rest(sim_process.url, "/v2/account/activities/FILL", direction="asc", page_size="100")
    assert len(rows) == len(sent) == sim_process.seeded_fills + 3  # the seeded past's, then the fixture's
    filled = {i for i, status in sim_process.placed.items() if status == "filled"}
    assert {r["order_id"] for r in rows[-3:]} == filled
    for row, fill in zip(rows, sent):
        for column in export.FILL_COLUMNS:
            assert _same(column, row[column], fill.get(column)), (column, row[column], fill.get(column))
    activities = _run(tmp_path, sim_process.url, "activities", "--format", "json")
    assert activities.returncode == 0, activities.stderr
    every = _rest(sim_process.url, "/v2/account/activities", direction="asc", page_size="100")
    assert len(every) < 100  # one page: all of them
    exported = json.loads(activities.stdout)
    assert [a["id"] for a in exported] == [a["id"] for a in every]
    assert [a["id"] for a in exported if a["activity_type"] == "FILL"] == [f["id"] for f in sent]


def test_realized_csv_is_realize_over_the_fills_since_the_date(sim_process, tmp_path):
    from tui.broker.activity import parse_fill
    from tui.state.realized import lots_before, realize

    held = {p["symbol"]: Decimal(p["qty"]) for p in _rest(sim_process.url, "/v2/positions")}
    sent = _rest(sim_process.url, "/v2/account/activities/FILL", direction="asc", page_size="100")
    # Everything: the sample's KO sells close its KO buy. After that buy: the sells close
    # shares held before the fills read, unmatched (no cost invented).
    for since in (None, sent[0]["transaction_time"]):
        fills = [parse_fill(f) for f in sent if since is None or f["transaction_time"] > since]
        closes = realize(fills, lots_before(held, fills)).closes
        done = _run(tmp_path, sim_process.url, "realized", *(("--since", since) if since else ()))
        assert done.returncode == 0, done.stderr
        rows = list(csv.DictReader(io.StringIO(done.stdout)))
        assert done.stdout.splitlines()[0] == ",".join(export.REALIZED_COLUMNS)
        assert len(rows) == len(closes) > 0, since
        assert all(bool(close.lots) == (since is None) for close in closes)
        for row, close in zip(rows, closes):
            assert (row["id"], row["order_id"], row["symbol"]) == (close.fill_id, close.order_id, close.symbol)
            assert Decimal(row["qty"]) == close.qty and row["method"] == "FIFO"
            assert (row["realized_pl"] and Decimal(row["realized_pl"]) == close.realized) or \
                (not close.lots and row["realized_pl"] == "" and Decimal(row["unmatched_qty"]) == close.qty)


def test_without_keys_it_says_so_and_starts_no_demo(tmp_path):
    done = _run(tmp_path, None, "positions", keys=False)
    assert done.returncode == 2 and done.stdout == ""
    assert "ALPACA_API_KEY" in done.stderr and "demo" not in done.stderr


def test_refusals_before_any_request(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no .env
    for name in [k for k in os.environ if k.startswith("ALPACA_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ALPACA_API_KEY", "k")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "s")
    monkeypatch.setenv("ALPACA_BASE_URL", "http://example.com")  # the keys in clear text: refused
    assert cli.main(["export", "positions"]) == 2
    assert "plain http" in capsys.readouterr().err
    monkeypatch.setenv("ALPACA_BASE_URL", "http://127.0.0.1:9")
    assert cli.main(["export", "positions", "--since", "2026-01-01"]) == 2
    assert "--since" in capsys.readouterr().err
    assert cli.main(["export", "orders"]) == 1  # nothing listens there
    assert "cannot reach the server" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["export", "watchlists"])


POSITION = {"asset_id": "f4b286db-72c2-502c-bb04-e20e4e36f7f5", "symbol": "AAPL", "exchange": "NASDAQ",
            "asset_class": "us_equity", "avg_entry_price": "240.62", "qty": "50", "side": "long",
            "cost_basis": "12031", "market_value": "13417.00", "unrealized_pl": "-1386.5"}


def test_junk_from_a_server_becomes_empty_cells(hostile, tmp_path, monkeypatch, capsys):
    fake = hostile()
    junk = {**POSITION, "symbol": "=HYPERLINK(\"http://evil\")\x1b[2J", "qty": "abc", "avg_entry_price": "NaN",
            "market_value": "1e999999999", "cost_basis": "=2+3", "unrealized_pl": "",
            "current_price": "9" * 100, "change_today": "-0.5"}
    new_exchange = {**POSITION, "symbol": "ZZ", "exchange": "NEWEX", "asset_class": "us_future"}
    fake.answer("GET", "/v2/positions", json=[POSITION, junk, new_exchange])
    fake.answer("GET", "/v2/account/activities", json=WIRE)
    done = _run(tmp_path, fake.url, "positions")
    assert done.returncode == 0, done.stderr
    good, bad, unknown = csv.DictReader(io.StringIO(done.stdout))
    assert (unknown["exchange"], unknown["asset_class"]) == ("NEWEX", "us_future")  # alpaca-py would refuse all
    assert good["market_value"] == "13417" and good["unrealized_pl"] == "-1386.5"
    assert bad["symbol"] == "'=HYPERLINK(\"http://evil\")"
    assert [bad[k] for k in ("qty", "avg_entry_price", "market_value", "cost_basis", "unrealized_pl",
                             "current_price")] == [""] * 6
    assert bad["change_today"] == "-0.5"

    monkeypatch.chdir(tmp_path)
    for name in [k for k in os.environ if k.startswith("ALPACA_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ALPACA_API_KEY", "k")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "s")
    monkeypatch.setenv("ALPACA_BASE_URL", fake.url)
    assert cli.main(["export", "activities"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["activity_type"] for r in rows][:13] == [
        "FILL", "DIV", "INT", "FEE", "CSD", "CSW", "JNLC", "JNLS", "SPLIT", "OPASN", "OPEXP", "REORG", "BRANDNEW"]
    assert rows[13]["net_amount"] == "" and "\x1b" not in rows[13]["description"]

    orders = [{"id": "o1", "client_order_id": "@risky", "symbol": "AAPL", "status": "pending_review_v2",
               "type": "market", "side": "buy", "qty": "1", "filled_qty": "x", "submitted_at": "2026-03-10T15:00:00Z",
               "legs": "junk", "extended_hours": "maybe"},
              "not an order",
              {"id": "o2", "status": "filled", "qty": 2.0, "filled_avg_price": "NaN", "submitted_at": 7,
               "legs": [{"id": "leg", "type": "stop", "stop_price": "190"}, 5]}]
    fake.answer("GET", "/v2/orders", json=orders)
    assert cli.main(["export", "orders", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert [o["id"] for o in got] == ["o1", "o2", "leg"]
    assert got[0]["status"] == "pending_review_v2" and got[0]["client_order_id"] == "@risky"  # JSON: as sent
    assert got[0]["filled_qty"] is None and got[0]["extended_hours"] is None
    assert got[1]["qty"] == "2" and got[1]["filled_avg_price"] is None and got[1]["submitted_at"] is None
    assert got[2]["stop_price"] == "190"

    fake.answer("GET", "/v2/positions", status=500, body=b"<html>oops</html>")
    assert cli.main(["export", "positions"]) == 1
    assert "500" in capsys.readouterr().err


def test_the_export_and_history_modules_import_no_ui():
    code = ("import sys, tui.export, tui.broker.history, tui.broker.activities, tui.cli; "
            "print(','.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env=_env(None, keys=False))
    loaded = set(out.stdout.strip().split(","))
    assert sorted(m for m in loaded if m.split(".")[0] == "textual" or m.startswith(("tui.ui", "tui.state"))) == []
