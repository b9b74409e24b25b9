"""An executor whose threads never hold up quitting.

Textual runs thread workers on the event loop's default executor, and asyncio.run() joins
that executor's threads before it returns — so one request stuck on a slow server would
hold `q` for the whole read timeout. Here each call runs on its own daemon thread and
shutdown() does not wait: what is still in flight when the app quits is abandoned (an
order's outcome is settled from the audit journal on the next start).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable


class DaemonThreadExecutor(ThreadPoolExecutor):
    """A ThreadPoolExecutor in type only (asyncio's set_default_executor insists on one);
    none of its pool is used."""

    def __init__(self, name: str = "io") -> None:
        super().__init__(max_workers=1, thread_name_prefix=name)
        self._name = name
        self._closed = False

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        if self._closed:
            raise RuntimeError("cannot schedule new calls after shutdown")
        future: Future = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as err:  # handed to whoever awaits the future
                future.set_exception(err)
            else:
                future.set_result(result)

        threading.Thread(target=run, name=self._name, daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._closed = True  # running calls are abandoned, never joined
