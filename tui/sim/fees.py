"""Regulatory fees on sells, as Alpaca reports them (FEE activities, sub-types TAF and REG).

One computation for the seeded past (backstory.py) and for live fills (matching.py), so the
two can never disagree on what a sale costs.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .fmt import CENT

TAF_PER_SHARE, TAF_MAX = Decimal("0.000166"), Decimal("8.30")  # FINRA trading activity fee, sells only
SEC_RATE = Decimal("0.0000278")  # SEC section 31 fee on sale proceeds ("REG")


def sell_fees(qty: Decimal, price: Decimal) -> list[tuple[str, str, Decimal]]:
    """(activity_sub_type, description, amount charged > 0) for one sell execution."""
    taf = min(max(qty * TAF_PER_SHARE, CENT), TAF_MAX).quantize(CENT, ROUND_HALF_UP)
    sec = max(qty * price * SEC_RATE, CENT).quantize(CENT, ROUND_HALF_UP)
    return [("TAF", "TAF fee", taf), ("REG", "REG fee", sec)]
