"""The broker layer against the simulator: paging, counting, timeouts, error words."""

from __future__ import annotations

from tui.broker.client import Broker
from tui.broker.ratelimit import Budget
from tui.broker.errors import describe
from tui.broker.sdk_compat import retries_of, session_of

from .ui_support import config_for


def test_open_orders_pages_past_the_500_cap(make_sim):
    sim = make_sim(open_orders=1200)
    broker = Broker(config_for(sim.url))
    orders = broker.open_orders()
    assert len(orders) == 1200 and len({o.id for o in orders}) == 1200
    assert broker.budget.last_minute() == 3  # 500 + 500 + 200


def test_trading_requests_are_counted_and_every_request_has_a_timeout(make_sim):
    sim = make_sim(rate_limit=200)
    budget = Budget()
    broker = Broker(config_for(sim.url), budget)
    broker.account()
    broker.positions()
    broker.quote("AAPL")  # market data: Alpaca counts it in another budget
    assert budget.last_minute() == 2
    assert budget.limit == 200 and budget.remaining is not None and budget.remaining <= 198
    assert session_of(broker.trading).timeout[1] > 0 and session_of(broker.data).timeout[1] > 0
    assert retries_of(broker.trading) == 0


def test_unknown_asset_is_none_and_errors_are_plain_words(make_sim):
    sim = make_sim()
    broker = Broker(config_for(sim.url))
    assert broker.asset("ZZZZ") is None
    try:
        broker.close_position("ZZZZ")
    except Exception as err:
        problem = describe(err)
    assert problem.status == 404 and problem.code == 40410000 and "position" in problem.message


def test_unreachable_server_is_a_transport_problem():
    broker = Broker(config_for("http://127.0.0.1:9"))
    try:
        broker.account()
    except Exception as err:
        problem = describe(err)
    assert problem.transport and "reach" in problem.message
