"""The simulator, the broker layer and the shared trading rules must not pull in Textual (the UI layer)."""

import subprocess
import sys


def test_simulator_imports_nothing_from_textual():
    code = (
        "import sys, tui.sim.server, tui.sim.runner, tui.daytrades, tui.cli, tui.config, tui.broker.client,"
        " tui.broker.errors, tui.broker.activity, tui.broker.ticket, tui.broker.stream;"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'));"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
