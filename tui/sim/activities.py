"""GET /v2/account/activities: the account's trade activities (fills) and non-trade ones
(dividends, interest, fees, deposits, journals) as one stream Alpaca pages through.

Pure functions of what the exchange recorded; the HTTP layer's query arrives parsed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Sequence, Union

from ..terms import NEW_YORK
from .errors import unprocessable
from .model import NON_TRADE_TYPES, TRADE_TYPES, CashActivity, FillActivity

Activity = Union[FillActivity, CashActivity]
# Names a query may use for a group of types (Alpaca's spec: TRANS is cash in and out, MISC
# everything but TRANS, DIV and FILL).
GROUPS = {"TRANS": frozenset({"CSD", "CSW"}),
          "MISC": frozenset(NON_TRADE_TYPES) - {"CSD", "CSW", "DIV"}}
KNOWN_TYPES = frozenset(TRADE_TYPES + NON_TRADE_TYPES) | GROUPS.keys()
CATEGORIES = {"trade_activity": frozenset(TRADE_TYPES), "non_trade_activity": frozenset(NON_TRADE_TYPES)}


@dataclass
class ActivityQuery:
    types: frozenset[str] | None = None  # None: every type
    category: str | None = None
    page_size: int | None = 100  # None: no limit (a whole day, date= without page_size)
    page_token: str | None = None
    direction: str = "desc"
    after: datetime | None = None
    until: datetime | None = None
    on_date: date | None = None


def parse_types(raw: str | None) -> frozenset[str] | None:
    """A comma list of activity types (the path's one type, or activity_types=); None for all."""
    if raw is None:
        return None
    kinds = frozenset(k.strip().upper() for k in raw.split(",") if k.strip())
    if not kinds:
        return None
    unknown = kinds - KNOWN_TYPES
    if unknown:
        raise unprocessable(f"invalid activity type: {sorted(unknown)[0]}")
    return frozenset().union(*(GROUPS.get(k, {k}) for k in kinds))


def parse_category(raw: str | None) -> str | None:
    if not raw:
        return None
    if raw not in CATEGORIES:
        raise unprocessable("invalid category")
    return raw


def kind(activity: Activity) -> str:
    return "FILL" if isinstance(activity, FillActivity) else activity.activity_type


def query(fills: Sequence[FillActivity], cash: Sequence[CashActivity], q: ActivityQuery,
          account_id: str) -> list[dict[str, Any]]:
    """One page, oldest or newest first, starting after the activity `page_token` names."""
    if q.types is not None and q.category is not None:
        raise unprocessable("activity_types and category cannot be used together")
    wanted = q.types if q.types is not None else CATEGORIES.get(q.category or "", None)
    merged: list[Activity] = []
    if wanted is None or "FILL" in wanted:
        merged.extend(fills)
    merged.extend(c for c in cash if wanted is None or c.activity_type in wanted)
    # By time, then as recorded (a stable sort): executions in the same millisecond keep their order.
    merged.sort(key=lambda a: a.at)
    if q.direction == "desc":
        merged.reverse()
    if q.page_token:
        position = next((i for i, a in enumerate(merged) if a.id == q.page_token), None)
        if position is not None:
            merged = merged[position + 1:]
        else:  # an id no longer (or never) listed: the page starts past it in id order
            merged = [a for a in merged if (a.id > q.page_token if q.direction == "asc" else a.id < q.page_token)]
    page = []
    for activity in merged:
        if q.after and activity.at <= q.after:
            continue
        if q.until and activity.at >= q.until:
            continue
        if q.on_date and activity.at.astimezone(NEW_YORK).date() != q.on_date:
            continue
        page.append({"account_id": account_id, **activity.to_json()})  # alpaca-py's models require it
        if q.page_size is not None and len(page) >= q.page_size:
            break
    return page
