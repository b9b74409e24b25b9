"""Alpaca's vocabulary and the few facts every layer shares, defined once.

The simulator and the broker layer each validate orders with their own code (the
simulator is the test oracle for the client, so the two must not share logic), but the
words and the market's time zone are facts, not logic: they live here.
"""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")  # the exchange's clock: sessions, trading days, timestamps

SIDES = ("buy", "sell")
ORDER_TYPES = ("market", "limit", "stop", "stop_limit", "trailing_stop")
TIME_IN_FORCE = ("day", "gtc", "opg", "cls", "ioc", "fok")
ORDER_CLASSES = ("simple", "bracket", "oco", "oto")
POSITION_INTENTS = ("buy_to_open", "buy_to_close", "sell_to_open", "sell_to_close")


def plain(value: Decimal) -> str:
    """A decimal as Alpaca writes it: no exponent, no trailing zeros (10, 0.5, 1000)."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text
