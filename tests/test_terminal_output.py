"""The app in a real terminal sends only the cells that changed (tui/ui/screen_diff.py),
and what the terminal shows is what Textual drew: the same app with --full-redraw, fed
the same prices, shows the same rows in the same colours. Ctrl+L draws everything again.
"""

from __future__ import annotations

import requests

from .harness.terminal import APP, Terminal, app_env

HEADERS = {"APCA-API-KEY-ID": "someone-else", "APCA-API-SECRET-KEY": "x"}


def app(tmp_path, url: str, *flags: str, name: str) -> Terminal:
    # Keys of their own: the simulator, like Alpaca, gives each key one data stream.
    env = app_env(ALPACA_API_KEY=f"key-{name}", ALPACA_SECRET_KEY="s", ALPACA_BASE_URL=url,
                  ALPACA_TUI_AUDIT_LOG=str(tmp_path / f"{name}.jsonl"), HOME=str(tmp_path))
    return Terminal([*APP, *flags], env, cwd=tmp_path, columns=120, lines=40)


def rows_with(term: Terminal, *symbols: str) -> list[tuple[str, list]]:
    """Each screen row naming one of `symbols` (as a word): its text and its cells' colours."""
    found = []
    for y, line in enumerate(term.screen.display):
        if any(f" {symbol} " in line for symbol in symbols):
            cells = term.screen.buffer[y]
            found.append((line, [(cells[x].fg, cells[x].bg, cells[x].bold) for x in range(term.columns)]))
    return found


SYMBOLS = {"AAPL": 250, "AMD": 210, "MSFT": 480, "NVDA": 180, "SPY": 680, "TSLA": 430, "AMZN": 230,
           "GOOGL": 317, "META": 640, "QQQ": 610}  # the sample's positions, orders and watchlist


def test_only_changes_are_sent_and_the_screen_is_the_one_textual_drew(tmp_path, make_sim):
    sim = make_sim(portfolio="sample")
    with app(tmp_path, sim.url, name="diff") as diffed, \
            app(tmp_path, sim.url, "--full-redraw", name="full") as full:
        for term in (diffed, full):
            term.expect("Positions (6)", "Orders (3)", "prices live 10/30", timeout=20)
            term.idle(2)  # past the first snapshots and sparklines
        before = diffed.bytes_written, full.bytes_written
        for step in range(1, 6):
            # Every symbol moves, so none is old enough to show its age (each app repaints
            # ages on its own timer).
            prices = [f"{base + step * 1.37 * (-1) ** step:.2f}" for base in SYMBOLS.values()]
            for symbol, price in zip(SYMBOLS, prices):
                requests.post(sim.url + "/sim/price", json={"symbol": symbol, "price": price}, headers=HEADERS,
                              timeout=5).raise_for_status()
            for term in (diffed, full):
                term.expect(*prices, timeout=10)
                term.settle(quiet=0.6)
            assert rows_with(diffed, *SYMBOLS) == rows_with(full, *SYMBOLS), step
        sent, drawn = diffed.bytes_written - before[0], full.bytes_written - before[1]
        assert sent < drawn / 3, (sent, drawn)


def test_ctrl_l_draws_over_what_something_else_wrote(tmp_path, make_sim):
    sim = make_sim(portfolio="sample")
    with app(tmp_path, sim.url, name="diff") as term:
        term.expect("Positions (6)", "Orders (3)", timeout=20)
        term.settle(quiet=0.6)
        # Another program writes on the terminal (a `wall`, a stray print over SSH).
        term._stream.feed("\x1b[10;3HJUNK-OVER-THE-TABLE".encode())
        assert "JUNK" in term.text()
        term.send("\x0c")  # Ctrl+L
        assert term.wait_for(lambda text: "JUNK" not in text, timeout=5) is not None, term.text()
        assert "Positions (6)" in term.text()
