"""The account's past as Alpaca serves it: pages of fill activities, and portfolio history.

Pure functions of what the exchange recorded (its FillActivity list, its equity samples):
the HTTP layer's query parameters arrive here already parsed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Sequence

from ..terms import NEW_YORK
from .model import FillActivity


def fill_activities(activities: Sequence[FillActivity], page_size: int = 100, page_token: str | None = None,
                    direction: str = "desc", after: datetime | None = None, until: datetime | None = None,
                    on_date: date | None = None) -> list[dict[str, Any]]:
    """GET /v2/account/activities/FILL: one page, after the activity `page_token` names."""
    items = activities if direction == "asc" else list(reversed(activities))
    if page_token:
        ids = [a.id for a in items]
        items = items[ids.index(page_token) + 1:] if page_token in ids else []
    chosen = []
    for activity in items:
        if after and activity.at <= after:
            continue
        if until and activity.at >= until:
            continue
        if on_date and activity.at.astimezone(NEW_YORK).date() != on_date:
            continue
        chosen.append(activity.to_json())
        if len(chosen) >= page_size:
            break
    return chosen


def portfolio_history(points: list[tuple[datetime, Decimal]], timeframe: str = "1D") -> dict[str, Any]:
    """GET /v2/account/portfolio/history from equity samples, the oldest first; at "1D"
    the last sample of each New York day."""
    base = points[0][1]  # the previous close, or the oldest sample kept
    if timeframe == "1D":
        daily: dict[date, tuple[datetime, Decimal]] = {}
        for at, equity in points:
            daily[at.astimezone(NEW_YORK).date()] = (at, equity)
        points = list(daily.values())
    return {
        "timestamp": [int(at.timestamp()) for at, _ in points],
        "equity": [float(e) for _, e in points],
        "profit_loss": [float(e - base) for _, e in points],
        "profit_loss_pct": [float((e - base) / base) if base else 0.0 for _, e in points],
        "base_value": float(base),
        "timeframe": timeframe,
        "cashflow": {},
    }
