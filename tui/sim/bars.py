"""Historical stock bars (GET /v2/stocks/bars, /v2/stocks/{symbol}/bars), made up but consistent.

Daily closes are a seeded walk run backwards from the symbol's previous close (so the last
bar before today closes at prev_close). A past day's minute bars go from the day's open to
its close with seeded noise held inside the day's high/low (touching both), so aggregating
them gives its daily bar. Today's minutes are drawn up to the moment the PriceBook began
recording prints, then are the recorded prints (BarSource); today's daily bar is their sum.
Every random draw is seeded by the simulator's seed, the symbol and the bar's start.
Intraday bars are generated a day at a time and only until a page is full.
"""

from __future__ import annotations

import base64
import functools
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Iterator

from ..terms import NEW_YORK
from . import market_calendar as cal
from .errors import unprocessable

HISTORY_START = date(2016, 1, 4)  # Alpaca's stock data begins in 2016
DAILY_SIGMA = 0.02
GAP_SIGMA = 0.005
DEFAULT_LIMIT, MAX_LIMIT = 1000, 10000

_TIMEFRAME = re.compile(r"^(\d+)(Min|T|Hour|H|Day|D|Week|W|Month|M)$")
_UNITS = {"Min": "min", "T": "min", "Hour": "hour", "H": "hour", "Day": "day", "D": "day",
          "Week": "week", "W": "week", "Month": "month", "M": "month"}


@dataclass(frozen=True)
class TimeFrame:
    amount: int
    unit: str  # min, hour, day, week, month

    @property
    def intraday(self) -> bool:
        return self.unit in ("min", "hour")

    @property
    def minutes(self) -> int:
        return self.amount * (60 if self.unit == "hour" else 1)


def parse_timeframe(raw: str | None) -> TimeFrame:
    match = _TIMEFRAME.match((raw or "").strip())
    if not match:
        raise unprocessable(f"invalid timeframe: {raw!r}" if raw else "timeframe is required")
    amount, unit = int(match.group(1)), _UNITS[match.group(2)]
    ok = {"min": 1 <= amount <= 59, "hour": 1 <= amount <= 23, "day": amount == 1, "week": amount == 1,
          "month": amount in (1, 2, 3, 4, 6, 12)}[unit]
    if not ok:
        raise unprocessable(f"invalid timeframe: {raw!r}")
    return TimeFrame(amount, unit)


def _px(x: float) -> float:
    return round(x, 2) if x >= 1 else round(x, 4)


def _rng(seed: int, symbol: str, key: Any) -> random.Random:
    return random.Random(f"{seed}:bars:{symbol}:{key}")


@dataclass(frozen=True)
class DayBar:
    day: cal.TradingDay
    o: float
    h: float
    l: float  # noqa: E741
    c: float
    v: int
    n: int


@functools.lru_cache(maxsize=256)
def _past_closes(seed: int, symbol: str, prev_close: float, today: date) -> dict[date, float]:
    """Closes of every trading day before `today` back to HISTORY_START, walking backwards."""
    days = cal.trading_days(HISTORY_START, today - timedelta(days=1))
    closes: dict[date, float] = {}
    close = prev_close
    for td in reversed(days):
        closes[td.date] = close
        move = _rng(seed, symbol, td.date.isoformat()).gauss(0, DAILY_SIGMA)
        close = max(_px(close / (1 + max(min(move, 0.2), -0.2))), 0.0001)
    return closes


MINUTE_SIGMA = DAILY_SIGMA / 390 ** 0.5


def _walk_minutes(seed: int, symbol: str, opened: datetime, count: int, o: float, h: float, l: float,  # noqa: E741
                  c: float, v: int, n: int, key: str) -> list[dict[str, Any]]:
    """`count` minute bars from `opened`, from o to c, inside [l, h] and touching both."""
    touch = _rng(seed, symbol, f"touch:{key}:{count}")
    hi_at = touch.randint(1, count - 1) if count > 1 else None
    lo_at = touch.randint(1, count - 1) if count > 2 else None
    if lo_at == hi_at and lo_at is not None:
        lo_at = lo_at + 1 if lo_at < count - 1 else lo_at - 1
    span = h - l
    # One stream per day (seed, symbol, session open), drawn in minute order.
    rng = _rng(seed, symbol, f"m:{key}:{count}")
    points = [o]
    for i in range(1, count):
        if i == hi_at:
            points.append(h)
        elif i == lo_at:
            points.append(l)
        else:
            base = o + (c - o) * i / count
            points.append(min(max(_px(base + rng.gauss(0, span * 0.12)), l), h))
    points.append(c)
    per_v, extra_v = divmod(v, count)
    per_n, extra_n = divmod(n, count)
    bars = []
    for i in range(count):
        prev, nxt = points[i], points[i + 1]
        wiggle = rng.random() * span * 0.05
        bh, bl = min(_px(max(prev, nxt) + wiggle), h), max(_px(min(prev, nxt) - wiggle), l)
        bars.append({"t": opened + timedelta(minutes=i), "o": prev, "h": bh, "l": bl, "c": nxt,
                     "v": per_v + (1 if i < extra_v else 0), "n": per_n + (1 if i < extra_n else 0)})
    return bars


def _past_minutes(seed: int, symbol: str, db: DayBar) -> list[dict[str, Any]]:
    """A past day's 390 (or early-close 210) minute bars: they add up to its daily bar.
    Not cached: a year of minutes passes through here (see last_minute)."""
    opened = db.day.open.astimezone(UTC)
    count = int((db.day.close.astimezone(UTC) - opened).total_seconds() // 60)
    return _walk_minutes(seed, symbol, opened, count, db.o, db.h, db.l, db.c, db.v, db.n, opened.isoformat())


@functools.lru_cache(maxsize=256)
def _last_past_minute(seed: int, symbol: str, db: DayBar) -> dict[str, Any]:
    return _past_minutes(seed, symbol, db)[-1]


@functools.lru_cache(maxsize=64)  # one a symbol a day; the simulator has 43 symbols
def _backfill(seed: int, symbol: str, opened: datetime, count: int, prev_close: float,
              reached: float) -> tuple[dict[str, Any], ...]:
    """Today's minutes before the simulator's record of prints begins: a seeded walk from an
    opening gap off the previous close to the price the record begins at (a bridge: the
    walk's drift is bent so it arrives there), `count` minutes from the open."""
    rng = _rng(seed, symbol, f"today:{opened.isoformat()}")
    o = _px(prev_close * (1 + rng.gauss(0, GAP_SIGMA)))
    walk, w = [0.0], 0.0
    for _ in range(count):
        w += rng.gauss(0, MINUTE_SIGMA * prev_close)
        walk.append(w)
    points = [o] + [_px(max(o + walk[i] + (i / count) * ((reached - o) - walk[count]), 0.0001))
                    for i in range(1, count)] + [reached]
    bars = []
    for i in range(count):
        a, b = points[i], points[i + 1]
        wiggle = abs(rng.gauss(0, MINUTE_SIGMA * 0.3 * prev_close))
        v = rng.randint(5_000, 40_000)
        bars.append({"t": opened + timedelta(minutes=i), "o": a, "h": _px(max(a, b) + wiggle),
                     "l": _px(max(min(a, b) - wiggle, 0.0001)), "c": b, "v": v, "n": max(v // rng.randint(80, 200), 1)})
    return tuple(bars)


def summarize(day: cal.TradingDay, minutes: Any) -> DayBar | None:
    """The daily bar a day's minute bars add up to (None without any)."""
    o = h = l = c = None  # noqa: E741
    v = n = 0
    for m in minutes:
        if o is None:
            o, h, l = m["o"], m["h"], m["l"]  # noqa: E741
        else:
            h, l = max(h, m["h"]), min(l, m["l"])  # noqa: E741
        c = m["c"]
        v += m["v"]
        n += m["n"]
    return None if o is None else DayBar(day, o, h, l, c, v, n)


class BarSource:
    """Bars for one simulator state: seed, today's trading day, the PriceBook.

    Today's regular-session minutes are in two parts. Before the moment the PriceBook began
    its record of prints (the simulator's start, or 04:00 when a trading day began while it
    ran) they are drawn: a seeded walk from an opening gap to the price the record began at.
    From that moment on they are the prints themselves, minute by minute, as the data
    stream's minute bars count them (one trade of the quote's size per price step). A
    minute without a print has no bar, as at Alpaca. Today's daily bar is their sum.
    """

    def __init__(self, seed: int, prices: Any, now: datetime) -> None:
        self.seed, self.prices, self.now = seed, prices, now
        self.today = cal.current_trading_day(now)
        self._today_minutes: dict[str, list[dict[str, Any]]] = {}

    # ---- daily ----

    def day_bar(self, symbol: str, td: cal.TradingDay) -> DayBar | None:
        if td.date == self.today.date:
            return summarize(td, self.today_minutes(symbol))
        if td.date > self.today.date or td.date < HISTORY_START:
            return None
        prev_close = float(self.prices.day(symbol).prev_close)
        closes = _past_closes(self.seed, symbol, prev_close, self.today.date)
        c = closes[td.date]
        rng = _rng(self.seed, symbol, f"day:{td.date.isoformat()}")
        before = closes.get(cal.previous_trading_day(td.date).date, c)
        o = _px(before * (1 + rng.gauss(0, GAP_SIGMA)))
        h = _px(max(o, c) * (1 + abs(rng.gauss(0, 0.006))))
        l = _px(min(o, c) * (1 - abs(rng.gauss(0, 0.006))))  # noqa: E741
        h, l = max(h, o, c), min(l, o, c)  # noqa: E741
        rng = _rng(self.seed, symbol, f"vol:{td.date.isoformat()}")
        v = rng.randint(2_000_000, 60_000_000)
        return DayBar(td, o, h, l, c, v, max(v // rng.randint(80, 200), 1))

    def latest_days(self, symbol: str) -> tuple[DayBar | None, DayBar | None]:
        """The last two daily bars, newest first: today's and the previous session's once
        today's session has a bar, else the previous session's and the one before."""
        today = self.day_bar(symbol, self.today)
        before = cal.previous_trading_day(self.today.date)
        if today is not None:
            return today, self.day_bar(symbol, before)
        return self.day_bar(symbol, before), self.day_bar(symbol, cal.previous_trading_day(before.date))

    # ---- minutes ----

    def today_minutes(self, symbol: str) -> list[dict[str, Any]]:
        """Today's regular-session minute bars up to now: drawn, then recorded (see the class)."""
        cached = self._today_minutes.get(symbol)
        if cached is not None:
            return cached
        td = self.today
        opened, closed = td.open.astimezone(UTC), td.close.astimezone(UTC)
        out: list[dict[str, Any]] = []
        if self.now >= opened:
            since, price = self.prices.anchor(symbol)
            start = min(max(since.astimezone(UTC).replace(second=0, microsecond=0), opened), closed)
            count = int((start - opened).total_seconds() // 60)
            if count > 0:
                out.extend(_backfill(self.seed, symbol, opened, count,
                                     float(self.prices.day(symbol).prev_close), float(price)))
            for minute, m in self.prices.minutes(symbol).items():
                if start <= minute < closed and minute <= self.now:
                    out.append({"t": minute, "o": float(m.open), "h": float(m.high), "l": float(m.low),
                                "c": float(m.close), "v": m.volume, "n": m.trades,
                                "vw": round(float(m.value / m.volume), 4) if m.volume else float(m.close)})
        self._today_minutes[symbol] = out
        return out

    def minutes(self, symbol: str, db: DayBar) -> list[dict[str, Any]]:
        """The day's 1-minute bars, open to close (today: up to now)."""
        if db.day.date == self.today.date:
            return self.today_minutes(symbol)
        return _past_minutes(self.seed, symbol, db)

    def last_minute(self, symbol: str, db: DayBar) -> dict[str, Any] | None:
        """The day's last minute bar (for snapshots: cached for past days)."""
        if db.day.date == self.today.date:
            minutes = self.today_minutes(symbol)
            return minutes[-1] if minutes else None
        return _last_past_minute(self.seed, symbol, db)

    # ---- series ----

    def day_bars(self, symbol: str, tf: TimeFrame, first: date, last: date) -> list[dict[str, Any]]:
        """Bars for day/week/month timeframes whose period overlaps first..last, ascending."""
        if tf.unit == "week":
            first -= timedelta(days=first.weekday())
        elif tf.unit == "month":
            first = date(first.year, first.month, 1) - timedelta(days=31 * (tf.amount - 1))
        first = max(first, HISTORY_START)
        out: list[dict[str, Any]] = []
        key_of = {
            "day": lambda d: d,
            "week": lambda d: d - timedelta(days=d.weekday()),
            "month": lambda d: date(d.year, ((d.month - 1) // tf.amount) * tf.amount + 1, 1),
        }[tf.unit]
        for td in cal.trading_days(first, min(last, self.today.date)):
            db = self.day_bar(symbol, td)
            if db is None:
                continue
            bar = {"t": key_of(td.date), "o": db.o, "h": db.h, "l": db.l, "c": db.c, "v": db.v, "n": db.n}
            if out and out[-1]["t"] == bar["t"]:
                _merge(out[-1], bar)
            else:
                out.append(bar)
        for bar in out:
            bar["t"] = datetime.combine(bar["t"], datetime.min.time(), NEW_YORK).astimezone(UTC)
        return out

    def intraday(self, symbol: str, tf: TimeFrame, first: date, last: date, desc: bool) -> Iterator[dict[str, Any]]:
        days = cal.trading_days(max(first, HISTORY_START), min(last, self.today.date))
        for td in (reversed(days) if desc else days):
            db = self.day_bar(symbol, td)
            if db is None:
                continue
            minutes = self.minutes(symbol, db)
            bars = minutes if tf.minutes == 1 else _aggregate(minutes, tf.minutes)
            yield from (reversed(bars) if desc else bars)


def _merge(into: dict[str, Any], bar: dict[str, Any]) -> None:
    into["h"] = max(into["h"], bar["h"])
    into["l"] = min(into["l"], bar["l"])
    into["c"] = bar["c"]
    into["v"] += bar["v"]
    into["n"] += bar["n"]


def _aggregate(minutes: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """Buckets aligned to the New York clock (1Hour: 9:00, 10:00, ...; 15Min: 9:30, 9:45, ...)."""
    out: list[dict[str, Any]] = []
    for m in minutes:
        local = m["t"].astimezone(NEW_YORK)
        of_day = local.hour * 60 + local.minute
        start = local - timedelta(minutes=of_day % size)
        if out and out[-1]["t"] == start:
            _merge(out[-1], m)
        else:
            out.append({**m, "t": start})
            out[-1].pop("vw", None)
    for bar in out:
        bar["t"] = bar["t"].astimezone(UTC)
    return out


def bar_json(bar: dict[str, Any]) -> dict[str, Any]:
    vw = bar.get("vw") or _px((bar["h"] + bar["l"] + bar["c"]) / 3)
    return {"t": bar["t"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "o": bar["o"], "h": bar["h"],
            "l": bar["l"], "c": bar["c"], "v": bar["v"], "n": bar["n"], "vw": vw}


# ---- page tokens: base64 of "SYMBOL|next bar's timestamp" ----

def encode_token(symbol: str, t: datetime) -> str:
    return base64.urlsafe_b64encode(f"{symbol}|{t.astimezone(UTC).isoformat()}".encode()).decode()


def decode_token(token: str) -> tuple[str, datetime]:
    try:
        symbol, moment = base64.urlsafe_b64decode(token.encode()).decode().split("|", 1)
        return symbol, datetime.fromisoformat(moment)
    except Exception:
        raise unprocessable("invalid page_token") from None


def query_bars(source: BarSource, symbols: list[str], tf: TimeFrame, start: datetime, end: datetime,
               limit: int, page_token: str | None, desc: bool) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """Up to `limit` bars over all symbols (in symbol order, then time), and the next page's token."""
    resume: tuple[str, datetime] | None = decode_token(page_token) if page_token else None
    out: dict[str, list[dict[str, Any]]] = {}
    taken = 0
    for symbol in sorted(set(symbols)):
        if resume and symbol < resume[0]:
            continue
        lo, hi = start, end
        if resume and symbol == resume[0]:
            if desc:
                hi = min(hi, resume[1])
            else:
                lo = max(lo, resume[1])
        if hi < lo:
            continue
        first, last = lo.astimezone(NEW_YORK).date(), hi.astimezone(NEW_YORK).date()
        if tf.intraday:
            series: Any = source.intraday(symbol, tf, first, last, desc)
        else:
            bars = source.day_bars(symbol, tf, first, last)
            series = reversed(bars) if desc else bars
        for bar in series:
            if not lo <= bar["t"] <= hi:
                continue
            if taken == limit:
                return out, encode_token(symbol, bar["t"])
            out.setdefault(symbol, []).append(bar_json(bar))
            taken += 1
    return out, None
