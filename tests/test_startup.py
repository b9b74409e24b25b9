"""Start-up economies: pandas deferred, the collector paused, and threads that never hold
up quitting. Each is checked for the saving and for still doing the job."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
import time

import pytest

from tui import gc_pause
from tui.daemon_executor import DaemonThreadExecutor


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_trading_client_comes_without_pandas_until_pandas_is_used():
    out = run_python(
        "import sys\n"
        "from tui.broker import deferred_pandas\n"
        "from tui.broker.client import Broker\n"
        "from tui.broker.sdk_compat import retries_of, session_of\n"
        "from tui.config import demo_config\n"
        "Broker(demo_config('http://127.0.0.1:9'))\n"
        "import alpaca.trading.requests as r\n"
        "print('numpy' in sys.modules, deferred_pandas.is_loaded())\n"
        "print(r.pd.Timestamp('2026-11-20').date(), deferred_pandas.is_loaded())\n"
        "from pandas import DataFrame\n"
        "print(DataFrame is sys.modules['pandas'].DataFrame)\n"
    )
    assert out.split("\n")[:3] == ["False False", "2026-11-20 True", "True"]


def test_the_market_data_client_is_made_on_first_use():
    out = run_python(
        "from tui.broker import deferred_pandas\n"
        "from tui.broker.client import Broker\n"
        "from tui.broker.sdk_compat import retries_of, session_of\n"
        "from tui.config import demo_config\n"
        "b = Broker(demo_config('http://127.0.0.1:9'))\n"
        "print(b._data is None, deferred_pandas.is_loaded())\n"
        "b.prepare_data()\n"
        "print(b.data is b.data, session_of(b.data).timeout, retries_of(b.data), deferred_pandas.is_loaded())\n"
    )
    assert out.split("\n")[:2] == ["True False", "True (3.0, 10.0) 0 True"]


def test_installing_over_an_imported_module_does_nothing():
    from tui.broker import deferred_pandas

    assert deferred_pandas.install("json") is False
    assert deferred_pandas.install("no_such_module_here") is False


def collected(obj: object) -> bool:
    """Whether the collector still scans `obj` (a frozen object is in no generation)."""
    return any(o is obj for o in gc.get_objects())


def test_the_collector_pauses_and_resumes_with_startup_frozen():
    assert gc.isenabled()
    thresholds = gc.get_threshold()
    try:
        gc_pause.pause(at_most=30)
        assert not gc.isenabled()
        gc_pause.pause(at_most=30)  # a second pause is a no-op
        assert not gc.isenabled()
        # What start-up builds while paused: long-lived containers the collector tracks.
        built = [{"row": n} for n in range(1000)]
        assert gc.is_tracked(built) and collected(built)
        frozen_before = gc.get_freeze_count()
        gc_pause.resume()
        assert gc.isenabled()
        # Frozen: moved out of every generation, so later collections skip it...
        assert not collected(built) and not any(collected(row) for row in built[:10])
        assert gc.get_freeze_count() >= frozen_before + len(built) + 1
        # ... and the first generation collects less often than the default 700.
        assert gc.get_threshold() == gc_pause.THRESHOLDS
        later = [{"row": "after start-up"}]
        gc_pause.resume()  # and so is a second resume: nothing built since is frozen
        assert gc.isenabled() and collected(later)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        gc.enable()


def test_the_collector_comes_back_by_itself_if_the_panes_never_load():
    thresholds = gc.get_threshold()
    try:
        gc_pause.pause(at_most=0.05)
        assert not gc.isenabled()
        deadline = time.monotonic() + 5
        while not gc.isenabled() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gc.isenabled() and gc.get_threshold() == gc_pause.THRESHOLDS  # resumed, as resume() does
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
        gc.enable()


def test_the_daemon_executor_returns_results_and_errors():
    executor = DaemonThreadExecutor("t")
    assert executor.submit(lambda a, b: a + b, 2, b=3).result(timeout=5) == 5
    with pytest.raises(ZeroDivisionError):
        executor.submit(lambda: 1 / 0).result(timeout=5)


def test_the_daemon_executor_never_waits_for_a_stuck_call():
    executor = DaemonThreadExecutor("stuck")
    release = threading.Event()
    future = executor.submit(release.wait, 30)
    started = time.monotonic()
    executor.shutdown(wait=True)
    assert time.monotonic() - started < 0.5 and not future.done()
    assert all(t.daemon for t in threading.enumerate() if t.name == "stuck")
    with pytest.raises(RuntimeError):
        executor.submit(print)
    release.set()
    assert future.result(timeout=5) is True
