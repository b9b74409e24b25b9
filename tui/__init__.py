"""alpaca-tui: a terminal app to watch and trade an Alpaca account, with its own exchange simulator."""

__version__ = "0.1.0"
