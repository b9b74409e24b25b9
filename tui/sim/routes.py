"""The simulator's REST routes: Alpaca's Trading API v2, the v3 market clock and calendar,
the latest-quote and historical-bar market-data endpoints, and the simulator's own controls
(a price, a fill on demand).

Each handler parses its query or body, asks the exchange, and answers with JSON; errors
are raised as ApiError and answered by the app's middleware (server.py).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from ..terms import NEW_YORK
from . import market_calendar as cal
from .engine import Exchange
from .errors import ApiError, unprocessable
from . import activities, history
from . import bars as bar_data
from .marketdata import quote_json, snapshot_json, trade_json
from .requests import decode_json, lower, parse_order, parse_replace, to_bool, to_decimal
from .wire import Handler, json_response

MAX_ORDERS_PAGE = 500
MAX_ACTIVITIES_PAGE = 100
MAX_DAY_ACTIVITIES = 10**9  # "no maximum" with date=: a bound only so query_int stays an int
# GET /v2/calendar serves these years; outside them the calendar is simply empty, as a
# query on Alpaca's calendar table would be (no date overflow at year 9999).
CALENDAR_FIRST, CALENDAR_LAST = date(1970, 1, 1), date(2100, 12, 31)

NYSE_MARKET = {"acronym": "NYSE", "mic": "XNYS", "name": "New York Stock Exchange",
               "timezone": "America/New_York"}
V3_PHASES = {cal.Phase.PRE: "pre", cal.Phase.REGULAR: "core", cal.Phase.POST: "post", cal.Phase.CLOSED: "closed"}


# ---- request parsing --------------------------------------------------------------------

def query_time(request: web.Request, name: str) -> datetime | None:
    """RFC 3339 timestamps or plain dates, as clients send them in query strings."""
    raw = request.query.get(name)
    if not raw:
        return None
    text = raw.strip().replace(" ", "+").replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise unprocessable(f"invalid {name}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=NEW_YORK)


def query_date(request: web.Request, name: str) -> date | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip()[:10])
    except ValueError:
        raise unprocessable(f"invalid {name}") from None


def query_int(request: web.Request, name: str, default: int, maximum: int) -> int:
    """A whole number > 0, capped at `maximum`. Compared as a Decimal and only then made an
    int: int("1e500000") would build a 500,000-digit number and stall the event loop."""
    raw = (request.query.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise unprocessable(f"invalid {name}") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise unprocessable(f"invalid {name}")
    if value <= 0:
        raise unprocessable(f"{name} must be > 0")
    return maximum if value >= maximum else int(value)


def query_choice(request: web.Request, name: str, choices: tuple[str, ...], default: str) -> str:
    value = lower(request.query.get(name)) or default
    if value not in choices:
        raise unprocessable(f"invalid {name}")
    return value


async def read_json(request: web.Request) -> Any:
    # read() enforces MAX_BODY_BYTES (413); decode_json answers bad UTF-8 and deep nesting with 400.
    return decode_json(await request.read())


def symbols_param(request: web.Request) -> list[str]:
    raw = request.query.get("symbols", "")
    symbols = [s.strip().upper() for s in raw.split(",") if s.strip()]
    if not symbols:
        raise ApiError(400, 40010001, "symbols is required")
    return symbols


# ---- the routes ---------------------------------------------------------------------------

class Routes:
    """The REST handlers over one exchange."""

    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange

    def table(self) -> list[tuple[str, str, Handler]]:
        """(method, path, handler) for every REST route."""
        return [
            ("GET", "/v2/account", self.get_account),
            ("GET", "/v2/account/configurations", self.get_configurations),
            ("PATCH", "/v2/account/configurations", self.patch_configurations),
            ("GET", "/v2/account/activities", self.get_activities),
            ("GET", "/v2/account/activities/{activity_type}", self.get_activities),
            ("GET", "/v2/account/portfolio/history", self.get_portfolio_history),
            ("GET", "/v2/positions", self.get_positions),
            ("DELETE", "/v2/positions", self.close_all_positions),
            ("GET", "/v2/positions/{symbol}", self.get_position),
            ("DELETE", "/v2/positions/{symbol}", self.close_position),
            ("POST", "/v2/orders", self.post_order),
            ("GET", "/v2/orders", self.get_orders),
            ("DELETE", "/v2/orders", self.cancel_orders),
            ("GET", "/v2/orders:by_client_order_id", self.get_order_by_client_id),
            ("GET", "/v2/orders/{order_id}", self.get_order),
            ("PATCH", "/v2/orders/{order_id}", self.patch_order),
            ("DELETE", "/v2/orders/{order_id}", self.delete_order),
            ("GET", "/v2/clock", self.get_clock),
            ("GET", "/v2/calendar", self.get_calendar),
            ("GET", "/v3/clock", self.get_clock_v3),
            ("GET", "/v3/calendar/{market}", self.get_calendar_v3),
            ("GET", "/v2/assets", self.get_assets),
            ("GET", "/v2/assets/{symbol}", self.get_asset),
            ("GET", "/v2/stocks/quotes/latest", self.latest_quotes),
            ("GET", "/v2/stocks/trades/latest", self.latest_trades),
            ("GET", "/v2/stocks/snapshots", self.snapshots),
            ("GET", "/v2/stocks/bars", self.bars),
            ("GET", "/v2/stocks/{symbol}/bars", self.symbol_bars),
            ("GET", "/v2/stocks/{symbol}/quotes/latest", self.latest_quote),
            ("GET", "/v2/stocks/{symbol}/trades/latest", self.latest_trade),
            ("GET", "/v2/stocks/{symbol}/snapshot", self.snapshot),
            ("GET", "/v2/watchlists", self.get_watchlists),
            ("POST", "/v2/watchlists", self.post_watchlist),
            ("GET", "/v2/watchlists:by_name", self.get_watchlist),
            ("PUT", "/v2/watchlists:by_name", self.put_watchlist),
            ("POST", "/v2/watchlists:by_name", self.add_to_watchlist),
            ("DELETE", "/v2/watchlists:by_name", self.delete_watchlist),
            ("GET", "/v2/watchlists/{watchlist_id}", self.get_watchlist),
            ("PUT", "/v2/watchlists/{watchlist_id}", self.put_watchlist),
            ("POST", "/v2/watchlists/{watchlist_id}", self.add_to_watchlist),
            ("DELETE", "/v2/watchlists/{watchlist_id}", self.delete_watchlist),
            ("DELETE", "/v2/watchlists/{watchlist_id}/{symbol}", self.remove_from_watchlist),
            ("POST", "/sim/price", self.set_price),
            ("POST", "/sim/fill", self.fill_on_demand),
        ]

    # ---- account ----

    async def get_account(self, request: web.Request) -> web.Response:
        return json_response(self.exchange.account())

    async def get_configurations(self, request: web.Request) -> web.Response:
        return json_response(self.exchange.configurations())

    async def patch_configurations(self, request: web.Request) -> web.Response:
        return json_response(self.exchange.set_configurations(await read_json(request)))

    async def get_activities(self, request: web.Request) -> web.Response:
        # The path's type, else activity_types=, else category=, else every type.
        types = activities.parse_types(request.match_info.get("activity_type")
                                       or request.query.get("activity_types"))
        on_date = query_date(request, "date")
        # page_size is at most 100 (and 100 unless given), except with date=: then it has no
        # cap, and without it the day comes whole (alpaca-api.md §8; Alpaca's paging docs).
        if on_date is None:
            page_size: int | None = query_int(request, "page_size", MAX_ACTIVITIES_PAGE, MAX_ACTIVITIES_PAGE)
        elif request.query.get("page_size", "").strip():
            page_size = query_int(request, "page_size", MAX_ACTIVITIES_PAGE, MAX_DAY_ACTIVITIES)
        else:
            page_size = None
        return json_response(self.exchange.activities_page(activities.ActivityQuery(
            types=types,
            category=activities.parse_category(lower(request.query.get("category"))),
            page_size=page_size,
            page_token=request.query.get("page_token") or None,
            direction=query_choice(request, "direction", ("asc", "desc"), "desc"),
            after=query_time(request, "after"),
            until=query_time(request, "until"),
            on_date=on_date,
        )))

    async def get_portfolio_history(self, request: web.Request) -> web.Response:
        q = request.query
        cashflow = q.get("cashflow_types")
        return json_response(self.exchange.portfolio_history(history.HistoryQuery(
            period=q.get("period") or None,
            timeframe=q.get("timeframe") or None,
            start=query_time(request, "start"),
            end=query_time(request, "end"),
            date_end=query_date(request, "date_end"),
            intraday_reporting=query_choice(request, "intraday_reporting",
                                            ("market_hours", "extended_hours", "continuous"), "market_hours"),
            pnl_reset=query_choice(request, "pnl_reset", ("per_day", "no_reset"), "per_day"),
            extended_hours=to_bool(q.get("extended_hours", "false")),
            cashflow_types=[t.strip().upper() for t in cashflow.split(",") if t.strip()] if cashflow else None,
        )))

    # ---- positions ----

    async def get_positions(self, request: web.Request) -> web.Response:
        return json_response(self.exchange.list_positions())

    async def get_position(self, request: web.Request) -> web.Response:
        return json_response(self.exchange.get_position(request.match_info["symbol"]))

    async def close_position(self, request: web.Request) -> web.Response:
        order = self.exchange.close_position(
            request.match_info["symbol"],
            qty=to_decimal(request.query.get("qty"), "qty"),
            percentage=to_decimal(request.query.get("percentage"), "percentage"),
        )
        return json_response(order.to_json())

    async def close_all_positions(self, request: web.Request) -> web.Response:
        results = self.exchange.close_all_positions(to_bool(request.query.get("cancel_orders", "false")))
        for item in results:
            body = item["body"]
            item["order_id"] = body.get("id") if item["status"] == 200 else None
        return json_response(results, 207)

    # ---- orders ----

    async def post_order(self, request: web.Request) -> web.Response:
        order = self.exchange.submit(parse_order(await read_json(request)))
        return json_response(order.to_json())

    async def get_orders(self, request: web.Request) -> web.Response:
        nested = to_bool(request.query.get("nested", "false"))
        symbols = request.query.get("symbols")
        orders = self.exchange.list_orders(
            status=query_choice(request, "status", ("open", "closed", "all"), "open"),
            limit=query_int(request, "limit", 50, MAX_ORDERS_PAGE),
            after=query_time(request, "after"),
            until=query_time(request, "until"),
            direction=query_choice(request, "direction", ("asc", "desc"), "desc"),
            nested=nested,
            symbols=symbols.split(",") if symbols else None,
            side=query_choice(request, "side", ("buy", "sell", ""), "") or None,
        )
        return json_response([o.to_json(nested=nested) for o in orders])

    async def get_order(self, request: web.Request) -> web.Response:
        order = self.exchange.get_order(request.match_info["order_id"])
        return json_response(order.to_json(nested=to_bool(request.query.get("nested", "false"))))

    async def get_order_by_client_id(self, request: web.Request) -> web.Response:
        client_order_id = request.query.get("client_order_id")
        if not client_order_id:
            raise unprocessable("client_order_id is required")
        return json_response(self.exchange.get_by_client_id(client_order_id).to_json())

    async def patch_order(self, request: web.Request) -> web.Response:
        spec = parse_replace(await read_json(request))
        return json_response(self.exchange.replace(request.match_info["order_id"], spec).to_json())

    async def delete_order(self, request: web.Request) -> web.Response:
        self.exchange.cancel(request.match_info["order_id"])
        return web.Response(status=204)

    async def cancel_orders(self, request: web.Request) -> web.Response:
        return json_response(self.exchange.cancel_all(), 207)

    # ---- market status and assets ----

    async def get_clock(self, request: web.Request) -> web.Response:
        state = self.exchange.hours.clock(self.exchange.clock.now())
        return json_response({
            "timestamp": state.timestamp.astimezone(NEW_YORK).isoformat(timespec="microseconds"),
            "is_open": state.is_open,
            "next_open": state.next_open.astimezone(NEW_YORK).isoformat(),
            "next_close": state.next_close.astimezone(NEW_YORK).isoformat(),
        })

    def _calendar_days(self, request: web.Request) -> list[cal.TradingDay]:
        today = self.exchange.clock.now().astimezone(NEW_YORK).date()
        start = query_date(request, "start") or date(today.year, 1, 1)
        end = query_date(request, "end") or date(today.year + 1, 12, 31)
        start, end = max(start, CALENDAR_FIRST), min(end, CALENDAR_LAST)
        if end < start:
            return []
        if (end - start).days > 366 * 30:
            raise unprocessable("calendar range is limited to 30 years")
        return cal.trading_days(start, end)

    async def get_calendar(self, request: web.Request) -> web.Response:
        days = self._calendar_days(request)
        return json_response([
            {
                "date": d.date.isoformat(),
                "open": d.open.strftime("%H:%M"),
                "close": d.close.strftime("%H:%M"),
                "session_open": d.session_open.strftime("%H%M"),
                "session_close": d.session_close.strftime("%H%M"),
                "settlement_date": cal.next_trading_day(d.date).date.isoformat(),
            }
            for d in days
        ])

    # The v3 market clock and calendar, which newer SDKs (Alpaca's JS SDK 4) call by default.

    async def get_clock_v3(self, request: web.Request) -> web.Response:
        now = self.exchange.clock.now()
        hours = self.exchange.hours
        state = hours.clock(now)
        phase = hours.phase(now)
        if phase is cal.Phase.REGULAR:  # always-open mode is always here
            phase_until = state.next_close
        elif phase is cal.Phase.PRE:
            phase_until = state.next_open
        elif phase is cal.Phase.POST:
            phase_until = cal.next_session_close(now)
        else:
            phase_until = cal.next_trading_day(now.astimezone(NEW_YORK).date()).session_open
        local = now.astimezone(NEW_YORK)
        return json_response({"clocks": [{
            "market": NYSE_MARKET,
            "timestamp": local.isoformat(timespec="microseconds"),
            "is_market_day": hours.mode == "always-open" or cal.is_trading_day(local.date()),
            "phase": V3_PHASES[phase],
            "phase_until": phase_until.astimezone(NEW_YORK).isoformat(),
            "next_market_open": state.next_open.astimezone(NEW_YORK).isoformat(),
            "next_market_close": state.next_close.astimezone(NEW_YORK).isoformat(),
        }]})

    async def get_calendar_v3(self, request: web.Request) -> web.Response:
        if request.match_info["market"].upper() not in ("XNYS", "NYSE", "XNAS", "NASDAQ", "US"):
            raise ApiError(404, 40410000, "market not found")
        return json_response({"market": NYSE_MARKET, "calendar": [
            {
                "date": d.date.isoformat(),
                "pre_start": d.session_open.isoformat(),
                "pre_end": d.open.isoformat(),
                "core_start": d.open.isoformat(),
                "core_end": d.close.isoformat(),
                "post_start": d.close.isoformat(),
                "post_end": d.session_close.isoformat(),
                "settlement_date": cal.next_trading_day(d.date).date.isoformat(),
            }
            for d in self._calendar_days(request)
        ]})

    async def get_assets(self, request: web.Request) -> web.Response:
        status = lower(request.query.get("status"))
        exchange = (request.query.get("exchange") or "").upper()
        asset_class = lower(request.query.get("asset_class"))
        if status not in (None, "active") or asset_class not in (None, "us_equity"):
            return json_response([])
        return json_response([
            a.to_json() for a in self.exchange.assets.values() if not exchange or a.exchange == exchange
        ])

    async def get_asset(self, request: web.Request) -> web.Response:
        return json_response(self.exchange.get_asset(request.match_info["symbol"]).to_json())

    # ---- watchlists (by id, or by name with ?name=) ----

    def _watchlist(self, request: web.Request) -> Any:
        lists = self.exchange.watchlists
        if "watchlist_id" in request.match_info:
            return lists.get(request.match_info["watchlist_id"])
        return lists.named(request.query.get("name"))

    def _watchlist_json(self, watchlist: Any) -> web.Response:
        return json_response(self.exchange.watchlists.to_json(watchlist))

    async def get_watchlists(self, request: web.Request) -> web.Response:
        lists = self.exchange.watchlists
        return json_response([lists.to_json(w, assets=False) for w in lists.all()])

    async def post_watchlist(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        return self._watchlist_json(self.exchange.watchlists.create(body, self.exchange.clock.now()))

    async def get_watchlist(self, request: web.Request) -> web.Response:
        return self._watchlist_json(self._watchlist(request))

    async def put_watchlist(self, request: web.Request) -> web.Response:
        watchlist, body = self._watchlist(request), await read_json(request)
        return self._watchlist_json(self.exchange.watchlists.update(watchlist, body, self.exchange.clock.now()))

    async def add_to_watchlist(self, request: web.Request) -> web.Response:
        watchlist, body = self._watchlist(request), await read_json(request)
        return self._watchlist_json(self.exchange.watchlists.add(watchlist, body, self.exchange.clock.now()))

    async def delete_watchlist(self, request: web.Request) -> web.Response:
        self.exchange.watchlists.delete(self._watchlist(request))
        return web.Response(status=204)

    async def remove_from_watchlist(self, request: web.Request) -> web.Response:
        watchlist = self._watchlist(request)
        return self._watchlist_json(self.exchange.watchlists.remove(watchlist, request.match_info["symbol"],
                                                                    self.exchange.clock.now()))

    # ---- market data ----

    def _known(self, symbols: list[str]) -> list[str]:
        return [s for s in symbols if s in self.exchange.prices]

    async def latest_quotes(self, request: web.Request) -> web.Response:
        symbols = self._known(symbols_param(request))
        return json_response({"quotes": {s: quote_json(self.exchange.prices, self.exchange.assets[s]) for s in symbols}})

    async def latest_trades(self, request: web.Request) -> web.Response:
        symbols = self._known(symbols_param(request))
        return json_response({"trades": {s: trade_json(self.exchange.prices, self.exchange.assets[s]) for s in symbols}})

    async def snapshots(self, request: web.Request) -> web.Response:
        symbols = self._known(symbols_param(request))
        bars = self._bar_source()
        return json_response({s: snapshot_json(self.exchange.prices, self.exchange.assets[s], bars)
                              for s in symbols})

    def _bar_source(self) -> bar_data.BarSource:
        return bar_data.BarSource(self.exchange.options.seed, self.exchange.prices, self.exchange.clock.now())

    def _bars(self, request: web.Request, symbols: list[str]) -> tuple[dict[str, list[Any]], str | None]:
        timeframe = bar_data.parse_timeframe(request.query.get("timeframe"))
        limit = query_int(request, "limit", bar_data.DEFAULT_LIMIT, bar_data.MAX_LIMIT + 1)
        if limit > bar_data.MAX_LIMIT:
            raise unprocessable(f"invalid limit: must be between 1 and {bar_data.MAX_LIMIT}")
        desc = query_choice(request, "sort", ("asc", "desc"), "asc") == "desc"
        now = self.exchange.clock.now()
        start = query_time(request, "start") or now.astimezone(NEW_YORK).replace(hour=0, minute=0, second=0,
                                                                                  microsecond=0)
        end = query_time(request, "end") or now
        source = bar_data.BarSource(self.exchange.options.seed, self.exchange.prices, now)
        return bar_data.query_bars(source, self._known(symbols), timeframe, start, end, limit,
                                   request.query.get("page_token") or None, desc)

    async def bars(self, request: web.Request) -> web.Response:
        found, token = self._bars(request, symbols_param(request))
        return json_response({"bars": found, "next_page_token": token})

    async def symbol_bars(self, request: web.Request) -> web.Response:
        symbol = request.match_info["symbol"].upper()
        found, token = self._bars(request, [symbol])
        return json_response({"bars": found.get(symbol, []), "symbol": symbol, "next_page_token": token})

    def _one_symbol(self, request: web.Request) -> str:
        symbol = request.match_info["symbol"].upper()
        if symbol not in self.exchange.prices:
            raise ApiError(404, 40410000, f"no data for symbol {symbol}")
        return symbol

    async def latest_quote(self, request: web.Request) -> web.Response:
        symbol = self._one_symbol(request)
        return json_response({"symbol": symbol, "quote": quote_json(self.exchange.prices, self.exchange.assets[symbol])})

    async def latest_trade(self, request: web.Request) -> web.Response:
        symbol = self._one_symbol(request)
        return json_response({"symbol": symbol, "trade": trade_json(self.exchange.prices, self.exchange.assets[symbol])})

    async def snapshot(self, request: web.Request) -> web.Response:
        symbol = self._one_symbol(request)
        return json_response({"symbol": symbol, **snapshot_json(self.exchange.prices, self.exchange.assets[symbol],
                                                                self._bar_source())})

    # ---- simulator controls (not part of Alpaca's API) ----

    async def set_price(self, request: web.Request) -> web.Response:
        body = await read_json(request)
        if not isinstance(body, dict) or not body.get("symbol"):
            raise unprocessable("symbol is required")
        price = to_decimal(body.get("price"), "price")
        if price is None or price <= 0:
            raise unprocessable("price must be > 0")
        quote = self.exchange.set_price(str(body["symbol"]), price)
        return json_response({"symbol": quote.symbol, "bid": str(quote.bid), "ask": str(quote.ask),
                              "last": str(quote.last)})

    async def fill_on_demand(self, request: web.Request) -> web.Response:
        """{"order_id", "qty"}: execute that much of a working order now (tests' partial fills)."""
        body = await read_json(request)
        if not isinstance(body, dict) or not body.get("order_id"):
            raise unprocessable("order_id is required")
        qty = to_decimal(body.get("qty"), "qty")
        if qty is None:
            raise unprocessable("qty is required")
        return json_response(self.exchange.execute_on_demand(str(body["order_id"]), qty).to_json())
