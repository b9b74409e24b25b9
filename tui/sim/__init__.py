"""An Alpaca-compatible exchange simulator: Trading API v2 REST, trade_updates stream and
latest market data, served by aiohttp on one port. Imports nothing from Textual."""
