"""Keep pandas (and numpy) out of start-up until something really uses them.

alpaca-py imports pandas at the top of alpaca.trading.requests for one validator the app
never calls; pandas and numpy are ~0.45 s of a 1.5 s start-up budget. `install()` puts a
stand-in under sys.modules["pandas"]: `import pandas` binds the stand-in for free, and the
first attribute read (pd.Timestamp, `from pandas import DataFrame`) imports the real
package, which then replaces the stand-in. Later reads through the stand-in forward to it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

_swap = threading.Lock()


class _DeferredModule(types.ModuleType):
    def __getattr__(self, name: str):
        with _swap:  # two threads must not both pull the stand-in out (one would drop the real module)
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def install(name: str = "pandas") -> bool:
    """Defer `name`; False when it is already imported or not installed."""
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None:
        return False
    standin = _DeferredModule(name)
    standin.__spec__ = spec  # find_spec() on an imported module reads it
    sys.modules[name] = standin
    return True


def is_loaded(name: str = "pandas") -> bool:
    return name in sys.modules and not isinstance(sys.modules[name], _DeferredModule)
