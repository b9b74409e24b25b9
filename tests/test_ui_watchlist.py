"""The watchlist's keys through the real app against the real simulator, wide (120x40: the
pane beside positions, `w` focuses it) and narrow (80x24: `w` shows it in their place):
add through the lookup, remove behind a confirmation, create one (its name checked), switch,
sort; a hostile name from the server shows as plain text; keys typed in one burst do what
the same keys typed slowly do."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import requests
from textual.content import Content

from tui.ui.screens.confirm import ConfirmScreen
from tui.ui.screens.detail import DetailScreen
from tui.ui.screens.lookup import LookupScreen
from tui.ui.screens.prompt import PromptScreen
from tui.ui.widgets.positions import PositionsTable
from tui.ui.widgets.watchlist import WatchlistTable

from .harness.simulator import HEADERS
from .market_support import MARKET_QUIET, SAMPLE_WATCHLIST, live, market_app, run_blocking, watch_cells, watchlist_loaded
from .ui_support import burst, screen_text, settled, typed_slowly, until

SIZES = [pytest.param((120, 40), id="120x40"), pytest.param((80, 24), id="80x24")]


def server_watchlists(sim: Any) -> dict[str, list[str]]:
    """name -> symbols, as the simulator's REST API says."""
    out = {}
    for item in requests.get(f"{sim.url}/v2/watchlists", headers=HEADERS, timeout=5).json():
        one = requests.get(f"{sim.url}/v2/watchlists/{item['id']}", headers=HEADERS, timeout=5).json()
        out[one["name"]] = [asset["symbol"] for asset in one.get("assets") or []]
    return out


def create_on_server(sim: Any, name: str, symbols: list[str]) -> None:
    answer = requests.post(f"{sim.url}/v2/watchlists", json={"name": name, "symbols": symbols}, headers=HEADERS,
                           timeout=5)
    assert answer.status_code == 200, answer.text


def pane(app) -> WatchlistTable:
    return app.main.query_one(WatchlistTable)


def title(app) -> str:
    """The pane's title as shown (Textual keeps it as markup, escaped)."""
    return Content.from_markup(pane(app).border_title).plain


def toasts(app) -> list[str]:
    return [str(n.message) for n in list(app._notifications)]


def rows(app) -> list[str]:
    return [row.key.value for row in pane(app).ordered_rows]


async def to_watchlist(pilot) -> None:
    """`w`: the pane shown (narrow) and focused."""
    app = pilot.app
    await pilot.press("w")
    await until(pilot, lambda: pane(app).has_focus, what="the watchlist focused")
    if app.size.width < 110:
        assert app.main.has_class("-watching")
        assert "Positions" not in screen_text(app)
    assert "Watchlist · Primary (8)" in screen_text(app)


@pytest.mark.parametrize("size", SIZES)
async def test_a_adds_the_symbol_found_and_the_server_has_it(make_sim, size):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=size) as pilot:
        await live(pilot)
        await to_watchlist(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen), what="the lookup")
        assert "Add to the watchlist" in screen_text(app)
        await pilot.press(*"TSLA", "enter")
        await until(pilot, lambda: "TSLA" in rows(app), what="TSLA in the pane")
        assert (await run_blocking(server_watchlists, sim))["Primary"] == [*SAMPLE_WATCHLIST, "TSLA"]
        assert "Watchlist · Primary (9)" in screen_text(app)
        await until(pilot, lambda: watch_cells(app, "TSLA")[1] not in ("—", ""), what="TSLA's price")
        assert "TSLA" in app.market.plan.streamed  # a position already: streamed


@pytest.mark.parametrize("size", SIZES)
async def test_d_asks_n_keeps_y_removes(make_sim, size):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=size) as pilot:
        await live(pilot)
        await to_watchlist(pilot)
        assert pane(app).selected_symbol == "AAPL"
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        assert "Remove AAPL from Primary?" in screen_text(app)
        await pilot.press("n")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), what="the question gone")
        await pilot.pause(0.2)
        assert (await run_blocking(server_watchlists, sim))["Primary"] == list(SAMPLE_WATCHLIST)
        assert "AAPL" in rows(app)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question again")
        await pilot.press("y")
        await until(pilot, lambda: "AAPL" not in rows(app), what="AAPL gone from the pane")
        assert (await run_blocking(server_watchlists, sim))["Primary"] == [s for s in SAMPLE_WATCHLIST if s != "AAPL"]
        assert "Watchlist · Primary (7)" in screen_text(app)
        assert "AAPL" in app.market.plan.streamed  # still a position


@pytest.mark.parametrize("size", SIZES)
async def test_junk_or_nothing_in_the_lookup_says_so_and_changes_nothing(make_sim, size):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=size) as pilot:
        await live(pilot)
        await to_watchlist(pilot)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen) and app.screen.assets is not None,
                    what="the lookup with its asset list")
        await pilot.press("enter")
        await until(pilot, lambda: "type a symbol or part of a company's name" in screen_text(app), what="the hint")
        await pilot.press(*"ZQXJ", "enter")
        await until(pilot, lambda: "nothing matches 'ZQXJ'" in screen_text(app), what="nothing matches")
        assert isinstance(app.screen, LookupScreen)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, LookupScreen), what="the lookup closed")
        await pilot.pause(0.2)
        assert (await run_blocking(server_watchlists, sim)) == {"Primary": list(SAMPLE_WATCHLIST)}
        assert rows(app) == sorted(SAMPLE_WATCHLIST)


async def test_adding_a_symbol_already_there_says_so(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        await to_watchlist(pilot)
        await pilot.press("a", *"NVDA", "enter")
        await until(pilot, lambda: "NVDA is already in Primary" in toasts(app), what="already there")
        assert (await run_blocking(server_watchlists, sim)) == {"Primary": list(SAMPLE_WATCHLIST)}


@pytest.mark.parametrize("size", SIZES)
async def test_n_creates_a_watchlist_after_checking_its_name(make_sim, size):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=size) as pilot:
        await live(pilot)
        await to_watchlist(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the name prompt")
        prompt = app.screen
        error = prompt.query_one("#prompt-error")
        await pilot.press("enter")
        await until(pilot, lambda: str(error.render()) == "type a name", what="empty refused")
        await pilot.press("space", "space", "enter")
        assert str(error.render()) == "type a name"  # spaces only: nothing
        await pilot.press(*"Primary", "enter")
        await until(pilot, lambda: str(error.render()) == "there is already a watchlist called 'Primary'",
                    what="duplicate refused")
        assert isinstance(app.screen, PromptScreen)
        name_input = prompt.query_one("#prompt-input")
        name_input.value = ""
        await pilot.press(*"Tech picks", "enter")
        await until(pilot, lambda: not isinstance(app.screen, PromptScreen), what="the prompt closed")
        await until(pilot, lambda: title(app) == "Watchlist · Tech picks (0) · 2/2 [ ]", what="the new one shown")
        assert (await run_blocking(server_watchlists, sim)) == {"Primary": list(SAMPLE_WATCHLIST), "Tech picks": []}
        assert rows(app) == []


async def test_a_name_longer_than_64_stops_at_64(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        await to_watchlist(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PromptScreen), what="the name prompt")
        await settled(pilot, burst(app, ["x"] * 66))
        assert app.screen.query_one("#prompt-input").value == "x" * 64
        await pilot.press("enter")
        await until(pilot, lambda: title(app).startswith("Watchlist · " + "x" * 64), what="created")
        assert (await run_blocking(server_watchlists, sim))["x" * 64] == []


async def test_brackets_switch_and_o_sorts(make_sim):
    sim = make_sim(portfolio="sample")
    create_on_server(sim, "Second", ["TSLA", "AMD", "QQQ"])
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot, streamed=10)
        await to_watchlist(pilot)
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: rows(app) == ["AMD", "QQQ", "TSLA"], what="the second list")
        assert "Watchlist · Second (3) · 2/2 [ ]" in screen_text(app)
        await pilot.press("right_square_bracket")  # around to the first
        await until(pilot, lambda: rows(app) == sorted(SAMPLE_WATCHLIST), what="the first again")
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: rows(app) == ["AMD", "QQQ", "TSLA"], what="back to the second")
        await pilot.press("left_square_bracket")
        await until(pilot, lambda: "Watchlist · Primary (8) · 1/2 [ ]" in screen_text(app), what="the first")
        prices = {s: app.market.book.get(s).price for s in SAMPLE_WATCHLIST}
        by_price = sorted(SAMPLE_WATCHLIST, key=lambda s: prices[s], reverse=True)
        await pilot.press("o")
        await until(pilot, lambda: rows(app) == by_price, what="by Last, biggest first")
        assert "by Last ↓" in screen_text(app)
        await pilot.press("O")
        await until(pilot, lambda: rows(app) == by_price[::-1], what="by Last, smallest first")
        assert "by Last ↑" in screen_text(app)
        for _ in range(7):  # around every column back to the symbol
            await pilot.press("o")
        await until(pilot, lambda: rows(app) == sorted(SAMPLE_WATCHLIST), what="by symbol again")


HOSTILE = ["[/]", "[@click=app.quit]x", "[b]bold[/b] [red]red"]


async def test_hostile_watchlist_names_show_as_plain_text(make_sim):
    sim = make_sim(portfolio="sample")
    for name in HOSTILE:
        create_on_server(sim, name, ["AMD"])
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot, streamed=10)
        await to_watchlist(pilot)
        for index, name in enumerate(HOSTILE, start=2):
            await pilot.press("right_square_bracket")
            await until(pilot, lambda: title(app) == f"Watchlist · {name} (1) · {index}/4 [ ]",
                        what=f"the name {name!r} as typed")
            assert f"Watchlist · {name[:15]}" in screen_text(app)  # on screen as typed (the rest cut)
            await until(pilot, lambda: rows(app) == ["AMD"], what="its symbol")
            if index == 3:  # the one with a click action: in a question and a toast too
                await pilot.press("d")
                await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
                assert f"Remove AMD from {name}?" in screen_text(app)
                await pilot.press("n")
                await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), what="back")
                app.watch_symbol("AMD")
                await until(pilot, lambda: f"AMD is already in {name}" in toasts(app), what="the toast, plain")
        assert app.is_running
        await pilot.press("n", *"[b]x", "enter")  # a name with markup is a name like any other
        await until(pilot, lambda: title(app) == "Watchlist · [b]x (0) · 5/5 [ ]", what="created, shown plainly")
        assert app.is_running


@pytest.mark.parametrize("how", ["burst", "slowly"])
async def test_lookup_then_enter_opens_the_detail_burst_or_slow(make_sim, how):
    """`/ N V D A Enter` before the asset list has come, in one read or key by key."""
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    keys = ["slash", "N", "V", "D", "A", "enter"]
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        assert app.market.assets is None  # Enter will wait for the list
        if how == "burst":
            await settled(pilot, burst(app, keys))
        else:
            await typed_slowly(pilot, keys)
        await until(pilot, lambda: isinstance(app.screen, DetailScreen), what="the detail")
        assert app.screen.symbol == "NVDA"
        await until(pilot, lambda: "NVIDIA" in screen_text(app), what="its name")


@pytest.mark.parametrize("how", ["burst", "slowly"])
async def test_a_then_a_symbol_adds_it_burst_or_slow(make_sim, how):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    keys = ["a", "T", "S", "L", "A", "enter"]
    async with app.run_test(size=(80, 24)) as pilot:
        await live(pilot)
        await to_watchlist(pilot)
        if how == "burst":
            await settled(pilot, burst(app, keys))
        else:
            await typed_slowly(pilot, keys)
        await until(pilot, lambda: "TSLA" in rows(app), what="TSLA added")
        assert (await run_blocking(server_watchlists, sim))["Primary"] == [*SAMPLE_WATCHLIST, "TSLA"]
        assert not isinstance(app.screen, LookupScreen)


async def test_without_a_watchlist_a_makes_one_with_the_symbol(make_sim):
    sim = make_sim()  # an empty account: no watchlist
    app = market_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await live(pilot, streamed=0, watched=0)
        await until(pilot, lambda: title(app) == "Watchlist · none: n to create one", what="none yet")
        await pilot.press("w", "a", *"AMD", "enter")
        await until(pilot, lambda: rows(app) == ["AMD"], what="AMD in a new watchlist")
        assert title(app) == "Watchlist · Watchlist (1)"
        assert (await run_blocking(server_watchlists, sim)) == {"Watchlist": ["AMD"]}
        await until(pilot, lambda: watch_cells(app, "AMD")[1] not in ("—", ""), what="AMD priced")
        await until(pilot, lambda: app.market.plan.streamed == ("AMD",), what="AMD streamed")


async def test_a_change_made_on_another_app_shows_at_the_next_read(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim, intervals=replace(MARKET_QUIET, watchlists=0.5))
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        primary = (await run_blocking(lambda: requests.get(f"{sim.url}/v2/watchlists", headers=HEADERS,
                                                           timeout=5).json()))[0]["id"]
        answer = await run_blocking(lambda: requests.post(f"{sim.url}/v2/watchlists/{primary}",
                                                          json={"symbol": "INTC"}, headers=HEADERS, timeout=5))
        assert answer.status_code == 200, answer.text
        await until(pilot, lambda: "INTC" in rows(app), what="INTC added elsewhere, shown")
        await until(pilot, lambda: watch_cells(app, "INTC")[1] not in ("—", ""), what="INTC priced")
        await until(pilot, lambda: "INTC" in app.market.plan.streamed, what="INTC streamed")
        await run_blocking(sim.set_price, "INTC", "55.55")
        await until(pilot, lambda: watch_cells(app, "INTC")[1] == "55.55", what="INTC's pushed price")


async def test_without_the_asset_list_a_whole_symbol_typed_still_adds(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        await to_watchlist(pilot)
        await run_blocking(lambda: sim.set_faults(fail_rate=1.0, fail_statuses=[500]))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, LookupScreen) and app.screen.assets == (),
                    what="the asset list not read")
        await until(pilot, lambda: "cannot read the asset list" in screen_text(app), what="it says so")
        await run_blocking(lambda: sim.set_faults(fail_rate=0.0))
        await pilot.press(*"a$", "enter")
        await until(pilot, lambda: "nothing matches 'A$'" in screen_text(app) or "nothing matches 'a$'"
                    in screen_text(app), what="not a symbol")
        app.screen.query_one("#lookup-input").value = ""
        await pilot.press(*"intc", "enter")
        await until(pilot, lambda: "INTC" in rows(app), what="INTC added as typed")
        assert (await run_blocking(server_watchlists, sim))["Primary"] == [*SAMPLE_WATCHLIST, "INTC"]


async def test_esc_on_the_name_prompt_creates_nothing(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await live(pilot)
        await to_watchlist(pilot)
        await pilot.press("n", *"Later", "escape")
        await until(pilot, lambda: not isinstance(app.screen, PromptScreen), what="the prompt closed")
        await pilot.pause(0.2)
        assert (await run_blocking(server_watchlists, sim)) == {"Primary": list(SAMPLE_WATCHLIST)}
        assert title(app) == "Watchlist · Primary (8)"


async def test_w_twice_on_a_narrow_screen_goes_back_to_positions(make_sim):
    sim = make_sim(portfolio="sample")
    app = market_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await live(pilot)
        assert "Positions (6)" in screen_text(app) and "Watchlist ·" not in screen_text(app)
        await to_watchlist(pilot)
        await pilot.press("w")
        await until(pilot, lambda: not app.main.has_class("-watching"), what="back")
        assert "Positions (6)" in screen_text(app) and "Watchlist ·" not in screen_text(app)
        assert app.main.query_one(PositionsTable).has_focus
