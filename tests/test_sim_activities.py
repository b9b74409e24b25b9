"""Account activities over HTTP (docs: alpaca-api.md §2 "Fill activity", §8 "Account
activities"): every type in one stream, by type, by category, by date and time, paged by
page_token, in Alpaca's shapes, parsed by alpaca-py's TradeActivity / NonTradeActivity;
and the sample account's ledger adding up to its cash."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import requests
from alpaca.trading.models import NonTradeActivity, TradeActivity

from tui.sim.fmt import NY

from .harness.simulator import HEADERS
from .test_sim_orders import SELL, market, wait_status

ID = re.compile(r"\d{17}::[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
NON_TRADE_FIELDS = {"id", "account_id", "activity_type", "activity_sub_type", "date", "net_amount", "description",
                    "symbol", "qty", "per_share_amount", "status"}
OPTIONAL_FIELDS = {"symbol", "qty", "per_share_amount", "activity_sub_type"}  # absent when meaningless
TRADE_FIELDS = {"id", "account_id", "activity_type", "transaction_time", "type", "price", "qty", "side", "symbol",
                "leaves_qty", "order_id", "cum_qty", "order_status"}


def activities(sim, path: str = "", **params) -> list[dict]:
    return sim.client.get("/account/activities" + path, params or None)


def raw(sim, path: str = "", **params) -> requests.Response:
    return requests.get(sim.url + "/v2/account/activities" + path, params=params, headers=HEADERS, timeout=5)


def every(sim, page_size: int, **params) -> list[dict]:
    """All activities, page after page, as a client pages with page_token."""
    found: list[dict] = []
    token = None
    while True:
        page = activities(sim, page_size=page_size, **params, **({"page_token": token} if token else {}))
        assert len(page) <= page_size
        found += page
        if len(page) < page_size:
            return found
        token = page[-1]["id"]


@pytest.fixture
def sample(make_sim):
    return make_sim(portfolio="sample")


def test_every_type_in_one_stream_newest_first(sample):
    found = activities(sample)
    kinds = {a["activity_type"] for a in found}
    assert {"FILL", "DIV", "FEE", "INT", "CSD", "JNLC"} <= kinds
    ids = [a["id"] for a in found]
    assert all(ID.fullmatch(i) for i in ids)
    assert ids == sorted(ids, reverse=True)  # ids sort as time does
    for activity in found:
        if activity["activity_type"] == "FILL":
            assert set(activity) == TRADE_FIELDS
            # Alpaca says sell_short on a short sale's fill (tui/daytrades.py counts on it);
            # alpaca-py 0.44's model only knows buy and sell.
            parsed = TradeActivity(**{**activity, "side": activity["side"].replace("sell_short", "sell")})
            assert parsed.type.value in ("fill", "partial_fill")
        else:
            # symbol, qty, per_share_amount, activity_sub_type appear only where they mean something.
            assert NON_TRADE_FIELDS - OPTIONAL_FIELDS <= set(activity) <= NON_TRADE_FIELDS
            assert activity["status"] == "executed"
            assert ("per_share_amount" in activity) == (activity["activity_type"] == "DIV")
            parsed = NonTradeActivity(**activity)
            assert parsed.date.isoformat() == activity["date"] == activity["id"][:8][:4] + "-" + \
                activity["id"][4:6] + "-" + activity["id"][6:8]
    # Spread over past days, all before today.
    today = datetime.now(NY).date().isoformat()
    dates = {a.get("date") or a["transaction_time"][:10] for a in found}
    assert len(dates) > 10 and today not in dates


def test_by_type_by_list_and_by_category(sample):
    dividends = activities(sample, "/DIV")
    assert dividends and {a["activity_type"] for a in dividends} == {"DIV"}
    for d in dividends:
        paid = Decimal(d["qty"]) * Decimal(d["per_share_amount"])
        assert Decimal(d["net_amount"]) == paid.quantize(Decimal("0.01"))
    assert {a["symbol"] for a in dividends} >= {"AAPL", "MSFT", "SPY"}
    two = activities(sample, activity_types="DIV,FEE")
    assert {a["activity_type"] for a in two} == {"DIV", "FEE"}
    assert len(two) == len(dividends) + len(activities(sample, "/FEE"))
    assert activities(sample, activity_types="FILL") == activities(sample, "/FILL")
    trades = activities(sample, category="trade_activity")
    assert trades and {a["activity_type"] for a in trades} == {"FILL"}
    others = activities(sample, category="non_trade_activity")
    assert "FILL" not in {a["activity_type"] for a in others}
    assert len(trades) + len(others) == len(activities(sample))
    assert activities(sample, "/CSW") == []  # a known type with nothing to show


@pytest.mark.parametrize("path,params,fragment", [
    ("/NOPE", {}, "activity type"),
    ("", {"activity_types": "DIV,BOGUS"}, "activity type"),
    ("", {"category": "everything"}, "category"),
    ("", {"category": "trade_activity", "activity_types": "FILL"}, "together"),
    ("", {"direction": "sideways"}, "direction"),
    ("", {"page_size": "0"}, "page_size"),
    ("", {"date": "yesterday"}, "date"),
])
def test_refusals(sim, path, params, fragment):
    answer = raw(sim, path, **params)
    assert answer.status_code == 422 and fragment in answer.json()["message"]


def test_fees_follow_every_sell(sample):
    fills = activities(sample, "/FILL")
    fees = activities(sample, "/FEE")
    sells = [f for f in fills if f["side"] in ("sell", "sell_short")]
    assert sells
    for sell in sells:
        day = sell["transaction_time"][:10]
        mine = [f for f in fees if f["symbol"] == sell["symbol"] and f["date"] == day and f["qty"] == sell["qty"]]
        assert {f["description"] for f in mine} == {"TAF fee", "REG fee"}
        assert all(Decimal(f["net_amount"]) < 0 for f in mine)
    assert len(fees) == 2 * len(sells)


def test_the_ledger_adds_up_to_the_cash(sample):
    cash = Decimal(0)
    for activity in activities(sample, page_size=100):
        if activity["activity_type"] == "FILL":
            signed = Decimal(activity["qty"]) * Decimal(activity["price"])
            cash += signed if activity["side"] != "buy" else -signed
        else:
            cash += Decimal(activity["net_amount"])
    assert cash == Decimal(sample.client.get_account().cash)
    # And the fills add up to the positions.
    held: dict[str, Decimal] = {}
    for fill in activities(sample, "/FILL"):
        qty = Decimal(fill["qty"])
        held[fill["symbol"]] = held.get(fill["symbol"], Decimal(0)) + (qty if fill["side"] == "buy" else -qty)
    positions = {p.symbol: Decimal(p.qty) for p in sample.client.get_all_positions()}
    assert {s: q for s, q in held.items() if q} == positions


def test_a_partial_fill_then_cancel_in_the_past(sample):
    fills = activities(sample, "/FILL", direction="asc")
    partial = [f for f in fills if f["type"] == "partial_fill"]
    assert partial and partial[0]["order_status"] == "partially_filled"
    assert Decimal(partial[0]["leaves_qty"]) > 0
    order = sample.client.get_order_by_id(partial[0]["order_id"])
    assert order.status.value == "canceled" and order.filled_qty == partial[0]["cum_qty"]


@pytest.mark.parametrize("page_size", [1, 7, 100])
def test_paging_sees_every_activity_once(sample, page_size):
    whole = activities(sample, page_size=100)
    assert len(whole) < 100  # the sample fits in one page: the pages below must rebuild it
    desc = every(sample, page_size)
    assert [a["id"] for a in desc] == [a["id"] for a in whole]
    asc = every(sample, page_size, direction="asc")
    assert [a["id"] for a in asc] == [a["id"] for a in whole][::-1]
    by_type = every(sample, page_size, activity_types="FILL,FEE")
    assert len({a["id"] for a in by_type}) == len(by_type) == len(activities(sample, activity_types="FILL,FEE"))


def test_page_size_is_at_most_100(make_sim):
    sim = make_sim(portfolio="sample")
    for n in range(70):  # 70 more fills: past a page
        side = SELL if n % 2 else None
        order = sim.client.submit_order(market("KO", 1, side) if side else market("KO", 1))
        wait_status(sim, order.id, "filled")
    assert len(activities(sim)) == 100
    assert len(activities(sim, page_size=1000)) == 100
    total = every(sim, 100)
    assert len(total) == len({a["id"] for a in total}) > 100


def test_with_date_the_day_comes_whole_and_page_size_has_no_cap(sim):
    # alpaca-api.md §8: page_size ≤ 100 "unless date is given"; without page_size, the whole day.
    bought = sim.client.submit_order(market("KO", 50))
    wait_status(sim, bought.id, "filled")
    sells = [sim.client.submit_order(market("KO", 1, SELL)) for _ in range(40)]
    for order in sells:
        wait_status(sim, order.id, "filled")
    day = activities(sim, "/FEE")[0]["date"]
    assert len(activities(sim)) == 100  # no date: a page of 100
    assert len(activities(sim, page_size=150)) == 100
    whole = activities(sim, date=day)
    assert len(whole) == 1 + 40 * 3  # the buy, and each sell with its two fees
    assert len({a["id"] for a in whole}) == len(whole)
    assert activities(sim, date=day, page_size=150) == whole
    assert activities(sim, date=day, page_size=30) == whole[:30]
    assert activities(sim, date=day, page_size=30, page_token=whole[29]["id"]) == whole[30:60]


def test_by_date_after_and_until(sample):
    whole = activities(sample)
    dividend = activities(sample, "/DIV")[-1]  # the oldest: activities on both sides of it
    on_day = activities(sample, date=dividend["date"])
    assert dividend["id"] in {a["id"] for a in on_day}
    assert {a.get("date") or a["transaction_time"][:10] for a in on_day} == {dividend["date"]}
    # Half a second into the dividend's day: nothing happens at that instant, so every activity
    # is either after it or until it; the dividend (booked at midnight) is until it.
    middle = datetime.fromisoformat(dividend["date"]).replace(tzinfo=NY) + timedelta(milliseconds=500)
    after = activities(sample, after=middle.isoformat(), direction="asc")
    until = activities(sample, until=middle.isoformat())
    assert after and until
    assert len(after) + len(until) == len(whole)
    assert dividend["id"] in {a["id"] for a in until}
    assert all(a["id"] < after[0]["id"] for a in until)
    later = middle + timedelta(days=1)
    assert activities(sample, after=later.isoformat(), until=middle.isoformat()) == []


def test_new_fills_join_the_stream(sample):
    before = activities(sample)
    order = sample.client.submit_order(market("KO", 3))
    wait_status(sample, order.id, "filled")
    after = activities(sample)
    assert after[0]["activity_type"] == "FILL" and after[0]["order_id"] == str(order.id)
    assert after[1:] == before[:len(after) - 1]


def test_an_empty_account_has_no_activities(sim):
    assert activities(sim) == [] and activities(sim, "/DIV") == []


def test_groups_and_sub_types(sample):
    # TRANS is cash in and out; MISC is everything but TRANS, DIV and FILL (Alpaca's spec).
    assert {a["activity_type"] for a in activities(sample, "/TRANS")} == {"CSD"}
    misc = {a["activity_type"] for a in activities(sample, activity_types="MISC")}
    assert misc == {"FEE", "INT", "JNLC"}
    assert {a["activity_sub_type"] for a in activities(sample, "/FEE")} == {"REG", "TAF"}
    assert {a["activity_sub_type"] for a in activities(sample, "/DIV")} == {"CDIV"}
    assert {a["activity_sub_type"] for a in activities(sample, "/INT")} == {"CDT"}
