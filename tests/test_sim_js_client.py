"""Alpaca's official JavaScript SDK (@alpacahq/alpaca-trade-api 4.0.2) against the simulator.

A client nobody here wrote must work too: the simulator is built to Alpaca's protocol, not to
alpaca-py. tests/other_clients/js_sdk_check.mjs drives a simulator through the SDK (REST via
its generated Api classes on a Configuration whose basePath is the simulator, market data on
the same base URL, trade_updates via its TradingStream on a custom url) and prints one JSON
object; these tests start the simulator and check what the script saw.

Needs `node` and `npm ci --prefix tests/other_clients` (the Makefile's `test` target runs it
when npm is present); skipped otherwise.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

CLIENT_DIR = Path(__file__).parent / "other_clients"
SCRIPT = CLIENT_DIR / "js_sdk_check.mjs"
SDK = CLIENT_DIR / "node_modules" / "@alpacahq" / "alpaca-trade-api"
SCRIPT_TIMEOUT = 60  # the script gives up by itself after 20 s


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the JavaScript SDK check needs Node.js >= 20")
    if not SDK.is_dir():
        pytest.skip("tests/other_clients/node_modules is missing: run "
                    "`npm ci --prefix tests/other_clients --no-audit --no-fund` (make test does)")
    return node


def run_js_client(sim: Any, *extra: str) -> tuple[int, dict[str, Any], str]:
    """Run the SDK script against a running simulator; return (exit code, its JSON, stderr)."""
    proc = subprocess.run(
        [_node(), str(SCRIPT), "--url", sim.url, "--stream-url", sim.stream_url, *extra],
        cwd=CLIENT_DIR, capture_output=True, text=True, timeout=SCRIPT_TIMEOUT,
    )
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert lines, f"the JS client printed nothing (exit {proc.returncode}); stderr:\n{proc.stderr}"
    try:
        report = json.loads(lines[-1])
    except ValueError:
        pytest.fail(f"the JS client printed no JSON (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.returncode, report, proc.stderr


def test_official_js_sdk_trades_against_the_simulator(make_sim):
    sim = make_sim()
    code, out, stderr = run_js_client(sim)
    assert out["ok"] and code == 0, (
        f"JS SDK failed at {out.get('failed_step')!r}: {out.get('error')}\n"
        f"{json.dumps(out, indent=1)}\n{stderr}")

    account = out["account"]
    assert account["status"] == "ACTIVE"
    assert account["cash"] == 100000 and account["equity"] == 100000

    assert out["assets"]["count"] > 1
    assert out["assets"]["aapl"]["class"] == "us_equity"
    assert out["assets"]["unknown"]["type"] == "NotFoundError"

    assert out["clock"]["is_open"] is True  # the default simulator's market never closes
    assert out["v3"]["market"] == "XNYS" and out["v3"]["phase"] == "core" and out["v3"]["isMarketDay"]
    # Thanksgiving week 2026: closed Thursday, 13:00 ET (18:00 UTC) close on Friday.
    assert out["v3"]["days"] == [["2026-11-23", "2026-11-23T21:00:00.000Z"], ["2026-11-24", "2026-11-24T21:00:00.000Z"],
                                 ["2026-11-25", "2026-11-25T21:00:00.000Z"], ["2026-11-27", "2026-11-27T18:00:00.000Z"]]
    assert out["calendar"]["days"] == 20  # January 2026: 22 weekdays less New Year's Day and MLK Day
    assert out["calendar"]["first"] == {"date": "2026-01-02", "open": "09:30", "close": "16:00",
                                        "session_open": "0400", "session_close": "2000"}

    quote = out["quote"]
    assert 0 < quote["bid"] <= quote["ask"]

    assert out["stream"]["authenticated"] and out["stream"]["listening"] == ["trade_updates"]

    buy = out["market_buy"]
    assert buy["status"] == "filled" and buy["filled_qty"] == "2"
    assert buy["filled_avg_price"] == quote["ask"]  # paper fill model: buy at the ask
    assert buy["reused_client_order_id"]["status"] == 422

    assert out["positions"]["aapl"]["qty"] == "2" and out["positions"]["aapl"]["side"] == "long"

    limit = out["limit"]
    assert limit["resting_status"] == "new"
    assert limit["old_status"] == "replaced" and limit["replaced_by"] == limit["replacement_id"]
    assert limit["replacement_status"] == "canceled"
    assert limit["cancel_again"]["status"] == 422
    assert limit["unknown_order"] == {"type": "NotFoundError", "status": 404, "code": 40410000,
                                      "message": "order not found"}

    close = out["close"]
    assert close["status"] == "filled" and close["positions_after"] == 0
    assert float(close["filled_avg_price"]) == quote["bid"]  # sell at the bid

    events = out["events"]
    assert {"new", "fill"} <= set(events["market_buy"])
    assert events["market_buy"].index("new") < events["market_buy"].index("fill")
    assert "replaced" in events["limit"]
    assert "canceled" in events["replacement"]
    assert "fill" in events["close"]
    fill = events["fill"]
    assert float(fill["price"]) == quote["ask"] and fill["qty"] == "2" and fill["position_qty"] == "2"

    assert out["submit_and_wait"]["status"] == "filled"
    assert out["account_after"]["cash"] < 100000  # two round trips paid the spread


def test_official_js_sdk_with_keys_configured(make_sim):
    sim = make_sim(api_key="js-key", secret_key="js-secret")
    code, out, stderr = run_js_client(sim, "--key", "js-key", "--secret", "js-secret")
    assert out["ok"] and code == 0, f"{out.get('failed_step')!r}: {out.get('error')}\n{stderr}"


def test_official_js_sdk_sees_wrong_keys_as_an_auth_error(make_sim):
    sim = make_sim(api_key="js-key", secret_key="js-secret")
    code, out, _ = run_js_client(sim, "--key", "js-key", "--secret", "wrong")
    assert code == 1 and not out["ok"]
    assert out["failed_step"] == "get account"
    assert out["error"] == {"type": "AuthError", "status": 401, "code": 40110000,
                            "message": "request is not authorized"}
