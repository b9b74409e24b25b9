"""Slippage of market orders (tui/state/slippage.py): the fill against the quote the review
showed when `y` was pressed, kept in the audit journal at send. Hand-computed examples, the
journal round trip, junk, and the real app against the real simulator: the fills view's
Slip column and average, the order detail's section, and the same figures after a restart."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from alpaca.trading.requests import GetOrdersRequest, MarketOrderRequest

from tui.broker.journal import Journal
from tui.state.slippage import ShownQuote, SlippageBook, combine, measure, shown_quote
from tui.ui.screens.order_detail import OrderDetailScreen
from tui.ui.screens.ticket import ReviewScreen
from tui.ui.widgets.orders import FillsTable, OrdersPane

from .test_ui_ticket import open_ticket
from .ui_support import loaded, make_app, screen_text, until

T = datetime(2026, 11, 23, 15, 30, tzinfo=timezone.utc)
D = Decimal


def quote(side="buy", reference="100.00", bid="99.98", ask="100.00", symbol="AAPL") -> ShownQuote:
    return ShownQuote(symbol, side, D(reference), D(bid), D(ask), None, T, T)


# ---- the arithmetic, by hand ------------------------------------------------------------------

def test_a_buy_above_the_ask_is_worse_and_negative():
    slip = measure(quote(), D("100.03"), D("10"))
    assert slip.per_share == D("-0.03") and slip.amount == D("-0.30") and slip.worse
    assert slip.bp == D("-3")  # 0.03 / 100 x 10,000


def test_a_sell_below_the_bid_is_worse_and_a_sell_above_it_better():
    sell = quote(side="sell", reference="99.98")
    assert measure(sell, D("99.90"), D("5")).amount == D("-0.40")
    better = measure(sell, D("100.00"), D("5"))
    assert better.per_share == D("0.02") and not better.worse


def test_averages_weigh_by_quantity_and_basis_points_by_value():
    # 1 share 1.00 worse at $100 and 99 shares even at $10: $1 lost on $1,090 of stock
    a = measure(quote(reference="100"), D("101"), D("1"))
    b = measure(quote(reference="10", ask="10", bid="9.99"), D("10"), D("99"))
    both = combine([a, b])
    assert both.qty == 100 and both.amount == D("-1") and both.per_share == D("-0.01") and both.fills == 2
    assert both.bp == D("-1") / D("1090") * 10_000
    assert combine([]) is None


def test_fractional_quantities_lose_nothing():
    slip = measure(quote(), D("100.000000001"), D("1234567.123456789"))
    assert slip.amount == -D("0.000000001") * D("1234567.123456789")


def test_the_book_measures_fills_of_linked_orders_on_their_side_only():
    book = SlippageBook()
    book.sent("tui-1", quote())
    fill = type("F", (), {"order_id": "o1", "side": "buy", "qty": D("2"), "price": D("100.05")})()
    assert book.of_fill(fill) is None  # the server has not named the order yet
    assert book.link("tui-1", "o1") and not book.link("tui-1", "o1")
    assert book.of_fill(fill).amount == D("-0.10")
    fill.side = "sell"
    assert book.of_fill(fill) is None


# ---- the journal ------------------------------------------------------------------------------

def test_the_quote_survives_in_the_journal_and_junk_lines_are_skipped(tmp_path):
    journal = Journal(tmp_path / "audit.jsonl", mode="paper", endpoint="http://sim")
    intent = journal.intent("order", {"symbol": "AAPL", "quote": quote().to_record()}, "tui-1")
    journal.outcome(intent, "accepted", order_id="o1", status="new")
    other = Journal(tmp_path / "audit.jsonl", mode="live", endpoint="http://live")
    foreign = other.intent("order", {"quote": quote(reference="1").to_record()}, "tui-2")
    other.outcome(foreign, "accepted", order_id="o2")
    with open(tmp_path / "audit.jsonl", "a") as out:  # hand-edited and hostile lines
        for junk in ({"event": "intent", "intent": "x", "action": "order", "client_order_id": "tui-3",
                      "mode": "paper", "endpoint": "http://sim",
                      "what": {"quote": {"symbol": "[/]", "side": "buy", "reference": "NaN"}}},
                     {"event": "intent", "intent": "y", "action": "order", "client_order_id": "tui-4",
                      "mode": "paper", "endpoint": "http://sim", "what": {"quote": {"reference": "1e999"}}},
                     ["not", "a", "record"]):
            out.write(json.dumps(junk) + "\n")
        out.write('{"event": "outcome", "int')  # torn
    book = SlippageBook.from_journal(journal.history())
    assert len(book) == 1 and book.quote("o1") == quote() and book.quote("o2") is None


def test_a_shown_quote_needs_a_price():
    assert shown_quote("buy", "AAPL", None, None, None, None, None, None) is None
    assert shown_quote("buy", "AAPL", "0", "0", "0", None, None, None) is None
    assert shown_quote("buy", "AAPL", "inf", None, None, None, None, None) is None
    made = shown_quote("sell", "AAPL", "99.5", "99.5", "99.6", "99.55", T, T)
    assert made.priced_at == "bid" and ShownQuote.from_record(made.to_record()) == made


# ---- the app, against the simulator -------------------------------------------------------------

@pytest.fixture
def still_ticket(monkeypatch):
    """The ticket's own quote refresh off: the review keeps the quote it showed while the
    test moves the market under it (what a fast market does between y and the fill)."""
    monkeypatch.setattr("tui.ui.screens.ticket.QUOTE_EVERY", 3600)


async def lookups_over(pilot) -> None:
    """The ticket's symbol look-ups are all answered: none can bring a newer quote to the
    review after the test moves the market."""
    from tui.ui.screens.ticket import FACTS_DELAY

    await pilot.pause(FACTS_DELAY + 0.05)  # the look-up typing set off has been asked for
    await until(pilot, lambda: not any(w.group == "ticket" and not w.is_finished for w in pilot.app.workers),
                what="the ticket's look-ups answered")
    await pilot.pause()


def fills_slip(app) -> str:
    table = app.main.query_one(FillsTable)
    column = [key.value for key in table.columns].index("slip")
    return str(table.get_row_at(0)[column])


async def test_a_market_buy_shows_its_slippage_in_the_fills_view_and_the_detail(make_sim, tmp_path, still_ticket):
    sim = make_sim(portfolio="sample")
    path = tmp_path / "audit.jsonl"
    app = make_app(sim, journal=Journal(path, mode="paper", endpoint=sim.url))
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await open_ticket(pilot)
        await pilot.press(*"INTC", "tab", *"10", "enter")
        review = await until(pilot, lambda: isinstance(app.screen, ReviewScreen) and app.screen.checked
                             and app.screen.shown and app.screen)
        await lookups_over(pilot)
        shown = review.outlook.quote.ask
        assert shown is not None and review.outlook.price == shown
        sim.set_price("INTC", shown + D("0.25"))  # the market moves before the order arrives
        await pilot.press("y")
        await until(pilot, lambda: any(f.symbol == "INTC" for f in app.state.fills), what="the INTC fill")
        [order] = [o for o in sim.client.get_orders(GetOrdersRequest(status="closed", symbols=["INTC"]))
                   if o.filled_at is not None and o.filled_at.date() == o.submitted_at.date() and o.qty == "10"]
        filled = D(str(order.filled_avg_price))
        assert filled > shown
        per_share = shown - filled  # a buy: paid more than the ask shown → negative

        # the journal kept the quote with the intent, before the order went
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        [intent] = [r for r in lines if r.get("event") == "intent" and r.get("action") == "order"]
        assert D(intent["what"]["quote"]["reference"]) == shown and intent["what"]["quote"]["side"] == "buy"

        await pilot.press("3", "f", "f", "f")  # the Orders pane: open → closed → all → fills
        pane = app.main.query_one(OrdersPane)
        await until(pilot, lambda: pane.view == "fills")
        await until(pilot, lambda: fills_slip(app) == f"-{abs(per_share):.2f}", what="the Slip cell")
        bp = per_share / shown * 10_000
        assert f"slip -{abs(bp):,.1f} bp, -{abs(per_share) * 10:,.2f} on 1 mkt fill" in screen_text(app).replace("-$", "-")

        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, OrderDetailScreen))
        await until(pilot, lambda: "Slippage" in screen_text(app))
        text = screen_text(app)
        assert f"against the ask {shown:,.2f} on the review" in text
        assert f"-{abs(per_share):.2f}/sh" in text and f"-${abs(per_share) * 10:,.2f}" in text
        assert "worse than the quote" in text

    # a new run reads the quote back from the journal: the same figure
    again = make_app(sim, journal=Journal(path, mode="paper", endpoint=sim.url), stream=False)
    async with again.run_test(size=(120, 40)) as pilot:
        await loaded(pilot, stream=False)
        await pilot.press("3", "f", "f", "f")
        await until(pilot, lambda: again.main.query_one(OrdersPane).view == "fills")
        await until(pilot, lambda: fills_slip(again) == f"-{abs(per_share):.2f}", what="the Slip cell after a restart")


async def test_limit_orders_and_orders_sent_elsewhere_are_not_measured(make_sim, still_ticket):
    sim = make_sim(portfolio="sample")
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        elsewhere = sim.client.submit_order(MarketOrderRequest(symbol="INTC", qty=3, side="buy",
                                                               time_in_force="day"))
        await until(pilot, lambda: any(f.order_id == str(elsewhere.id) for f in app.state.fills),
                    what="the fill of an order sent from elsewhere")
        await pilot.press("3", "f", "f", "f")
        await until(pilot, lambda: app.main.query_one(OrdersPane).view == "fills")
        assert fills_slip(app) == "" and app.main.query_one(OrdersPane).fill_slip is None
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, OrderDetailScreen))
        await until(pilot, lambda: "Slippage: not measured" in screen_text(app))
