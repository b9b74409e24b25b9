"""The simulator answers alpaca-py at all: the fixture works and a market order fills."""

from alpaca.trading.enums import OrderSide, TimeInForce
from alpaca.trading.requests import MarketOrderRequest

from .conftest import wait_for


def test_market_buy_fills_and_opens_a_position(sim):
    account = sim.client.get_account()
    assert account.cash == "100000.00"
    order = sim.client.submit_order(
        MarketOrderRequest(symbol="AAPL", qty=3, side=OrderSide.BUY, time_in_force=TimeInForce.DAY)
    )
    filled = wait_for(lambda: (o := sim.client.get_order_by_id(order.id)).status == "filled" and o)
    ask = sim.data.get_stock_latest_quote(__import__("alpaca.data.requests", fromlist=["x"]).StockLatestQuoteRequest(symbol_or_symbols="AAPL"))["AAPL"].ask_price
    assert float(filled.filled_avg_price) == ask
    position = sim.client.get_open_position("AAPL")
    assert position.qty == "3"
