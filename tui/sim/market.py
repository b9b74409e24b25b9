"""Market hours as the simulator runs them: NYSE's calendar, or a market that never closes.

In always-open mode every instant is regular trading and the trading day rolls over at
midnight New York time; DAY orders expire and last_equity is taken then.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from . import market_calendar as cal
from .market_calendar import NY, ClockState, Phase

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
        return now.astimezone(NY).date()

    def first_fill_date(self, now: datetime, extended_hours: bool) -> date:
        """The trading day an order sent now can first fill on: today's session if it is
        still ahead, otherwise the next one (an order queued after the close is tomorrow's)."""
        if self.can_trade(now, extended_hours) or self.mode == "always-open":
            return self.trading_date(now)
        if cal.phase_at(now) is Phase.PRE:
            return self.trading_date(now)
        return cal.next_trading_day(now.astimezone(NY).date()).date

    def previous_rollover(self, now: datetime) -> datetime:
        """When the current trading day began: the last close, or the last NY midnight."""
        local = now.astimezone(NY)
        if self.mode == "always-open":
            return local.replace(hour=0, minute=0, second=0, microsecond=0)
        today = cal.trading_day(local.date())
        if today is not None and today.close <= local:
            return today.close
        return cal.previous_trading_day(local.date()).close

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
