"""A one-line sparkline (▁▂▃▄▅▆▇█) for the watchlist's intraday column.

Pure: no Textual, no Rich. The watchlist pads the string to its column and colours it.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"
FLAT = BLOCKS[len(BLOCKS) // 2 - 1]  # ▄: a series that never moved reads as a middle line


def _finite(values: Sequence[Decimal | float | None]) -> list[float]:
    """The values as floats, without None, NaN or infinities (a Decimal NaN included)."""
    out: list[float] = []
    for value in values:
        if value is None:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            continue
        if math.isfinite(number):
            out.append(number)
    return out


def resample(values: Sequence[float], width: int) -> list[float]:
    """At most `width` values: consecutive values grouped evenly, each group read at its
    last value (a price at the end of the interval, as a chart's close). Fewer values than
    `width` come back as they are: two minutes of a day are not stretched over the column."""
    count = len(values)
    if width <= 0 or count == 0:
        return []
    if count <= width:
        return list(values)
    return [values[(i + 1) * count // width - 1] for i in range(width)]


def sparkline(values: Sequence[Decimal | float | None], width: int) -> str:
    """The series as at most `width` block characters, the lowest value ▁ and the highest █.

    Exactly `width` characters when there are at least as many values; one per value when
    there are fewer (the caller pads the column). A flat series is a middle line; no values
    (or none readable: None, NaN, infinities are skipped) give ""."""
    points = resample(_finite(values), width)
    if not points:
        return ""
    low, high = min(points), max(points)
    if high == low:
        return FLAT * len(points)
    top = len(BLOCKS) - 1
    if not math.isfinite(high - low):  # ±1e308: the difference overflows, halves do not
        points, low, high = [v / 2 for v in points], low / 2, high / 2
    span = high - low
    return "".join(BLOCKS[min(top, max(0, round((v - low) / span * top)))] for v in points)
