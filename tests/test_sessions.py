"""Trading sessions from the server's time and Alpaca's calendar (tui/sessions.py)."""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from alpaca.trading.models import Calendar

from tui.sessions import (
    AFTER_HOURS, CLOSED, PRE_MARKET, REGULAR, Session, TradingDay, calendar_day, describe, read_calendar,
    session_at, when,
)
from tui.sim import market_calendar as cal

from .harness import profiles
from .harness.profiles import examples

NY = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def entry(day: str, open: str = "09:30", close: str = "16:00", session_open: str = "0400",
          session_close: str = "2000") -> dict:
    """One day of GET /v2/calendar, as the server sends it."""
    return {"date": day, "open": open, "close": close, "session_open": session_open,
            "session_close": session_close, "settlement_date": day}


# Thanksgiving week 2026: Thu 26 closed, Fri 27 closes at 13:00 (after-hours to 17:00).
WEEK = read_calendar([
    entry("2026-11-23"), entry("2026-11-24"), entry("2026-11-25"),
    entry("2026-11-27", close="13:00", session_close="1700"),
    entry("2026-11-30"), entry("2026-12-01"),
])


@pytest.mark.parametrize(
    "now, name, ends_at, next_name, next_at",
    [
        (ny(2026, 11, 25, 3, 59), CLOSED, ny(2026, 11, 25, 4), PRE_MARKET, ny(2026, 11, 25, 4)),
        (ny(2026, 11, 25, 4), PRE_MARKET, ny(2026, 11, 25, 9, 30), REGULAR, ny(2026, 11, 25, 9, 30)),
        (ny(2026, 11, 25, 9, 29, 59), PRE_MARKET, ny(2026, 11, 25, 9, 30), REGULAR, ny(2026, 11, 25, 9, 30)),
        (ny(2026, 11, 25, 9, 30), REGULAR, ny(2026, 11, 25, 16), AFTER_HOURS, ny(2026, 11, 25, 16)),
        (ny(2026, 11, 25, 16), AFTER_HOURS, ny(2026, 11, 25, 20), PRE_MARKET, ny(2026, 11, 27, 4)),  # Thanksgiving skipped
        (ny(2026, 11, 25, 20), CLOSED, ny(2026, 11, 27, 4), PRE_MARKET, ny(2026, 11, 27, 4)),
        (ny(2026, 11, 26, 12), CLOSED, ny(2026, 11, 27, 4), PRE_MARKET, ny(2026, 11, 27, 4)),  # a holiday
        (ny(2026, 11, 27, 12, 59), REGULAR, ny(2026, 11, 27, 13), AFTER_HOURS, ny(2026, 11, 27, 13)),  # early close
        (ny(2026, 11, 27, 13), AFTER_HOURS, ny(2026, 11, 27, 17), PRE_MARKET, ny(2026, 11, 30, 4)),
        (ny(2026, 11, 27, 17), CLOSED, ny(2026, 11, 30, 4), PRE_MARKET, ny(2026, 11, 30, 4)),
        (ny(2026, 11, 28, 11), CLOSED, ny(2026, 11, 30, 4), PRE_MARKET, ny(2026, 11, 30, 4)),  # Saturday
        (ny(2026, 12, 1, 20, 30), CLOSED, None, None, None),  # the calendar's last day: nothing known after
    ],
)
def test_session_at(now, name, ends_at, next_name, next_at):
    session = session_at(now, WEEK)
    assert (session.name, session.ends_at, session.next_name, session.next_at) == (name, ends_at, next_name, next_at)


def test_next_open_is_the_next_regular_open():
    assert session_at(ny(2026, 11, 28, 11), WEEK).next_open == ny(2026, 11, 30, 9, 30)
    assert session_at(ny(2026, 11, 25, 4), WEEK).next_open == ny(2026, 11, 25, 9, 30)
    assert session_at(ny(2026, 11, 25, 10), WEEK).next_open == ny(2026, 11, 27, 9, 30)  # like Alpaca's clock
    assert session_at(ny(2026, 12, 1, 10), WEEK).next_open is None


def test_flags():
    assert session_at(ny(2026, 11, 25, 10), WEEK).is_open
    assert session_at(ny(2026, 11, 25, 5), WEEK).trading and not session_at(ny(2026, 11, 25, 5), WEEK).is_open
    assert not session_at(ny(2026, 11, 28, 5), WEEK).trading


def test_after_hours_last_four_hours_after_an_early_close_whatever_the_calendar_says():
    # A calendar may say 20:00 on an early-close day; after-hours still end at 17:00.
    days = read_calendar([entry("2026-11-27", close="13:00", session_close="2000"), entry("2026-11-30")])
    assert session_at(ny(2026, 11, 27, 16, 59), days).name == AFTER_HOURS
    assert session_at(ny(2026, 11, 27, 17), days).name == CLOSED


def test_the_server_time_may_be_in_any_zone():
    utc = datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc)  # 09:30 ET
    assert session_at(utc, WEEK).name == REGULAR
    assert session_at(utc.replace(tzinfo=None), WEEK).name == REGULAR  # naive: UTC, like the server's


def test_beyond_the_calendar_or_without_one_the_session_is_unknown():
    assert session_at(ny(2026, 12, 2, 10), WEEK) is None  # a later date may trade or not
    assert session_at(ny(2026, 11, 25, 10), []) is None
    assert session_at("not a time", WEEK) is None  # type: ignore[arg-type]
    assert session_at(datetime(1900, 1, 1, tzinfo=timezone.utc), WEEK) is None  # no time a server sends


def test_before_the_calendar_starts_the_market_waits_for_its_first_day():
    # A calendar asked for from today lists the next trading day first (today may be a Sunday).
    session = session_at(ny(2026, 11, 22, 12), WEEK)
    assert (session.name, session.next_name, session.next_at) == (CLOSED, PRE_MARKET, ny(2026, 11, 23, 4))


def test_days_without_session_times_default_to_0400_and_close_plus_four_hours():
    days = read_calendar([{"date": "2026-11-27", "open": "09:30", "close": "13:00"}, entry("2026-11-30")])
    assert session_at(ny(2026, 11, 27, 4), days).name == PRE_MARKET
    assert session_at(ny(2026, 11, 27, 16, 59), days).name == AFTER_HOURS
    assert session_at(ny(2026, 11, 27, 17), days).name == CLOSED


def test_offsets_follow_daylight_saving():
    days = read_calendar([entry("2026-03-06"), entry("2026-03-09")])  # DST starts Sun Mar 8
    assert days[0].open == datetime(2026, 3, 6, 14, 30, tzinfo=timezone.utc)
    assert days[1].open == datetime(2026, 3, 9, 13, 30, tzinfo=timezone.utc)
    assert session_at(datetime(2026, 3, 9, 13, 30, tzinfo=timezone.utc), days).name == REGULAR


def test_read_calendar_takes_alpaca_py_models():
    # alpaca-py's Calendar has naive datetimes (New York wall clock) and no session times.
    models = [Calendar(date="2026-11-27", open="09:30", close="13:00"), Calendar(date="2026-11-30", open="09:30",
                                                                                 close="16:00")]
    days = read_calendar(models)
    assert [d.date for d in days] == [date(2026, 11, 27), date(2026, 11, 30)]
    assert days[0].open == ny(2026, 11, 27, 9, 30) and days[0].close == ny(2026, 11, 27, 13)
    assert session_at(ny(2026, 11, 27, 16), days).name == AFTER_HOURS


def test_read_calendar_skips_what_does_not_read_and_sorts():
    days = read_calendar([
        entry("2026-11-30"), entry("2026-11-27"), entry("nope"), {"date": "2026-11-25"},
        entry("2026-11-24", open="25:00"), entry("2026-11-23", open="16:00", close="09:30"), 42, None,
        entry("2026-11-25", open="9:30", close="1600"),
    ])
    assert [d.date for d in days] == [date(2026, 11, 25), date(2026, 11, 27), date(2026, 11, 30)]
    assert calendar_day("2026-11-27", "09:30", "x") is None


def test_agrees_with_the_simulators_nyse_calendar():
    """The simulator's GET /v2/calendar, read here, gives the phase the simulator trades by."""
    days = cal.trading_days(date(2026, 1, 1), date(2026, 12, 31))
    served = read_calendar([{"date": d.date.isoformat(), "open": d.open.strftime("%H:%M"),
                             "close": d.close.strftime("%H:%M"), "session_open": d.session_open.strftime("%H%M"),
                             "session_close": d.session_close.strftime("%H%M")} for d in days])
    names = {cal.Phase.PRE: PRE_MARKET, cal.Phase.REGULAR: REGULAR, cal.Phase.POST: AFTER_HOURS,
             cal.Phase.CLOSED: CLOSED}
    rng = random.Random(seed := profiles.seed(7))
    start = datetime(2026, 1, 2, tzinfo=timezone.utc)
    # ~2 random minutes a day over the year (thorough: ~80), every kind of day among them
    moments = [start + timedelta(minutes=rng.randrange(360 * 24 * 60)) for _ in range(examples(700, 30000))]
    # every boundary of the interesting days (the Mondays after the DST changes, the day
    # after Thanksgiving and Christmas Eve: early closes), and a second either side
    for d in (date(2026, 3, 9), date(2026, 11, 2), date(2026, 11, 27), date(2026, 12, 24)):
        td = cal.trading_day(d)
        for edge in (td.session_open, td.open, td.close, td.session_close):
            moments += [edge - timedelta(seconds=1), edge, edge + timedelta(seconds=1)]
    for now in moments:
        session = session_at(now, served)
        assert session.name == names[cal.phase_at(now)], (now, seed)
        assert session.next_open == cal.nyse_clock(now).next_open, (now, seed)


def test_when_is_as_short_as_is_clear():
    now = ny(2026, 11, 27, 14)
    assert when(ny(2026, 11, 27, 17), now) == "17:00 ET"
    assert when(ny(2026, 11, 30, 9, 30), now) == "Mon 09:30 ET"
    assert when(ny(2026, 12, 7, 9, 30), now) == "Mon Dec 07 09:30 ET"
    assert when(ny(2026, 11, 30, 9, 30)) == "Mon 09:30 ET"
    assert when(datetime(2026, 11, 30, 14, 30, tzinfo=timezone.utc), now) == "Mon 09:30 ET"
    assert when(datetime(1, 1, 1, tzinfo=timezone.utc), now) == "—"
    assert when(datetime(9999, 12, 31, 23, tzinfo=timezone.utc), datetime(9999, 12, 31, 23, 30, tzinfo=timezone.utc)) == "—"


def test_describe():
    now = ny(2026, 11, 27, 14)
    assert describe(session_at(now, WEEK), now) == "after-hours until 17:00 ET · next pre-market Mon 04:00 ET"
    saturday = ny(2026, 11, 28, 11)
    assert describe(session_at(saturday, WEEK), saturday) == "closed · next pre-market Mon 04:00 ET"
    assert describe(Session(CLOSED, None, None, None)) == "closed"


def test_trading_day_windows_leave_out_empty_sessions():
    day = TradingDay(date(2026, 11, 27), ny(2026, 11, 27, 9, 30), ny(2026, 11, 27, 13),
                     session_open=ny(2026, 11, 27, 9, 30), session_close=ny(2026, 11, 27, 13))
    assert [name for _, _, name in day.windows()] == [REGULAR]


def test_sessions_import_neither_textual_nor_the_simulator():
    code = (
        "import sys, tui.sessions;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'textual' or m.startswith('tui.sim'));"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
