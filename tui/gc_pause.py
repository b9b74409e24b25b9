"""Pause the cyclic garbage collector while the app starts.

Start-up imports create hundreds of thousands of long-lived objects and no garbage, yet
they trigger collection after collection: ~20 % of start-up on a small box. `pause()`
turns the collector off; `resume()` — called once the panes have data, or by a timer if
they never get any — freezes what start-up built (later collections skip it) and turns
the collector back on, with a larger first-generation threshold: each refresh of a big
account makes thousands of short-lived objects (models, rows), and the default (700)
ran a collection every few hundred of them, ~40 % of the UI thread's refresh time with
1,000 positions. Reference counting still frees almost everything at once; the
collector is only for cycles.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
THRESHOLDS = (10_000, 20, 20)  # instead of (700, 10, 10)
_paused = False


def pause(at_most: float = 5.0) -> None:
    global _paused
    with _lock:
        if _paused or not gc.isenabled():
            return
        _paused = True
        gc.disable()
    timer = threading.Timer(at_most, resume)
    timer.daemon = True
    timer.start()


def resume() -> None:
    global _paused
    with _lock:
        if not _paused:
            return
        _paused = False
        gc.freeze()
        gc.set_threshold(*THRESHOLDS)
        gc.enable()
