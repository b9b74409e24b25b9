"""The two gates for outside data: text (tui.text) and numbers/times (tui.numbers)."""

from decimal import Decimal

from hypothesis import given, strategies as st

from tui.numbers import number, moment
from tui.text import clean, is_symbol, show_symbol


def test_escape_sequences_and_controls_are_removed():
    hostile = "a\x1b]0;title\x07b\x1b[2Jc\x1b]52;c;Zm9v\x1b\\d\x9b2Je\x00\x7f\u202eevil"
    assert clean(hostile) == "abcdeevil"


def test_markup_is_left_as_plain_characters():
    assert clean("[/] [@click=app.quit]x[/]") == "[/] [@click=app.quit]x[/]"


def test_one_line_folds_line_breaks():
    assert clean("a\nb\r\n\tc", one_line=True) == "a b c"
    assert clean("a\nb\tc") == "a\nb\tc"


@given(st.text())
def test_clean_never_leaves_a_control_character(text):
    out = clean(text, one_line=True)
    assert not any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for ch in out)


def test_symbols():
    assert is_symbol("BRK.B") and is_symbol("BTC/USD") and is_symbol("AAPL260116C00250000")
    assert not is_symbol("[/]") and not is_symbol("A\x1b[2J") and not is_symbol("")
    assert show_symbol("A\x1b[2J") == "A\\x1b[2J"
    assert "\x1b" not in show_symbol("\x1b]52;c;Zm9v\x07")


def test_numbers_are_bounded():
    assert number("12.50") == Decimal("12.50")
    for junk in ("NaN", "inf", "1e999999999", "-1e999999999", "1e400", "x", "", None, "9" * 100, True):
        assert number(junk) is None, junk
    assert number(float("nan")) is None


def test_moments_are_bounded():
    assert moment("2026-11-23T15:00:00Z") is not None
    assert moment("9999-12-31T00:00:00Z") is None
    assert moment("0001-01-01T00:00:00Z") is None
    assert moment("garbage") is None
