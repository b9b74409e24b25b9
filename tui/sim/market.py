"""Market hours as the simulator runs them: NYSE's calendar, or a market that never closes.

In always-open mode every instant is regular trading and the trading day rolls over at
midnight New York time; DAY orders expire and last_equity is taken then.

On NYSE's calendar the two happen apart, as at Alpaca: DAY orders expire at the regular
close, while last_equity (equity at the previous trading day's close) changes only when the
next trading day's session begins at 04:00, so Day P&L keeps counting through after-hours
and over the weekend. Prices stand still while no session is open.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from . import market_calendar as cal
from ..terms import NEW_YORK
from .market_calendar import ClockState, Phase

MarketMode = Literal["always-open", "nyse"]
GTC_LIFETIME = timedelta(days=90)


class MarketHours:
    def __init__(self, mode: MarketMode) -> None:
        if mode not in ("always-open", "nyse"):
            raise ValueError(f"unknown market mode {mode!r}")
        self.mode = mode

    def phase(self, now: datetime) -> Phase:
        return Phase.REGULAR if self.mode == "always-open" else cal.phase_at(now)

    def clock(self, now: datetime) -> ClockState:
        return cal.always_open_clock(now) if self.mode == "always-open" else cal.nyse_clock(now)

    def can_trade(self, now: datetime, extended_hours: bool) -> bool:
        phase = self.phase(now)
        return phase is Phase.REGULAR or (extended_hours and phase in (Phase.PRE, Phase.POST))

    def trading_date(self, now: datetime) -> date:
        """The trading day a fill at `now` belongs to (for day-trade counting)."""
        if self.mode == "nyse":
            session = cal.session_date(now)
            if session is not None:
                return session
        return now.astimezone(NEW_YORK).date()

    def first_fill_date(self, now: datetime, extended_hours: bool) -> date:
        """The trading day an order sent now can first fill on: today's session if it is
        still ahead, otherwise the next one (an order queued after the close is tomorrow's)."""
        if self.can_trade(now, extended_hours) or self.mode == "always-open":
            return self.trading_date(now)
        if cal.phase_at(now) is Phase.PRE:
            return self.trading_date(now)
        return cal.next_trading_day(now.astimezone(NEW_YORK).date()).date

    def previous_rollover(self, now: datetime) -> datetime:
        """The close today's P&L is measured from: the previous trading day's regular close,
        or the last NY midnight when always open."""
        local = now.astimezone(NEW_YORK)
        if self.mode == "always-open":
            return local.replace(hour=0, minute=0, second=0, microsecond=0)
        return cal.previous_trading_day(cal.current_trading_day(local).date).close

    def day_close(self, d: date) -> datetime:
        """When trading day `d` closes and its equity is taken: the regular close, or the
        midnight that ends it when always open."""
        if self.mode == "nyse":
            td = cal.trading_day(d)
            if td is not None:
                return td.close
        return datetime.combine(d + timedelta(days=1), datetime.min.time(), NEW_YORK)

    def balance_date(self, now: datetime) -> date:
        """The day last_equity was taken at the close of (the account's balance_asof)."""
        if self.mode == "nyse":
            return cal.previous_trading_day(cal.current_trading_day(now).date).date
        return self.trading_date(now) - timedelta(days=1)

    def closed_for_the_day(self, now: datetime) -> bool:
        """The current trading day's regular close is behind us ("nyse" only): its closing
        equity is known, the next day has not begun."""
        return self.mode == "nyse" and cal.current_trading_day(now).close <= now

    def next_day_start(self, now: datetime) -> datetime | None:
        """When the next trading day begins and Day P&L restarts ("nyse": its 04:00 session
        open). None when always open: the day starts at the rollover itself."""
        return cal.next_session_open(now) if self.mode == "nyse" else None

    def prices_move(self, now: datetime) -> bool:
        """Quotes change only while a session (regular or extended) is open."""
        return self.mode == "always-open" or cal.phase_at(now) is not Phase.CLOSED

    def window(self, now: datetime, days: int = 5) -> list[date]:
        """The last `days` trading days, today included."""
        today = self.trading_date(now)
        if self.mode == "always-open":
            return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
        return cal.trading_days_back(today, days)

    def next_rollover(self, now: datetime) -> datetime:
        """When the trading day ends: last_equity and previous closes are taken then."""
        return cal.next_rollover(now, self.mode)

    def day_order_expiry(self, now: datetime, extended_hours: bool) -> datetime:
        """A DAY order lives until the end of the session it is for: the regular close, or
        the end of after-hours when it may trade extended hours. Submitted after that, it
        is for the next session."""
        if self.mode == "always-open":
            return cal.next_rollover(now, self.mode)
        return cal.next_session_close(now) if extended_hours else cal.nyse_clock(now).next_close

    def expiry(self, now: datetime, time_in_force: str, extended_hours: bool) -> datetime | None:
        if time_in_force == "gtc":
            return now + GTC_LIFETIME
        if time_in_force in ("day", "opg", "cls"):
            return self.day_order_expiry(now, extended_hours)
        return None
