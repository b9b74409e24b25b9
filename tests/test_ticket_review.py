"""The order ticket (tui/broker/ticket.py): the alpaca-py request an accepted form becomes,
and the review: its rows, price, cost and buying power, warnings, the quote's age, and the
session an order waits for."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from alpaca.trading.enums import OrderClass, OrderSide, OrderType, TimeInForce
from alpaca.trading.requests import (
    LimitOrderRequest,
    MarketOrderRequest,
    StopLimitOrderRequest,
    StopOrderRequest,
    TrailingStopOrderRequest,
)

from tui.broker.ticket import Quote, ReviewFacts, review
from tui.sessions import read_calendar, session_at
from tui.sim.requests import parse_order

from .test_ticket import D, plan_of, sent_body

# ---- the alpaca-py request ------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, cls, order_type",
    [
        ({}, MarketOrderRequest, OrderType.MARKET),
        ({"order_type": "limit", "limit_price": "190"}, LimitOrderRequest, OrderType.LIMIT),
        ({"order_type": "stop", "stop_price": "180"}, StopOrderRequest, OrderType.STOP),
        ({"order_type": "stop_limit", "stop_price": "180", "limit_price": "179.5"}, StopLimitOrderRequest, OrderType.STOP_LIMIT),
        ({"order_type": "trailing_stop", "trail": "1.5"}, TrailingStopOrderRequest, OrderType.TRAILING_STOP),
    ],
)
def test_to_request_class(fields, cls, order_type):
    request = plan_of(**fields).to_request("cid-1")
    assert type(request) is cls
    assert request.type == order_type
    assert request.client_order_id == "cid-1"
    assert request.symbol == "AAPL" and request.qty == 10.0 and request.side == OrderSide.BUY


def test_to_request_bracket_limit():
    plan = plan_of(side="buy", order_type="limit", limit_price="190", tif="gtc", take_profit="210.5", stop_loss="180")
    dump = plan.to_request("cid-2").model_dump()
    assert dump["order_class"] == OrderClass.BRACKET
    assert dump["take_profit"]["limit_price"] == 210.5
    assert dump["stop_loss"]["stop_price"] == 180.0
    assert dump["limit_price"] == 190.0
    assert dump["time_in_force"] == TimeInForce.GTC
    assert dump["client_order_id"] == "cid-2"


def test_to_request_oto_stop_loss_only():
    request = plan_of(stop_loss="150").to_request("cid-3")
    assert request.order_class == OrderClass.OTO and request.take_profit is None
    assert request.stop_loss.stop_price == 150.0


def test_to_request_trail_percent_and_extended_hours():
    request = plan_of(order_type="trailing_stop", trail="2.5%").to_request("c")
    assert request.trail_percent == 2.5 and request.trail_price is None
    limit = plan_of(order_type="limit", limit_price="10", extended_hours=True).to_request("c")
    assert limit.extended_hours is True and limit.order_class == OrderClass.SIMPLE


def test_to_request_notional():
    request = plan_of(qty="", notional="$1,250.50").to_request("cid-4")
    assert request.notional == 1250.5 and request.qty is None
    assert type(request) is MarketOrderRequest


def test_to_request_refuses_a_bad_client_order_id():
    with pytest.raises(ValueError):
        plan_of().to_request("")
    with pytest.raises(ValueError):
        plan_of().to_request("x" * 129)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"qty": "", "notional": "99.99"},
        {"qty": "0.25"},
        {"order_type": "limit", "limit_price": "0.1234", "tif": "gtc", "extended_hours": True},
        {"order_type": "stop_limit", "stop_price": "5", "limit_price": "5.1", "take_profit": "9", "stop_loss": "4"},
        {"order_type": "trailing_stop", "trail": "3%", "tif": "gtc", "side": "sell"},
        {"order_type": "market", "tif": "opg", "take_profit": ""},
    ],
)
def test_simulator_accepts_what_we_send(fields):
    spec = parse_order(sent_body(plan_of(**fields)))
    plan = plan_of(**fields)
    assert spec.type == plan.order_type and spec.order_class == plan.order_class
    assert spec.qty == plan.qty and spec.notional == plan.notional


# ---- review rows ----------------------------------------------------------------------------


def test_rows_for_a_bracket_limit_order():
    plan = plan_of(qty="1,000", order_type="limit", limit_price="190", take_profit="1234.5", stop_loss="180")
    assert plan.rows() == [
        ("Symbol", "AAPL"),
        ("Side", "BUY"),
        ("Quantity", "1,000"),
        ("Type", "limit"),
        ("Limit price", "$190.00"),
        ("Time in force", "DAY"),
        ("Extended hours", "no"),
        ("Order class", "bracket"),
        ("Take profit", "$1,234.50"),
        ("Stop loss", "$180.00"),
    ]


def test_rows_for_notional_and_trailing_and_sub_dollar():
    notional = dict(plan_of(D(100), qty="", notional="500", side="sell").rows())
    assert notional["Notional"] == "$500.00" and notional["Side"] == "SELL" and "Quantity" not in notional
    trailing = dict(plan_of(order_type="trailing_stop", trail="2.5%", tif="gtc").rows())
    assert trailing["Trail"] == "2.5%" and trailing["Type"] == "trailing stop" and trailing["Time in force"] == "GTC"
    assert dict(plan_of(order_type="trailing_stop", trail="1.5").rows())["Trail"] == "$1.50"
    stop_limit = dict(plan_of(order_type="stop_limit", stop_price="0.5", limit_price="0.1234", extended_hours=False).rows())
    assert stop_limit["Stop price"] == "$0.50" and stop_limit["Limit price"] == "$0.1234"
    assert "Take profit" not in stop_limit and stop_limit["Order class"] == "simple"
    extended = dict(plan_of(order_type="limit", limit_price="5", extended_hours=True).rows())
    assert extended["Extended hours"] == "yes"


# ---- review: price, cost, buying power ------------------------------------------------------

QUOTE = Quote(bid=D("99"), ask=D("101"), last=D("100"))
FACTS = ReviewFacts(buying_power=D("10000"), last_equity=D("50000"))


@pytest.mark.parametrize(
    "fields, quote, price",
    [
        ({}, QUOTE, D("101")),
        ({"side": "sell"}, QUOTE, D("99")),
        ({}, Quote(bid=D(99), ask=None, last=D(100)), D(100)),
        ({"side": "sell"}, Quote(bid=D(0), ask=D(101), last=D(100)), D(100)),
        ({"order_type": "limit", "limit_price": "95"}, QUOTE, D("95")),
        ({"order_type": "stop_limit", "stop_price": "96", "limit_price": "97"}, QUOTE, D("97")),
        ({"order_type": "stop", "stop_price": "105"}, QUOTE, D("105")),
        ({"order_type": "stop", "stop_price": "105"}, None, D("105")),
        ({"order_type": "trailing_stop", "trail": "1%", "side": "sell"}, QUOTE, D("99")),
        ({}, None, None),
        ({}, Quote(None, None, None), None),
    ],
)
def test_reference_price(fields, quote, price):
    assert review(plan_of(**fields), quote, FACTS).price == price


def test_buy_cost_and_buying_power():
    result = review(plan_of(qty="10"), QUOTE, FACTS)
    assert result.estimated_cost == D("1010") and result.buying_power_after == D("8990")
    assert result.warnings == []


def test_notional_cost_is_the_notional():
    result = review(plan_of(qty="", notional="500"), None, FACTS)
    assert result.estimated_cost == D("500") and result.buying_power_after == D("9500")
    assert "no price known: cost cannot be estimated" not in result.warnings


def test_closing_sell_leaves_buying_power():
    facts = ReviewFacts(buying_power=D("100"), last_equity=D("50000"), position_qty=D("10"))
    result = review(plan_of(side="sell", qty="10"), QUOTE, facts)
    assert result.estimated_cost == D("990") and result.buying_power_after == D("100")
    assert result.warnings == []


def test_only_the_short_part_of_a_sell_uses_buying_power():
    # The plan comes from validate; the position may have changed by review time.
    facts = ReviewFacts(buying_power=D("10000"), last_equity=D("50000"), position_qty=D("4"))
    result = review(plan_of(side="sell", qty="10"), QUOTE, facts)
    assert result.estimated_cost == D("990") and result.buying_power_after == D("10000") - 6 * D("99")
    # One order may not flip long to short: the server refuses it rather than opening a short.
    assert "you hold 4: sell at most 4, then sell short separately" in result.warnings
    assert "opens a short position" not in result.warnings


def test_short_sale_from_flat_uses_buying_power():
    result = review(plan_of(side="sell", qty="10"), QUOTE, FACTS)
    assert result.buying_power_after == D("10000") - D("990")
    assert "opens a short position" in result.warnings


def test_buy_to_cover_leaves_buying_power():
    facts = ReviewFacts(buying_power=D("0"), last_equity=D("50000"), position_qty=D("-10"))
    result = review(plan_of(qty="10"), QUOTE, facts)
    assert result.buying_power_after == D("0") and result.warnings == []


def test_notional_sell_of_a_long_position():
    facts = ReviewFacts(buying_power=D("1000"), last_equity=D("50000"), position_qty=D("10"))
    within = review(plan_of(D(10), side="sell", qty="", notional="500"), QUOTE, facts)
    assert within.buying_power_after == D("1000") and "opens a short position" not in within.warnings


# ---- review warnings ------------------------------------------------------------------------


def test_warning_exceeds_buying_power():
    facts = ReviewFacts(buying_power=D("1000"), last_equity=D("50000"))
    result = review(plan_of(qty="20", order_type="limit", limit_price="100"), None, facts)
    assert result.buying_power_after == D("-1000")
    assert "exceeds buying power ($2,000.00 needed, $1,000.00 available)" in result.warnings
    assert not any("exceeds" in w for w in review(plan_of(qty="10", order_type="limit", limit_price="100"), None, facts).warnings)


def test_warning_completes_a_day_trade():
    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), position_qty=D("10"), would_day_trade=True)
    assert "completes a day trade" in review(plan_of(side="sell"), QUOTE, facts).warnings
    assert "completes a day trade" not in review(plan_of(side="sell"), QUOTE, FACTS).warnings


PDT_WARNING = "would be day trade #4 in 5 days: pattern day trader protection may reject it"


@pytest.mark.parametrize(
    "legacy, equity, count, would, warned",
    [
        (True, "24999.99", 3, True, True),
        (False, "24999.99", 3, True, False),
        (True, "25000", 3, True, False),
        (True, "24999.99", 2, True, False),
        (True, "24999.99", 3, False, False),
    ],
)
def test_warning_pattern_day_trader(legacy, equity, count, would, warned):
    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D(equity), legacy_pdt=legacy,
                        daytrade_count=count, would_day_trade=would, position_qty=D(10))
    warnings = review(plan_of(side="sell"), QUOTE, facts).warnings
    assert (PDT_WARNING in warnings) is warned


def test_pdt_warning_counts_past_four():
    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D("1000"), legacy_pdt=True, daytrade_count=5,
                        would_day_trade=True, position_qty=D(10))
    assert "would be day trade #6 in 5 days: pattern day trader protection may reject it" in (
        review(plan_of(side="sell"), QUOTE, facts).warnings
    )


def test_warning_market_closed():
    closed = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), market_open=False)
    message = "market is closed: the order will queue for the next session"
    assert message in review(plan_of(), QUOTE, closed).warnings
    assert message not in review(plan_of(order_type="limit", limit_price="100", extended_hours=True), QUOTE, closed).warnings
    assert message not in review(plan_of(), QUOTE, FACTS).warnings


def test_warning_live_account():
    live = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), live=True)
    assert review(plan_of(), QUOTE, live).warnings[0] == "LIVE account: real money"
    assert "LIVE account: real money" not in review(plan_of(), QUOTE, FACTS).warnings


def test_warning_opens_a_short():
    # validated against a long position that was gone by review time
    assert "opens a short position" in review(plan_of(D(10), side="sell", qty="", notional="50"), None, FACTS).warnings
    long = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), position_qty=D(10))
    assert "opens a short position" not in review(plan_of(side="sell", qty="10"), QUOTE, long).warnings


def test_warning_no_price():
    result = review(plan_of(), None, FACTS)
    assert result.price is None and result.estimated_cost is None and result.buying_power_after is None
    assert result.warnings == ["no price known: cost cannot be estimated"]


# ---- the quote's age --------------------------------------------------------------------------

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)


def quote_at(seconds_ago: float, **prices) -> Quote:
    values = {"bid": D("254.9"), "ask": D("255.1"), "last": D("255")}
    values.update(prices)
    return Quote(**values, at=NOW - timedelta(seconds=seconds_ago))


def test_quote_keeps_its_old_shape():
    assert Quote(D(1), D(2), D(3)).at is None


def test_review_says_how_old_the_quote_is():
    result = review(plan_of(), quote_at(3), FACTS, NOW)
    assert result.quote_age == timedelta(seconds=3)
    assert result.quote_line == "bid 254.90 ask 255.10 · 3 s old"
    assert result.rows() == [("Quote", "bid 254.90 ask 255.10 · 3 s old")]
    assert not any("old" in w for w in result.warnings)


@pytest.mark.parametrize("seconds, warning", [(10, None), (10.5, None), (11, "quote is 11 s old"),
                                              (42, "quote is 42 s old"), (300, "quote is 5 min old"),
                                              (3 * 3600, "quote is 3 h old"), (5 * 86400, "quote is 5 d old")])
def test_review_warns_of_a_stale_quote(seconds, warning):
    warnings = review(plan_of(), quote_at(seconds), FACTS, NOW).warnings
    assert [w for w in warnings if w.startswith("quote is")] == ([warning] if warning else [])


def test_a_stale_quote_behind_no_estimate_is_shown_but_not_warned_of():
    result = review(plan_of(order_type="limit", limit_price="250"), quote_at(42), FACTS, NOW)
    assert result.quote_line.endswith("· 42 s old") and not any(w.startswith("quote is") for w in result.warnings)


def test_quote_age_unknown():
    assert review(plan_of(), Quote(D(99), D(101), D(100)), FACTS, NOW).quote_age is None  # no time on the quote
    assert review(plan_of(), quote_at(42), FACTS).quote_age is None  # no now given: no clock is read
    assert review(plan_of(), quote_at(42), FACTS).quote_line == "bid 254.90 ask 255.10"


def test_quote_ages():
    assert review(plan_of(), quote_at(-5), FACTS, NOW).quote_age == timedelta(0)  # server clock ahead of ours
    naive = Quote(D(99), D(101), None, at=(NOW - timedelta(seconds=7)).replace(tzinfo=None))  # naive: UTC
    assert review(plan_of(), naive, FACTS, NOW).quote_age == timedelta(seconds=7)
    eastern = Quote(D(99), D(101), None, at=(NOW - timedelta(seconds=2)).astimezone(ZoneInfo("America/New_York")))
    assert review(plan_of(), eastern, FACTS, NOW).quote_age == timedelta(seconds=2)


def test_quote_line_shows_the_last_trade_when_a_side_is_missing():
    assert review(plan_of(), quote_at(1, bid=None), FACTS, NOW).quote_line == "bid — ask 255.10 last 255.00 · 1 s old"
    assert review(plan_of(), Quote(None, None, None), FACTS, NOW).quote_line is None


@pytest.mark.parametrize("bad", [D("NaN"), D("sNaN"), D("Infinity"), D("-Infinity"), D("1e400"), D("-5"),
                                 float("nan"), float("inf"), "abc", D("1e999999999")])
def test_a_quote_that_is_no_price_is_no_quote(bad):
    result = review(plan_of(), Quote(bad, bad, bad, at=NOW), FACTS, NOW)
    assert result.price is None and result.estimated_cost is None
    assert "no price known: cost cannot be estimated" in result.warnings
    sell = review(plan_of(side="sell"), Quote(bad, D(101), D(100), at="garbage"), FACTS, NOW)  # type: ignore[arg-type]
    assert sell.price == D(100) and sell.quote_age is None


# ---- sessions ---------------------------------------------------------------------------------

NY = ZoneInfo("America/New_York")
CALENDAR = read_calendar([
    {"date": "2026-11-25", "open": "09:30", "close": "16:00", "session_open": "0400", "session_close": "2000"},
    {"date": "2026-11-27", "open": "09:30", "close": "13:00", "session_open": "0400", "session_close": "1700"},
    {"date": "2026-11-30", "open": "09:30", "close": "16:00", "session_open": "0400", "session_close": "2000"},
])
SATURDAY = datetime(2026, 11, 28, 11, tzinfo=NY)
AFTER_EARLY_CLOSE = datetime(2026, 11, 27, 14, tzinfo=NY)
PRE_MARKET_FRIDAY = datetime(2026, 11, 27, 7, tzinfo=NY)
REGULAR_FRIDAY = datetime(2026, 11, 27, 10, tzinfo=NY)
EXTENDED = {"order_type": "limit", "limit_price": "250", "extended_hours": True}


def session_facts(now: datetime, **fields) -> ReviewFacts:
    return ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), session=session_at(now, CALENDAR), **fields)


def waits(now: datetime, **plan_fields) -> list[str]:
    return [w for w in review(plan_of(**plan_fields), QUOTE, session_facts(now), now).warnings
            if "wait" in w or "closed" in w]


@pytest.mark.parametrize("now", [SATURDAY, AFTER_EARLY_CLOSE])
def test_a_regular_order_outside_regular_hours_waits_for_the_regular_session(now):
    assert waits(now) == ["market closed: this order waits for the regular session (Mon 09:30 ET)"]
    assert waits(now, order_type="limit", limit_price="250") == [
        "market closed: this order waits for the regular session (Mon 09:30 ET)"]


def test_a_regular_order_in_pre_market_waits_for_todays_open():
    assert waits(PRE_MARKET_FRIDAY) == ["pre-market: this order waits for the regular session (09:30 ET)"]


def test_an_extended_hours_order_waits_only_when_no_session_is_on():
    assert waits(SATURDAY, **EXTENDED) == ["no session until pre-market Mon 04:00 ET: the order waits"]
    for now in (PRE_MARKET_FRIDAY, REGULAR_FRIDAY, AFTER_EARLY_CLOSE):
        assert waits(now, **EXTENDED) == []
    thursday = datetime(2026, 11, 26, 21, tzinfo=NY)  # Thanksgiving evening
    assert waits(thursday, **EXTENDED) == ["no session until pre-market Fri 04:00 ET: the order waits"]


def test_during_regular_hours_nothing_waits():
    assert waits(REGULAR_FRIDAY) == []


def test_the_session_wins_over_market_open_and_is_shown():
    facts = session_facts(REGULAR_FRIDAY, market_open=False)
    result = review(plan_of(), QUOTE, facts, REGULAR_FRIDAY)
    assert not any("closed" in w for w in result.warnings)
    assert ("Session", "regular until 13:00 ET · next after-hours 13:00 ET") in result.rows()
    assert review(plan_of(), QUOTE, FACTS).session_line is None  # old callers: no session row


def test_a_session_beyond_the_calendar_words_its_wait_without_a_time():
    from tui.sessions import Session

    facts = ReviewFacts(buying_power=D("1e6"), last_equity=D("50000"), session=Session("closed", None, None, None))
    assert "market closed: this order waits for the regular session" in review(plan_of(), QUOTE, facts).warnings
    assert "no session now: the order waits for the next one" in review(plan_of(**EXTENDED), QUOTE, facts).warnings


