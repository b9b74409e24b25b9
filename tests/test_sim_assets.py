import random
import uuid
from decimal import Decimal

import pytest
from alpaca.trading.models import Asset as AlpacaAsset

from tui.sim import assets
from tui.sim.assets import (
    HARD_TO_BORROW_SYMBOL,
    NOT_FRACTIONABLE_SYMBOL,
    NOT_TRADABLE_SYMBOL,
    PENNY_SYMBOL,
    UNIVERSE,
    Asset,
    synthetic_asset,
    synthetic_symbols,
)

REQUIRED = (
    "AAPL MSFT NVDA AMZN GOOGL GOOG META TSLA AMD NFLX AVGO JPM BAC V MA WMT COST KO PEP XOM CVX "
    "INTC ORCL CRM ADBE DIS BA PLTR UBER SPY QQQ IWM DIA GLD TLT"
).split()


def test_universe_size_and_required_symbols():
    assert len(UNIVERSE) >= 36
    assert set(REQUIRED) <= set(UNIVERSE)
    assert all(sym == a.symbol for sym, a in UNIVERSE.items())


def test_listing_venues():
    assert {s: UNIVERSE[s].exchange for s in ("SPY", "IWM", "DIA", "GLD", "QQQ", "AAPL", "JPM")} == {
        "SPY": "ARCA", "IWM": "ARCA", "DIA": "ARCA", "GLD": "ARCA", "QQQ": "NASDAQ",
        "AAPL": "NASDAQ", "JPM": "NYSE",
    }


def test_special_assets_flags():
    htb = UNIVERSE[HARD_TO_BORROW_SYMBOL]
    assert htb.tradable and not htb.shortable and not htb.easy_to_borrow
    whole = UNIVERSE[NOT_FRACTIONABLE_SYMBOL]
    assert whole.tradable and not whole.fractionable and whole.price > 100_000
    otc = UNIVERSE[NOT_TRADABLE_SYMBOL]
    assert not otc.tradable and otc.to_json()["status"] == "active"
    penny = UNIVERSE[PENNY_SYMBOL]
    assert penny.tradable and penny.price < 1 and penny.to_json()["price_increment"] == "0.0001"
    # Only the special assets carry restrictions.
    restricted = {s for s, a in UNIVERSE.items() if not (a.tradable and a.shortable and a.fractionable)}
    assert restricted == {HARD_TO_BORROW_SYMBOL, NOT_FRACTIONABLE_SYMBOL, NOT_TRADABLE_SYMBOL, PENNY_SYMBOL}


def test_ids_stable_unique_uuids():
    ids = [a.id for a in UNIVERSE.values()]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(i).version == 5 for i in ids)
    # Derived from the symbol alone: a fresh equal Asset has the same id.
    assert Asset("AAPL", "x", "NYSE", Decimal(1)).id == UNIVERSE["AAPL"].id
    assert UNIVERSE["AAPL"].id == "f4b286db-72c2-502c-bb04-e20e4e36f7f5"  # pinned across runs


@pytest.mark.parametrize("symbol", list(UNIVERSE))
def test_to_json_validates_with_alpaca_py(symbol):
    a = UNIVERSE[symbol]
    m = AlpacaAsset(**a.to_json())
    assert str(m.id) == a.id and m.symbol == symbol and m.asset_class.value == "us_equity"
    assert m.exchange.value == a.exchange and m.name == a.name
    assert (m.tradable, m.shortable, m.easy_to_borrow, m.fractionable, m.marginable) == (
        a.tradable, a.shortable, a.easy_to_borrow, a.fractionable, a.marginable)
    assert m.maintenance_margin_requirement == (30 if a.marginable else 100)


def test_prices_positive_with_valid_ticks():
    for a in UNIVERSE.values():
        assert a.price > 0, a.symbol
        max_decimals = 2 if a.price >= 1 else 4
        assert -a.price.as_tuple().exponent <= max_decimals, a.symbol
    assert Decimal(200) < UNIVERSE["AAPL"].price < Decimal(350)
    assert Decimal(500) < UNIVERSE["SPY"].price < Decimal(800)


def test_attributes():
    assert UNIVERSE["AAPL"].to_json()["attributes"] == ["fractional_eh_enabled", "has_options"]
    assert "fractional_eh_enabled" not in UNIVERSE[NOT_FRACTIONABLE_SYMBOL].to_json()["attributes"]


def test_get_by_symbol_any_case_and_by_id():
    assert assets.get("aapl") is UNIVERSE["AAPL"]
    assert assets.get("brk.a") is UNIVERSE["BRK.A"]
    assert assets.get(UNIVERSE["TSLA"].id) is UNIVERSE["TSLA"]
    assert assets.get(UNIVERSE["TSLA"].id.upper()) is UNIVERSE["TSLA"]
    assert assets.get("ZZZZ") is None


def test_synthetic_symbols():
    syms = synthetic_symbols(12)
    assert syms[0] == "SYN0001" and syms[-1] == "SYN0012" and len(set(syms)) == 12
    assert not set(synthetic_symbols(500)) & set(UNIVERSE)
    assert synthetic_symbols(0) == []


def test_synthetic_assets_deterministic_per_seed():
    syms = synthetic_symbols(50)
    a = [synthetic_asset(s, random.Random(7)) for s in syms]
    rng1, rng2 = random.Random(42), random.Random(42)
    b1 = [synthetic_asset(s, rng1) for s in syms]
    b2 = [synthetic_asset(s, rng2) for s in syms]
    assert b1 == b2
    assert [x.price for x in a] != [x.price for x in b1]  # a different seed gives other prices
    for x in b1:
        assert Decimal(5) <= x.price <= Decimal(500) and x.price.as_tuple().exponent == -2
        assert x.exchange == "NASDAQ"
        assert x.tradable and x.marginable and x.shortable and x.easy_to_borrow and x.fractionable
        AlpacaAsset(**x.to_json())
