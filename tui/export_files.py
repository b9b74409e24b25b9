"""Where the app's `E` writes what is on screen, and the writing (tui/export.py makes the
rows). No Textual: the app runs this on a worker thread.

Files go to the user's data directory (`exports/` beside the audit journal), one new file
per export, named after what and when: `orders-closed-20261207-231502.csv`. The directory
is made readable by the user only and a file is never overwritten (an account's history is
private, and a second export in the same second gets a suffix).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Sequence

from . import export

KINDS = {  # what is exported -> (columns, row maker)
    "positions": (export.POSITION_COLUMNS, export.position_rows),
    "orders": (export.ORDER_COLUMNS, export.order_rows),
    "fills": (export.FILL_COLUMNS, export.fill_rows),
    "activities": (export.ACTIVITY_COLUMNS, export.activity_rows),
    "realized": (export.REALIZED_COLUMNS, export.realized_rows),
}


def default_directory() -> Path:
    from platformdirs import user_data_path

    return user_data_path("alpaca-tui", appauthor=False) / "exports"


def write_export(kind: str, items: Iterable[Any], name: str, now: datetime, directory: Path | None = None,
                 fmt: str = "csv") -> tuple[Path, int]:
    """Write `items` (alpaca-py models, dicts or the broker's dataclasses) as `kind` rows to
    a new file named `name-<time>.<fmt>`; (its path, rows written). Raises OSError."""
    columns, make_rows = KINDS[kind]
    folder = default_directory() if directory is None else directory
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    # Written under a hidden name, then linked to its own: a file that appears is whole.
    partial = folder / f".{name}-{stamp}-{os.getpid()}.partial"
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", newline="", encoding="utf-8") as out:
            count = export.write(make_rows(items), columns, out, fmt)
        for attempt in range(100):
            path = folder / f"{name}-{stamp}{'' if attempt == 0 else f'-{attempt}'}.{fmt}"
            try:
                os.link(partial, path)  # never over an existing file
            except FileExistsError:
                continue
            return path, count
        raise FileExistsError(f"no free file name for {name}-{stamp} in {folder}")
    finally:
        partial.unlink(missing_ok=True)


def columns_of(kind: str) -> Sequence[str]:
    return KINDS[kind][0]
