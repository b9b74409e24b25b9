"""The layers of docs/architecture.md: the simulator, the broker layer, the account state and
the shared rules must not pull in Textual (the UI layer), and the simulator must not pull in
the client it is the test oracle for."""

import subprocess
import sys


def imported_after(modules: str) -> set[str]:
    code = f"import sys, {modules}; print(','.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.strip().split(","))


def test_nothing_below_the_ui_imports_textual():
    loaded = imported_after(
        "tui.sim.server, tui.sim.runner, tui.daytrades, tui.cli, tui.config, tui.terms, tui.sessions, "
        "tui.broker.client, tui.broker.errors, tui.broker.activity, tui.broker.ticket, tui.broker.stream, "
        "tui.broker.delivery, tui.broker.market, tui.broker.datastream, tui.broker.wsclient, "
        "tui.state.account, tui.state.orders, tui.state.loaders, tui.state.refresh, tui.state.quotes")
    assert sorted(m for m in loaded if m == "textual" or m.startswith("textual.")) == []


def test_the_simulator_imports_neither_the_client_nor_the_account_state():
    loaded = imported_after("tui.sim.server, tui.sim.runner, tui.sim.engine")
    assert sorted(m for m in loaded if m.startswith(("tui.ui", "tui.broker", "tui.state"))) == []
