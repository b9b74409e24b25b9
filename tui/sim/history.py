"""GET /v2/account/portfolio/history: the account's equity over a window, bucketed by a
timeframe, with profit and loss as Alpaca computes it.

A pure function of what the exchange recorded: its equity points (daily closes, seeded or
taken at each rollover, and samples taken while it runs) and its cash activities (deposits
and journals are not profit). The HTTP layer's query arrives parsed here.

Between two daily closes with nothing recorded in between (the seeded past), intraday
points follow a seeded Brownian bridge from one close to the next over the day's regular
session: plausible movement that ends exactly on each day's close, the same for every
timeframe and for the same seed.

Alpaca's rules followed: period is number+unit (D trading days, W, M, A) or "all", default
1M; only two of start, end and period; timeframes under 1D only for windows of 30 days or
less; the default timeframe follows the window (1Min under 7 days, 15Min under a month,
else 1D); intraday_reporting picks the hours shown; pnl_reset=per_day (the default) measures
each point from the previous day's close, no_reset from the window's first point
(pnl_pct = equity / base - 1).

One reading of ours: with per_day, base_value is the close the last point is measured from
(base_value_asof its date), so that profit_loss[-1] = equity[-1] - base_value; at 1D
Alpaca's published example instead reports the window's first point as base_value and a
cumulative profit_loss_pct (tests/test_sim_http.py pins the former).
"""

from __future__ import annotations

import bisect
import calendar
import math
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Sequence

from ..terms import NEW_YORK
from . import market_calendar as cal
from .errors import unprocessable
from .fmt import CENT
from .market import MarketHours
from .model import CashActivity

TIMEFRAMES = {"1Min": 60, "5Min": 300, "15Min": 900, "1H": 3600, "1D": 0}
PERIOD = re.compile(r"^(\d{1,4})([DWMA])$")
INTRADAY_MAX = timedelta(days=31)  # "30 days or less"; a 1M window may hold 31 calendar days
TRANSFER_TYPES = frozenset({"CSD", "CSW", "JNL", "JNLC", "JNLS"})  # money moved in or out: not P&L
BRIDGE_STEP = 60  # seconds: one bridge value a minute, which every timeframe reads
BRIDGE_SWING = 0.5  # the bridge's spread mid-day, as a share of the day's close-to-close move


@dataclass
class HistoryQuery:
    period: str | None = None
    timeframe: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    date_end: date | None = None
    intraday_reporting: str = "market_hours"
    pnl_reset: str = "per_day"
    extended_hours: bool = False
    cashflow_types: list[str] | None = None


@dataclass
class Record:
    """What the exchange knows of its past: equity points, oldest first, and cash activities."""
    points: Sequence[tuple[datetime, Decimal]]
    cash: Sequence[CashActivity]
    hours: MarketHours
    now: datetime
    opened: datetime  # the account's creation: where period=all begins
    closes: frozenset[datetime] = field(default_factory=frozenset)  # which points are daily closes
    seed: int = 0  # the bridges' between closes


def _shift_months(moment: datetime, months: int) -> datetime:
    month0 = moment.month - 1 - months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), NEW_YORK)


def _period_start(period: str, end: datetime, hours: MarketHours) -> datetime:
    """Where a window of `period` ending at `end` starts. D counts trading days, the end's own included."""
    match = PERIOD.match(period.upper())
    if not match:
        raise unprocessable("invalid period")
    n, unit = int(match.group(1)), match.group(2)
    if n <= 0:
        raise unprocessable("invalid period")
    last = end.astimezone(NEW_YORK).date()
    if unit == "D":
        if hours.mode == "always-open":
            return _midnight(last - timedelta(days=n - 1))
        today = cal.trading_day(last)
        if today is None or end < today.session_open:  # before 04:00 the day has not begun: it counts from the last
            last = cal.previous_trading_day(last).date
        days = cal.trading_days_back(last, n)
        return _midnight(days[0])
    if unit == "W":
        return end - timedelta(weeks=n)
    return _shift_months(end, n if unit == "M" else 12 * n)


def window(q: HistoryQuery, rec: Record) -> tuple[datetime, datetime]:
    end = q.end
    if end is None and q.date_end is not None:
        end = _midnight(q.date_end + timedelta(days=1)) - timedelta(microseconds=1)
    if q.start is not None and end is not None and q.period:
        raise unprocessable("only two of start, end and period can be specified")
    if q.start is not None:
        start = q.start
        if q.period:
            end = _period_start_forward(q.period, start, rec.hours)
    elif (q.period or "1M").lower() == "all":
        start = rec.opened
    else:
        start = _period_start(q.period or "1M", min(end or rec.now, rec.now), rec.hours)
    end = min(end or rec.now, rec.now)
    if end < start:
        raise unprocessable("start must be before end")
    return start, end


def _period_start_forward(period: str, start: datetime, hours: MarketHours) -> datetime:
    """The end of a window of `period` beginning at `start` (the mirror of _period_start)."""
    match = PERIOD.match(period.upper())
    if not match or int(match.group(1)) <= 0:
        raise unprocessable("invalid period")
    n, unit = int(match.group(1)), match.group(2)
    if unit == "D":
        return start + timedelta(days=n)
    if unit == "W":
        return start + timedelta(weeks=n)
    return _shift_months(start, -(n if unit == "M" else 12 * n))


def portfolio_history(q: HistoryQuery, rec: Record) -> dict[str, Any]:
    start, end = window(q, rec)
    timeframe = q.timeframe or _default_timeframe(end - start)
    if timeframe not in TIMEFRAMES:
        raise unprocessable("invalid timeframe")
    if TIMEFRAMES[timeframe] and end - start > INTRADAY_MAX:
        raise unprocessable("timeframe must be 1D for periods longer than 30 days")
    times = [at for at, _ in rec.points]
    values = [e for _, e in rec.points]

    def value_at(moment: datetime) -> Decimal | None:
        i = bisect.bisect_right(times, moment)
        if not i:
            return None
        if i < len(times) and times[i - 1] in rec.closes and times[i] in rec.closes:
            return _between_closes(rec, times[i - 1], values[i - 1], times[i], values[i], moment)
        return values[i - 1]

    buckets = _daily(start, end, rec) if timeframe == "1D" else _intraday(start, end, TIMEFRAMES[timeframe], q, rec)
    rows = [(stamp, moment, e) for stamp, moment in buckets if (e := value_at(moment)) is not None]
    transfers = sorted((c.at, c.net_amount) for c in rec.cash if c.activity_type in TRANSFER_TYPES)
    transfer_times = [at for at, _ in transfers]
    running = [Decimal(0)]
    for _, amount in transfers:
        running.append(running[-1] + amount)

    def moved(after: datetime, upto: datetime) -> Decimal:
        """Money deposited or journaled in (after, upto]."""
        return running[bisect.bisect_right(transfer_times, upto)] - running[bisect.bisect_right(transfer_times, after)]

    rollovers: dict[tuple[date, int], datetime] = {}

    def previous_close(moment: datetime) -> datetime:
        local = moment.astimezone(NEW_YORK)
        key = (local.date(), local.hour)  # rollovers fall on the hour: one lookup an hour
        if key not in rollovers:
            rollovers[key] = rec.hours.previous_rollover(moment - timedelta(microseconds=1))
        return rollovers[key]

    profit: list[float] = []
    pct: list[float] = []
    base = rows[0][2] if rows else (values[-1] if values else Decimal(0))
    base_at = rows[0][1] if rows else rec.now
    for _, moment, e in rows:
        if q.pnl_reset == "no_reset":
            ref_at, ref = rows[0][1], rows[0][2]
        else:
            ref_at = previous_close(moment)
            ref = value_at(ref_at)
            if ref is None:  # the account's first day: measured from its first point
                ref_at, ref = rows[0][1], rows[0][2]
            base, base_at = ref, ref_at  # the last point's base is the one reported
        pl = e - ref - moved(ref_at, moment)
        profit.append(float(pl.quantize(CENT)))
        pct.append(round(float(pl / ref), 6) if ref else 0.0)
    body: dict[str, Any] = {
        "timestamp": [int(stamp.timestamp()) for stamp, _, _ in rows],
        "equity": [float(e.quantize(CENT)) for _, _, e in rows],
        "profit_loss": profit,
        "profit_loss_pct": pct,
        "base_value": float(base.quantize(CENT)),
        "base_value_asof": base_at.astimezone(NEW_YORK).date().isoformat(),
        "timeframe": timeframe,
        "cashflow": _cashflow(q.cashflow_types, start, rows, rec.cash) if q.cashflow_types else {},
    }
    return body


def _between_closes(rec: Record, t0: datetime, v0: Decimal, t1: datetime, v1: Decimal,
                     moment: datetime) -> Decimal:
    """Equity at `moment` in (t0, t1), two daily closes with nothing recorded between: the
    previous close until the day's regular open (on NYSE's calendar), then the bridge. A day
    whose close equals the previous one stays flat (a cash account does not move)."""
    begin = t0
    if rec.hours.mode == "nyse":
        td = cal.trading_day(t1.astimezone(NEW_YORK).date())
        if td is not None and t0 < td.open < t1:
            begin = td.open
    if moment <= begin or v0 == v1:
        return v0
    steps = max(1, int((t1 - begin).total_seconds()) // BRIDGE_STEP)
    k = min(steps, int((moment - begin).total_seconds()) // BRIDGE_STEP)
    wiggle = Decimal(f"{_bridge(rec.seed, int(t1.timestamp()), steps)[k]:.6f}")
    return v0 + (v1 - v0) * k / steps + wiggle * abs(v1 - v0)


@lru_cache(maxsize=64)
def _bridge(seed: int, close: int, steps: int) -> tuple[float, ...]:
    """A Brownian bridge of `steps` steps, 0 at both ends, spread BRIDGE_SWING mid-way;
    seeded by the simulator's seed and the close it leads to."""
    rng = random.Random(f"{seed}:equity-bridge:{close}")
    walk = [0.0]
    for _ in range(steps):
        walk.append(walk[-1] + rng.gauss(0.0, 1.0))
    scale = 2 * BRIDGE_SWING / math.sqrt(steps)  # a bridge's spread mid-way is sqrt(steps) / 2
    return tuple((w - walk[-1] * k / steps) * scale for k, w in enumerate(walk))


def _default_timeframe(span: timedelta) -> str:
    if span < timedelta(days=7):
        return "1Min"
    # A month is 28 to 31 days; Alpaca's "under 30 days" means shorter than a month.
    return "15Min" if span < timedelta(days=28) else "1D"


def _daily(start: datetime, end: datetime, rec: Record) -> list[tuple[datetime, datetime]]:
    """(timestamp, moment valued) per trading day: midnight New York, valued at the day's close
    (or at `end` for a day not yet closed). Always open, today trades whatever the calendar says."""
    first, last = start.astimezone(NEW_YORK).date(), end.astimezone(NEW_YORK).date()
    days = [td.date for td in cal.trading_days(first, last)]
    today = rec.now.astimezone(NEW_YORK).date()
    if rec.hours.mode == "always-open" and first <= today <= last and today not in days:
        days.append(today)
    out = []
    for d in days:
        close = rec.hours.day_close(d)
        if close <= start:
            continue
        out.append((_midnight(d), min(close, end)))
    return out


def _intraday(start: datetime, end: datetime, step: int, q: HistoryQuery,
              rec: Record) -> list[tuple[datetime, datetime]]:
    """(bucket start, moment valued: the bucket's end or `end`) for the buckets the reporting shows."""
    reporting = "extended_hours" if q.extended_hours and q.intraday_reporting == "market_hours" \
        else q.intraday_reporting
    first = int(start.timestamp()) // step * step
    out = []
    for epoch in range(first, int(end.timestamp()) + 1, step):
        stamp = datetime.fromtimestamp(epoch, NEW_YORK)
        if reporting != "continuous" and rec.hours.mode == "nyse":
            phase = cal.phase_at(stamp)
            if phase is cal.Phase.CLOSED or (reporting == "market_hours" and phase is not cal.Phase.REGULAR):
                continue
        out.append((stamp, min(stamp + timedelta(seconds=step), end)))
    return out


def _cashflow(types: list[str], start: datetime, rows: list[tuple[datetime, datetime, Decimal]],
              cash: Sequence[CashActivity]) -> dict[str, list[float]]:
    """Per type asked for ("ALL": every type there is), the cash it moved in each bucket."""
    wanted = None if "ALL" in types else set(types)
    moments = [moment for _, moment, _ in rows]
    flows: dict[str, list[float]] = {}
    for activity in cash:
        if wanted is not None and activity.activity_type not in wanted:
            continue
        i = bisect.bisect_left(moments, activity.at)
        if i >= len(moments) or activity.at < start:
            continue  # outside the window
        column = flows.setdefault(activity.activity_type, [0.0] * len(rows))
        column[i] = round(column[i] + float(activity.net_amount), 2)
    for kind in wanted or ():
        flows.setdefault(kind, [0.0] * len(rows))
    return flows
