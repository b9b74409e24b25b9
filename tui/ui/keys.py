"""Keys handled one at a time, in the order they were typed, whatever the burst.

Textual hands each key to the focused widget's own queue and goes on to the next key at
once; a key no widget consumes comes back to the App (where the non-priority bindings are
checked) *behind* every key of the same burst. Over SSH keys arrive bunched, so
`Right Tab 4 8 0` in the ticket changed the order type only after Tab had already moved
the focus past the Limit field that the change would show, and the price went nowhere.

`KeySequencer` holds each key until the one before it is finished: consumed by a widget
or handled by the App's bindings, and everything it set off on the screen (messages
bubbling up, a screen being mounted, fields shown or hidden) has been processed. Typing
slowly and typing in one write then give the same result.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Awaitable, Callable

from textual import events
from textual.app import App

from .compat import has_pending_work, layout_pending, propagation_stopped

POLL = 0.003  # seconds between checks while a key is still being worked on
PATIENCE = 1.0  # seconds to wait for one key at most (a key sent to a widget being removed never ends)


class KeySequencer:
    def __init__(self, app: App, dispatch: Callable[[events.Key], Awaitable[None]]) -> None:
        """dispatch: the App's own handling of a key it was sent (Textual's on_event)."""
        self._app = app
        self._dispatch = dispatch
        self._waiting: deque[events.Key] = deque()
        self._current: events.Key | None = None  # sent on its way, not known to be finished
        self._since = 0.0
        self._timer_armed = False
        self.received = 0  # keys from the terminal so far (tests wait on it)

    @property
    def pending(self) -> int:
        return len(self._waiting) + (self._current is not None)

    @property
    def finished(self) -> bool:
        """No key waits, and the last one sent was handled by the App or consumed by a widget
        (`pending` still counts a consumed key until the next one arrives)."""
        current = self._current
        return not self._waiting and (current is None or propagation_stopped(current))

    async def typed(self, event: events.Key) -> None:
        """A key from the terminal: queue it, then send what may go now."""
        self.received += 1
        self._waiting.append(event)
        await self.advance()

    async def returned(self, event: events.Key) -> bool:
        """A key that bubbled back to the App. True if it was ours and is now handled."""
        if event is not self._current:
            return False
        await self._dispatch_returned(event)
        return True

    async def _dispatch_returned(self, event: events.Key) -> None:
        try:
            await self._dispatch(event)
        finally:
            self._current = None
        await self.advance()

    async def advance(self) -> None:
        while self._waiting:
            if self._busy() or self._held(self._waiting[0]):
                self._arm()
                return
            event = self._waiting.popleft()
            self._current, self._since = event, time.monotonic()
            await self._dispatch(event)  # priority bindings run here; other keys go to the focused widget
            if not event.is_forwarded:
                self._current = None  # a priority binding took it: done, once the screen settles

    def _busy(self) -> bool:
        current = self._current
        if current is not None:
            if time.monotonic() - self._since > PATIENCE:
                self._current = None  # lost with its widget: do not hold the keyboard forever
                return False
            if not propagation_stopped(current):
                return True  # still travelling: it comes back through returned()
        screen = self._app.screen
        if not screen.is_mounted or layout_pending(screen):
            # A field just shown has no place yet, and focus order follows places: Tab
            # before the next layout would skip it.
            return True
        if any(has_pending_work(node) for node in screen.walk_children(with_self=True)):
            return True
        self._current = None
        return False

    def _held(self, event: events.Key) -> bool:
        """The screen is not ready for this key yet (a review still checking its order holds
        `y` until what it would send is on screen). A later Esc gives up on the held keys."""
        holds = getattr(self._app.screen, "holds_key", None)
        if holds is None or not holds(event.key):
            return False
        if any(later.key == "escape" for later in self._waiting):
            while self._waiting[0].key != "escape":
                self._waiting.popleft()
            return False
        return True

    def _arm(self) -> None:
        if not self._timer_armed:
            self._timer_armed = True
            self._app.set_timer(POLL, self._poll)

    async def _poll(self) -> None:
        self._timer_armed = False
        await self.advance()
