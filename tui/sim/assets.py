"""The simulator's asset universe: common US stocks and ETFs, plus a few deliberately awkward
assets (hard to borrow, not fractionable, not tradable, sub-dollar) so every asset check
in the order path can be exercised. Prices are rough late-2025 reference levels the
simulator starts from, not market data.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from decimal import Decimal

# Fixed namespace: asset ids are uuid5(namespace, symbol), identical across runs and seeds.
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "assets.sim.alpaca-tui")


@dataclass(frozen=True)
class Asset:
    symbol: str
    name: str
    exchange: str  # listing venue as Alpaca reports it: NASDAQ, NYSE, ARCA, AMEX, BATS, OTC
    price: Decimal  # reference price the simulator starts from
    tradable: bool = True
    marginable: bool = True
    shortable: bool = True
    easy_to_borrow: bool = True
    fractionable: bool = True
    has_options: bool = True  # only feeds the "has_options" attribute

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_NAMESPACE, self.symbol))

    @property
    def price_increment(self) -> Decimal:
        """Tick size: a cent at $1 and above, 1/100 cent below (Reg NMS sub-penny rule)."""
        return Decimal("0.01") if self.price >= 1 else Decimal("0.0001")

    @property
    def attributes(self) -> list[str]:
        attrs = ["fractional_eh_enabled"] if self.fractionable and self.tradable else []
        return attrs + (["has_options"] if self.has_options else [])

    def to_json(self) -> dict:
        """The /v2/assets shape; validates as ``alpaca.trading.models.Asset``."""
        margin = "30" if self.marginable else "100"  # non-marginable: fully paid for
        return {
            "id": self.id,
            "class": "us_equity",
            "exchange": self.exchange,
            "symbol": self.symbol,
            "name": self.name,
            "status": "active",
            "tradable": self.tradable,
            "marginable": self.marginable,
            "maintenance_margin_requirement": int(margin),  # Alpaca sends a number here...
            "margin_requirement_long": margin,  # ...and strings here
            "margin_requirement_short": margin,
            "shortable": self.shortable,
            "easy_to_borrow": self.easy_to_borrow,
            "fractionable": self.fractionable,
            "attributes": self.attributes,
            "price_increment": str(self.price_increment),
        }


# Special-purpose assets, named so tests and simulator code say what they are testing.
HARD_TO_BORROW_SYMBOL = "CRCL"  # June-2025 IPO: not shortable, not easy to borrow
NOT_FRACTIONABLE_SYMBOL = "BRK.A"  # ~$750k a share, whole shares only
NOT_TRADABLE_SYMBOL = "FNMA"  # OTC-quoted: listed by Alpaca but tradable=false
PENNY_SYMBOL = "GNS"  # below $1: prices may carry 4 decimals

_NASDAQ, _NYSE, _ARCA, _AMEX = "NASDAQ", "NYSE", "ARCA", "AMEX"

_ROWS = [
    # symbol, name, exchange, reference price
    ("AAPL", "Apple Inc. Common Stock", _NASDAQ, "270.00"),
    ("MSFT", "Microsoft Corporation Common Stock", _NASDAQ, "480.00"),
    ("NVDA", "NVIDIA Corporation Common Stock", _NASDAQ, "180.00"),
    ("AMZN", "Amazon.com, Inc. Common Stock", _NASDAQ, "230.00"),
    ("GOOGL", "Alphabet Inc. Class A Common Stock", _NASDAQ, "315.00"),
    ("GOOG", "Alphabet Inc. Class C Capital Stock", _NASDAQ, "316.00"),
    ("META", "Meta Platforms, Inc. Class A Common Stock", _NASDAQ, "650.00"),
    ("TSLA", "Tesla, Inc. Common Stock", _NASDAQ, "430.00"),
    ("AMD", "Advanced Micro Devices, Inc. Common Stock", _NASDAQ, "215.00"),
    ("NFLX", "Netflix, Inc. Common Stock", _NASDAQ, "95.00"),  # after the Nov-2025 10:1 split
    ("AVGO", "Broadcom Inc. Common Stock", _NASDAQ, "380.00"),
    ("JPM", "JPMorgan Chase & Co. Common Stock", _NYSE, "310.00"),
    ("BAC", "Bank of America Corporation Common Stock", _NYSE, "53.00"),
    ("V", "Visa Inc.", _NYSE, "335.00"),
    ("MA", "Mastercard Incorporated Common Stock", _NYSE, "560.00"),
    ("WMT", "Walmart Inc. Common Stock", _NASDAQ, "115.00"),  # moved from NYSE in Dec 2025
    ("COST", "Costco Wholesale Corporation Common Stock", _NASDAQ, "900.00"),
    ("KO", "Coca-Cola Company (The) Common Stock", _NYSE, "70.00"),
    ("PEP", "PepsiCo, Inc. Common Stock", _NASDAQ, "148.00"),
    ("XOM", "Exxon Mobil Corporation Common Stock", _NYSE, "118.00"),
    ("CVX", "Chevron Corporation Common Stock", _NYSE, "152.00"),
    ("INTC", "Intel Corporation Common Stock", _NASDAQ, "40.00"),
    ("ORCL", "Oracle Corporation Common Stock", _NYSE, "200.00"),
    ("CRM", "Salesforce, Inc. Common Stock", _NYSE, "240.00"),
    ("ADBE", "Adobe Inc. Common Stock", _NASDAQ, "340.00"),
    ("DIS", "Walt Disney Company (The) Common Stock", _NYSE, "112.00"),
    ("BA", "Boeing Company (The) Common Stock", _NYSE, "200.00"),
    ("PLTR", "Palantir Technologies Inc. Class A Common Stock", _NASDAQ, "180.00"),
    ("UBER", "Uber Technologies, Inc. Common Stock", _NYSE, "85.00"),
    ("F", "Ford Motor Company Common Stock", _NYSE, "13.25"),
    ("SOFI", "SoFi Technologies, Inc. Common Stock", _NASDAQ, "27.50"),
    ("BRK.B", "Berkshire Hathaway Inc. Class B", _NYSE, "500.00"),
    ("SPY", "SPDR S&P 500 ETF Trust", _ARCA, "670.00"),
    ("QQQ", "Invesco QQQ Trust, Series 1", _NASDAQ, "610.00"),
    ("IWM", "iShares Russell 2000 ETF", _ARCA, "245.00"),
    ("DIA", "SPDR Dow Jones Industrial Average ETF Trust", _ARCA, "475.00"),
    ("GLD", "SPDR Gold Trust, SPDR Gold Shares", _ARCA, "390.00"),
    ("TLT", "iShares 20+ Year Treasury Bond ETF", _NASDAQ, "89.00"),  # Nasdaq-listed iShares fund
    ("VOO", "Vanguard S&P 500 ETF", _ARCA, "615.00"),
]

_SPECIAL = [
    Asset(HARD_TO_BORROW_SYMBOL, "Circle Internet Group, Inc. Class A Common Stock", _NYSE,
          Decimal("80.00"), shortable=False, easy_to_borrow=False),
    Asset(NOT_FRACTIONABLE_SYMBOL, "Berkshire Hathaway Inc. Class A", _NYSE,
          Decimal("750000.00"), fractionable=False, has_options=False),
    Asset(NOT_TRADABLE_SYMBOL, "Federal National Mortgage Association Common Stock", "OTC",
          Decimal("10.50"), tradable=False, marginable=False, shortable=False,
          easy_to_borrow=False, fractionable=False, has_options=False),
    # Sub-dollar stocks are not marginable and not shortable at Alpaca.
    Asset(PENNY_SYMBOL, "Genius Group Limited Ordinary Shares", _AMEX, Decimal("0.4525"),
          marginable=False, shortable=False, easy_to_borrow=False, has_options=False),
]

UNIVERSE: dict[str, Asset] = {
    a.symbol: a
    for a in [Asset(s, n, x, Decimal(p)) for s, n, x, p in _ROWS] + _SPECIAL
}
_BY_ID = {a.id: a for a in UNIVERSE.values()}


def get(symbol_or_id: str) -> Asset | None:
    """Universe asset by symbol (any case) or by id; None if unknown."""
    key = symbol_or_id.strip()
    return UNIVERSE.get(key.upper()) or _BY_ID.get(key.lower())


def synthetic_symbols(n: int) -> list[str]:
    """Symbols beyond the universe for scale tests: SYN0001 .. SYNnnnn."""
    return [f"SYN{i:04d}" for i in range(1, n + 1)]


def synthetic_asset(symbol: str, rng: random.Random) -> Asset:
    """A plain NASDAQ stock with a price between $5 and $500 drawn from ``rng``."""
    price = Decimal(rng.randint(500, 50000)).scaleb(-2)  # whole cents, e.g. 5.00
    return Asset(symbol, f"Synthetic {symbol} Inc. Common Stock", _NASDAQ, price, has_options=False)
