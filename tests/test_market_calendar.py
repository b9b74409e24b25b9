"""Tests for tui.sim.market_calendar against NYSE's published 2025-2027 schedule."""

from datetime import date, datetime, timedelta, timezone

import pytest

from tui.sim.market_calendar import (
    NY,
    ClockState,
    Phase,
    always_open_clock,
    is_trading_day,
    next_rollover,
    next_session_close,
    next_trading_day,
    nyse_clock,
    phase_at,
    previous_trading_day,
    session_date,
    trading_day,
    trading_days,
    trading_days_back,
)

UTC = timezone.utc
EST = timedelta(hours=-5)
EDT = timedelta(hours=-4)


def ny(y, mo, d, h=0, mi=0, s=0):
    return datetime(y, mo, d, h, mi, s, tzinfo=NY)


# Written out from NYSE's published holiday schedule, not derived from the code.
NYSE_HOLIDAYS = {
    2025: ["01-01", "01-09", "01-20", "02-17", "04-18", "05-26", "06-19", "07-04", "09-01",
           "11-27", "12-25"],
    2026: ["01-01", "01-19", "02-16", "04-03", "05-25", "06-19", "07-03", "09-07", "11-26",
           "12-25"],
    2027: ["01-01", "01-18", "02-15", "03-26", "05-31", "06-18", "07-05", "09-06", "11-25",
           "12-24"],
}

# Each of these years has 365 days = 52 weeks + 1 day, and starts on a weekday
# (2025 Wed, 2026 Thu, 2027 Fri), so 261 weekdays; minus the weekday holidays above
# (11, 10, 10). 2027-12-31 (Fri) stays open: NYSE does not observe a Saturday New Year's Day.
TRADING_DAY_COUNTS = {2025: 261 - 11, 2026: 261 - 10, 2027: 261 - 10}

EARLY_CLOSES = {
    2025: {date(2025, 7, 3), date(2025, 11, 28), date(2025, 12, 24)},
    2026: {date(2026, 11, 27), date(2026, 12, 24)},  # Jul 3 2026 is the observed holiday
    2027: {date(2027, 11, 26)},  # Dec 24 is the observed Christmas; no Jul 2 early close
    # Past years, from NYSE's published schedules, to pin down the July/Christmas rules.
    2019: {date(2019, 7, 3), date(2019, 11, 29), date(2019, 12, 24)},
    2020: {date(2020, 11, 27), date(2020, 12, 24)},
    2021: {date(2021, 11, 26)},
    2022: {date(2022, 11, 25)},  # Jul 4 Monday: Fri Jul 1 full day; Dec 24 is a Saturday
    2024: {date(2024, 7, 3), date(2024, 11, 29), date(2024, 12, 24)},
}


def _year_dates(year):
    d = date(year, 1, 1)
    while d.year == year:
        yield d
        d += timedelta(days=1)


# --- days -------------------------------------------------------------------------------

@pytest.mark.parametrize("year", sorted(NYSE_HOLIDAYS))
def test_weekday_closures_match_published_holidays(year):
    expected = {date.fromisoformat(f"{year}-{md}") for md in NYSE_HOLIDAYS[year]}
    closed_weekdays = {d for d in _year_dates(year) if d.weekday() < 5 and not is_trading_day(d)}
    assert closed_weekdays == expected
    for d in expected:
        assert trading_day(d) is None
        assert phase_at(datetime.combine(d, datetime.min.time(), NY).replace(hour=12)) is Phase.CLOSED


@pytest.mark.parametrize("year", sorted(TRADING_DAY_COUNTS))
def test_trading_day_count_per_year(year):
    days = trading_days(date(year, 1, 1), date(year, 12, 31))
    assert len(days) == TRADING_DAY_COUNTS[year]
    assert [td.date for td in days] == sorted(td.date for td in days)


def test_year_counts_plausible_2000_to_2100():
    for year in range(2000, 2101):
        n = len(trading_days(date(year, 1, 1), date(year, 12, 31)))
        # 260-262 weekdays, 9-10 regular holidays, 2001 lost 4 days to 9/11.
        assert 248 <= n <= 253, (year, n)


def test_weekends_closed():
    for d in (date(2026, 3, 7), date(2026, 3, 8), date(2025, 12, 27), date(2027, 7, 3)):
        assert not is_trading_day(d)
        assert trading_day(d) is None
        assert phase_at(datetime.combine(d, datetime.min.time(), NY).replace(hour=11)) is Phase.CLOSED


def test_2027_12_31_is_open():
    # New Year's Day 2028 is a Saturday; NYSE does not close the Friday before.
    assert is_trading_day(date(2027, 12, 31))


@pytest.mark.parametrize("year", sorted(EARLY_CLOSES))
def test_early_closes(year):
    days = trading_days(date(year, 1, 1), date(year, 12, 31))
    assert {td.date for td in days if td.early_close} == EARLY_CLOSES[year]
    for d in EARLY_CLOSES[year]:
        td = trading_day(d)
        assert td.close == ny(d.year, d.month, d.day, 13)
        assert td.session_close == ny(d.year, d.month, d.day, 17)
        assert td.open == ny(d.year, d.month, d.day, 9, 30)
        assert td.session_open == ny(d.year, d.month, d.day, 4)


def test_day_after_thanksgiving_always_early_2000_to_2100():
    for year in range(2000, 2101):
        fridays = [td for td in trading_days(date(year, 11, 22), date(year, 11, 29))
                   if td.early_close]
        assert len(fridays) == 1, year
        fri = fridays[0].date
        assert fri.weekday() == 4
        assert not is_trading_day(fri - timedelta(days=1))  # Thanksgiving


def test_regular_day_fields_and_dst_offsets():
    td = trading_day(date(2026, 3, 6))  # Friday before spring-forward
    assert not td.early_close
    assert (td.open.hour, td.open.minute, td.close.hour) == (9, 30, 16)
    assert td.session_open.hour == 4 and td.session_close.hour == 20
    assert td.open.utcoffset() == EST
    assert trading_day(date(2026, 3, 9)).open.utcoffset() == EDT
    assert trading_day(date(2026, 10, 30)).close.utcoffset() == EDT
    assert trading_day(date(2026, 11, 2)).session_open.utcoffset() == EST


def test_trading_days_inclusive_across_year_end():
    days = trading_days(date(2025, 12, 24), date(2026, 1, 2))
    assert [td.date for td in days] == [
        date(2025, 12, 24), date(2025, 12, 26), date(2025, 12, 29), date(2025, 12, 30),
        date(2025, 12, 31), date(2026, 1, 2)]
    assert [td.early_close for td in days] == [True, False, False, False, False, False]
    assert trading_days(date(2026, 1, 2), date(2026, 1, 2))[0].date == date(2026, 1, 2)
    assert trading_days(date(2026, 1, 3), date(2026, 1, 2)) == []


def test_next_previous_over_long_weekends():
    # MLK weekend 2026: Fri Jan 16 -> Tue Jan 20.
    assert next_trading_day(date(2026, 1, 16)).date == date(2026, 1, 20)
    assert previous_trading_day(date(2026, 1, 20)).date == date(2026, 1, 16)
    assert next_trading_day(date(2026, 1, 17)).date == date(2026, 1, 20)
    # Good Friday 2025: Thu Apr 17 -> Mon Apr 21.
    assert next_trading_day(date(2025, 4, 17)).date == date(2025, 4, 21)
    assert previous_trading_day(date(2025, 4, 21)).date == date(2025, 4, 17)
    # Strictly after/before, even from a trading day, and across the year end.
    assert next_trading_day(date(2026, 1, 20)).date == date(2026, 1, 21)
    assert next_trading_day(date(2025, 12, 31)).date == date(2026, 1, 2)
    assert previous_trading_day(date(2026, 1, 2)).date == date(2025, 12, 31)


def test_trading_days_back():
    # Over Independence Day 2025 (Fri Jul 4).
    assert trading_days_back(date(2025, 7, 8), 5) == [
        date(2025, 7, 1), date(2025, 7, 2), date(2025, 7, 3), date(2025, 7, 7), date(2025, 7, 8)]
    # Ending on a non-trading day: that day is not included.
    assert trading_days_back(date(2025, 7, 5), 3) == [
        date(2025, 7, 1), date(2025, 7, 2), date(2025, 7, 3)]
    # Over New Year's Day and the Jan 9 2025 mourning closure.
    assert trading_days_back(date(2025, 1, 10), 5) == [
        date(2025, 1, 3), date(2025, 1, 6), date(2025, 1, 7), date(2025, 1, 8), date(2025, 1, 10)]
    assert trading_days_back(date(2025, 7, 8), 1) == [date(2025, 7, 8)]
    assert trading_days_back(date(2025, 7, 8), 0) == []


# --- intraday ---------------------------------------------------------------------------

@pytest.mark.parametrize("hms,phase", [
    ((3, 59, 59), Phase.CLOSED),
    ((4, 0, 0), Phase.PRE),
    ((9, 29, 59), Phase.PRE),
    ((9, 30, 0), Phase.REGULAR),
    ((15, 59, 0), Phase.REGULAR),
    ((15, 59, 59), Phase.REGULAR),
    ((16, 0, 0), Phase.POST),
    ((19, 59, 0), Phase.POST),
    ((19, 59, 59), Phase.POST),
    ((20, 0, 0), Phase.CLOSED),
    ((23, 0, 0), Phase.CLOSED),
])
def test_phase_boundaries_regular_day(hms, phase):
    assert phase_at(ny(2025, 6, 10, *hms)) is phase


@pytest.mark.parametrize("hms,phase", [
    ((12, 59, 59), Phase.REGULAR),
    ((13, 0, 0), Phase.POST),
    ((16, 0, 0), Phase.POST),
    ((16, 59, 59), Phase.POST),
    ((17, 0, 0), Phase.CLOSED),
])
def test_phase_boundaries_early_close(hms, phase):
    assert phase_at(ny(2026, 11, 27, *hms)) is phase


def test_phase_converts_to_new_york():
    # 13:30 UTC is 09:30 EDT in June but 08:30 EST in January.
    assert phase_at(datetime(2025, 6, 10, 13, 30, tzinfo=UTC)) is Phase.REGULAR
    assert phase_at(datetime(2025, 1, 14, 13, 30, tzinfo=UTC)) is Phase.PRE
    # 01:00 UTC Wednesday is still Tuesday 21:00 EDT.
    assert phase_at(datetime(2025, 6, 11, 0, 30, tzinfo=UTC)) is Phase.CLOSED
    assert Phase.REGULAR == "regular" and Phase.PRE.value == "pre"


def test_naive_datetime_rejected():
    with pytest.raises(ValueError):
        phase_at(datetime(2025, 6, 10, 12))


def test_session_date():
    assert session_date(ny(2025, 6, 10, 4)) == date(2025, 6, 10)
    assert session_date(ny(2025, 6, 10, 19, 59, 59)) == date(2025, 6, 10)
    assert session_date(ny(2025, 6, 10, 3, 59)) is None
    assert session_date(ny(2025, 6, 10, 20)) is None
    assert session_date(ny(2026, 11, 27, 16, 30)) == date(2026, 11, 27)
    assert session_date(ny(2026, 11, 27, 17)) is None
    assert session_date(ny(2026, 3, 7, 12)) is None  # Saturday
    assert session_date(datetime(2025, 6, 10, 23, 30, tzinfo=UTC)) == date(2025, 6, 10)


# --- clocks -----------------------------------------------------------------------------

def test_clock_friday_evening():
    c = nyse_clock(ny(2026, 1, 9, 18))
    assert isinstance(c, ClockState)
    assert c.is_open is False
    assert c.next_open == ny(2026, 1, 12, 9, 30)
    assert c.next_close == ny(2026, 1, 12, 16)


def test_clock_wednesday_before_thanksgiving_2026():
    c = nyse_clock(ny(2026, 11, 25, 18))
    assert c.is_open is False
    assert c.next_open == ny(2026, 11, 27, 9, 30)
    assert c.next_close == ny(2026, 11, 27, 13)


def test_clock_during_session():
    c = nyse_clock(ny(2026, 6, 10, 11))
    assert c.is_open is True
    assert c.next_close == ny(2026, 6, 10, 16)
    assert c.next_open == ny(2026, 6, 11, 9, 30)
    # Before a long weekend (Juneteenth Fri 2026-06-19): next open is Monday.
    c = nyse_clock(ny(2026, 6, 18, 15))
    assert c.is_open and c.next_close == ny(2026, 6, 18, 16)
    assert c.next_open == ny(2026, 6, 22, 9, 30)


def test_clock_boundaries():
    pre = nyse_clock(ny(2026, 6, 10, 8))
    assert not pre.is_open
    assert pre.next_open == ny(2026, 6, 10, 9, 30) and pre.next_close == ny(2026, 6, 10, 16)
    at_open = nyse_clock(ny(2026, 6, 10, 9, 30))
    assert at_open.is_open and at_open.next_open == ny(2026, 6, 11, 9, 30)
    at_close = nyse_clock(ny(2026, 6, 10, 16))
    assert not at_close.is_open
    assert at_close.next_open == ny(2026, 6, 11, 9, 30)
    assert at_close.next_close == ny(2026, 6, 11, 16)
    post = nyse_clock(ny(2026, 6, 10, 17))  # extended hours do not count as open
    assert not post.is_open


def test_clock_across_dst_changes():
    # Spring forward Sun 2026-03-08: Friday evening is EST, Monday's open is EDT.
    c = nyse_clock(datetime(2026, 3, 6, 23, 0, tzinfo=UTC))  # 18:00 EST
    assert c.timestamp.utcoffset() == EST
    assert c.next_open == ny(2026, 3, 9, 9, 30)
    assert c.next_open.utcoffset() == EDT
    assert c.next_open.astimezone(UTC) == datetime(2026, 3, 9, 13, 30, tzinfo=UTC)
    assert c.next_close.astimezone(UTC) == datetime(2026, 3, 9, 20, 0, tzinfo=UTC)
    # Fall back Sun 2026-11-01: Friday evening is EDT, Monday's open is EST.
    c = nyse_clock(datetime(2026, 10, 30, 22, 0, tzinfo=UTC))  # 18:00 EDT
    assert c.timestamp.utcoffset() == EDT
    assert c.next_open.utcoffset() == EST
    assert c.next_open.astimezone(UTC) == datetime(2026, 11, 2, 14, 30, tzinfo=UTC)
    # During the repeated 01:00-02:00 hour on the fall-back Sunday.
    c = nyse_clock(datetime(2026, 11, 1, 6, 30, tzinfo=UTC))  # 01:30 EST (second pass)
    assert not c.is_open and c.next_open.astimezone(UTC) == datetime(2026, 11, 2, 14, 30, tzinfo=UTC)


def test_always_open_clock():
    c = always_open_clock(ny(2026, 6, 10, 3))
    assert c.is_open is True
    assert c.next_close == c.next_open == ny(2026, 6, 11, 0)
    # Weekends and holidays are open too.
    assert always_open_clock(ny(2026, 12, 25, 12)).is_open
    # 03:30 UTC on Jun 10 is still Jun 9 in New York: rollover is NY midnight = 04:00 UTC.
    c = always_open_clock(datetime(2026, 6, 10, 3, 30, tzinfo=UTC))
    assert c.timestamp.tzinfo is NY
    assert c.next_close.astimezone(UTC) == datetime(2026, 6, 10, 4, 0, tzinfo=UTC)
    # Across spring-forward: midnight before the change is EST, after it EDT.
    assert always_open_clock(ny(2026, 3, 7, 23, 30)).next_close.utcoffset() == EST
    assert always_open_clock(ny(2026, 3, 8, 12)).next_close == ny(2026, 3, 9, 0)
    assert always_open_clock(ny(2026, 3, 8, 12)).next_close.utcoffset() == EDT


def test_next_rollover_and_session_close():
    assert next_rollover(ny(2026, 11, 27, 10), "nyse") == ny(2026, 11, 27, 13)
    assert next_rollover(ny(2026, 11, 27, 13, 30), "nyse") == ny(2026, 11, 30, 16)
    assert next_rollover(ny(2026, 6, 10, 3), "nyse") == ny(2026, 6, 10, 16)
    assert next_session_close(ny(2026, 11, 27, 13, 30)) == ny(2026, 11, 27, 17)
    assert next_session_close(ny(2026, 11, 27, 17, 30)) == ny(2026, 11, 30, 20)
    assert next_session_close(ny(2026, 6, 10, 16)) == ny(2026, 6, 10, 20)
    assert next_rollover(ny(2026, 6, 10, 23, 59), "always-open") == ny(2026, 6, 11, 0)
    assert next_rollover(ny(2026, 6, 11, 0), "always-open") == ny(2026, 6, 12, 0)
    with pytest.raises(ValueError):
        next_rollover(ny(2026, 6, 10, 12), "bogus")
