// Drive the simulator with Alpaca's official JavaScript SDK (@alpacahq/alpaca-trade-api),
// a client nobody on this project wrote. Run by tests/test_sim_js_client.py:
//
//   node js_sdk_check.mjs --url http://127.0.0.1:PORT --stream-url ws://127.0.0.1:PORT/stream
//
// (or SIM_URL / SIM_STREAM_URL in the environment). Everything goes through the SDK's own
// classes: trading.Configuration({ basePath }) + the generated Api classes for REST,
// marketData.Configuration({ basePath }) for quotes, streaming.TradingStream({ url }) for
// trade_updates. Prints one JSON object with what it observed on stdout; exits 1 on the first
// failure (the JSON then carries "ok": false, "failed_step" and "error").

import {
  Alpaca,
  ApiError,
  NotFoundError,
  OrdersApi,
  ValidationError,
  marketData,
  streaming,
  trading,
} from "@alpacahq/alpaca-trade-api";

const OVERALL_TIMEOUT_MS = 20_000;
const STEP_TIMEOUT_MS = 5_000;

function arg(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const url = (arg("--url") ?? process.env.SIM_URL ?? "").replace(/\/+$/, "");
const streamUrl = arg("--stream-url") ?? process.env.SIM_STREAM_URL ?? (url ? url.replace(/^http/, "ws") + "/stream" : "");
const keyId = arg("--key") ?? process.env.SIM_KEY ?? "js-sdk-key";
const secret = arg("--secret") ?? process.env.SIM_SECRET ?? "js-sdk-secret";

const out = { ok: false, sdk: "@alpacahq/alpaca-trade-api", url, stream_url: streamUrl, steps: [] };
let currentStep = "start";
let stream;

function finish(code) {
  try {
    stream?.disconnect();
  } catch {
    // already closed
  }
  process.stdout.write(JSON.stringify(out) + "\n", () => process.exit(code));
}

function fail(err) {
  out.ok = false;
  out.failed_step = currentStep;
  out.error = describe(err);
  finish(1);
}

function describe(err) {
  if (err instanceof ApiError) {
    return { type: err.name, status: err.status, code: err.code, message: err.message };
  }
  if (err instanceof Error) {
    return { type: err.name, message: err.message, cause: err.cause ? String(err.cause?.message ?? err.cause) : undefined };
  }
  return { type: typeof err, message: String(err) };
}

const watchdog = setTimeout(() => fail(new Error(`overall timeout after ${OVERALL_TIMEOUT_MS} ms`)), OVERALL_TIMEOUT_MS);
process.on("unhandledRejection", fail);
process.on("uncaughtException", fail);

function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

function num(value, what) {
  const n = Number(value);
  check(value !== undefined && value !== null && value !== "" && Number.isFinite(n), `${what} parses as a number (got ${JSON.stringify(value)})`);
  return n;
}

function validDate(value, what) {
  check(value instanceof Date && !Number.isNaN(value.getTime()), `${what} is a valid Date (got ${String(value)})`);
  return value.toISOString();
}

async function step(name, fn) {
  currentStep = name;
  const started = Date.now();
  const result = await fn();
  out.steps.push({ name, ms: Date.now() - started });
  return result;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, fn, timeoutMs = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last.done) return last.value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last.value)})`);
    await sleep(50);
  }
}

async function expectApiError(what, cls, fn) {
  try {
    await fn();
  } catch (err) {
    check(err instanceof cls, `${what}: expected ${cls.name}, got ${err?.name}: ${err?.message}`);
    return { type: err.name, status: err.status, code: err.code, message: err.message };
  }
  throw new Error(`${what}: expected ${cls.name}, but the call succeeded`);
}

async function main() {
  check(url.startsWith("http"), "a simulator URL is given with --url or SIM_URL");

  // Raw Api classes on an explicit Configuration: the documented way to pick the host
  // (the Configuration's `basePath` wins over `paper`). A bare Configuration has the SDK's
  // retries and client-side rate limiter off; timeoutMs keeps a stalled call from hanging.
  const common = { basePath: url, keyId, secret, timeoutMs: STEP_TIMEOUT_MS };
  const tradingConfig = new trading.Configuration(common);
  const dataConfig = new marketData.Configuration(common);
  const account = new trading.AccountsApi(tradingConfig);
  const assets = new trading.AssetsApi(tradingConfig);
  const clock = new trading.ClockApi(tradingConfig);
  const calendar = new trading.CalendarApi(tradingConfig);
  const orders = new OrdersApi(tradingConfig); // the SDK's OrdersApi with the market()/limit() builders
  const positions = new trading.PositionsApi(tradingConfig);
  const stocks = new marketData.StockApi(dataConfig);

  out.account = await step("get account", async () => {
    const a = await account.getAccount();
    check(typeof a.id === "string" && a.id.length > 0, "account.id is a string");
    check(typeof a.status === "string" && a.status.length > 0, "account.status is a string");
    const cash = num(a.cash, "account.cash");
    const equity = num(a.equity, "account.equity");
    const buyingPower = num(a.buyingPower, "account.buyingPower");
    validDate(a.createdAt, "account.createdAt");
    return { id: a.id, status: a.status, currency: a.currency, cash, equity, buying_power: buyingPower };
  });

  out.assets = await step("list assets and get one", async () => {
    const list = await assets.getV2Assets({ status: "active", assetClass: "us_equity" });
    check(Array.isArray(list) && list.length > 0, "asset list is non-empty");
    const aapl = list.find((a) => a.symbol === "AAPL");
    check(aapl !== undefined, "AAPL is in the asset list");
    const one = await assets.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: "AAPL" });
    check(one.symbol === "AAPL" && one.id === aapl.id, "GET /v2/assets/AAPL is the listed AAPL");
    check(one.tradable === true, "AAPL is tradable");
    const byId = await assets.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: one.id });
    check(byId.symbol === "AAPL", "asset lookup by id works");
    const missing = await expectApiError("unknown asset", NotFoundError, () =>
      assets.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: "ZZZZQ" }));
    return { count: list.length, aapl: { id: one.id, class: one._class, exchange: one.exchange, status: one.status,
      fractionable: one.fractionable, name: one.name }, unknown: missing };
  });

  out.clock = await step("get clock", async () => {
    const c = await clock.legacyClock(); // GET /v2/clock
    check(typeof c.isOpen === "boolean", "clock.isOpen is a boolean");
    return { is_open: c.isOpen, timestamp: validDate(c.timestamp, "clock.timestamp"),
      next_open: validDate(c.nextOpen, "clock.nextOpen"), next_close: validDate(c.nextClose, "clock.nextClose") };
  });

  out.calendar = await step("get calendar", async () => {
    // The SDK sends start/end as full ISO date-times (toISOString()).
    const start = new Date(Date.UTC(2026, 0, 1));
    const end = new Date(Date.UTC(2026, 0, 31));
    const days = await calendar.legacyCalendar({ start, end }); // GET /v2/calendar
    check(Array.isArray(days) && days.length > 0, "calendar for January 2026 is non-empty");
    const first = days[0];
    validDate(first.date, "calendar[0].date");
    validDate(first.settlementDate, "calendar[0].settlementDate");
    check(/^\d\d:\d\d$/.test(first.open) && /^\d\d:\d\d$/.test(first.close), "calendar open/close are HH:MM");
    return { days: days.length, first: { date: first.date.toISOString().slice(0, 10), open: first.open, close: first.close,
      session_open: first.sessionOpen, session_close: first.sessionClose } };
  });

  // The SDK's default clock()/calendar() are Alpaca's newer /v3 endpoints.
  out.v3 = await step("v3 clock and calendar", async () => {
    const clocks = (await clock.clock()).clocks;
    check(clocks.length === 1, "one market clock");
    validDate(clocks[0].nextMarketOpen, "v3 clock nextMarketOpen");
    const cal = await calendar.calendar({ market: "XNYS", start: new Date("2026-11-23"), end: new Date("2026-11-27") });
    validDate(cal.calendar[0].coreStart, "v3 calendar coreStart");
    return {
      market: clocks[0].market.mic, phase: clocks[0].phase, isMarketDay: clocks[0].isMarketDay,
      days: cal.calendar.map((d) => [d.date.toISOString().slice(0, 10), d.coreEnd.toISOString()]),
    };
  });

  out.quote = await step("latest quote from market data", async () => {
    const many = await stocks.stockLatestQuotes({ symbols: "AAPL" }); // GET /v2/stocks/quotes/latest
    const q = many.quotes?.AAPL;
    check(q !== undefined, "quotes.AAPL is present");
    const ask = num(q.ap, "quote.ap");
    const bid = num(q.bp, "quote.bp");
    check(ask > 0 && bid > 0 && bid <= ask, "0 < bid <= ask");
    const single = await stocks.stockLatestQuoteSingle({ symbol: "AAPL" }); // GET /v2/stocks/AAPL/quotes/latest
    check(single.symbol === "AAPL" && num(single.quote?.ap, "single quote.ap") > 0, "single-symbol latest quote");
    return { ask, bid, ask_size: q.as, bid_size: q.bs, t: q.t instanceof Date ? q.t.toISOString() : String(q.t) };
  });

  // ---- the trade_updates stream, opened before any order so it sees them all ----
  const events = [];
  out.stream = await step("trading stream: connect, authenticate, listen", async () => {
    stream = new streaming.TradingStream({
      url: streamUrl,
      credentials: { keyId, secret },
      reconnect: false,
      pingIntervalMs: 0,
    });
    const errors = [];
    stream.onError((message) => errors.push(String(message)));
    stream.onTradeUpdate((u) => events.push({
      event: u.event,
      order_id: u.order?.id,
      client_order_id: u.order?.clientOrderId,
      status: u.order?.status,
      price: u.price,
      qty: u.qty,
      position_qty: u.positionQty,
      timestamp_ok: u.timestamp instanceof Date && !Number.isNaN(u.timestamp.getTime()),
    }));
    const listening = new Promise((resolve) => stream.on(streaming.EVENT.SUBSCRIPTION, resolve));
    stream.subscribeTradeUpdates();
    stream.connect();
    const auth = await stream.waitForAuthenticationResult(STEP_TIMEOUT_MS);
    check(auth.authenticated, `stream authenticated (got ${JSON.stringify(auth)}; errors ${JSON.stringify(errors)})`);
    const streams = await Promise.race([listening, sleep(STEP_TIMEOUT_MS).then(() => null)]);
    check(Array.isArray(streams) && streams.includes("trade_updates"), `listening ack names trade_updates (got ${JSON.stringify(streams)})`);
    return { authenticated: true, listening: streams, errors };
  });

  // ---- market buy, read back by id and by client order id until filled ----
  const buyCid = `js-sdk-buy-${Date.now()}`;
  out.market_buy = await step("market buy AAPL and wait for the fill", async () => {
    const placed = await orders.market({ symbol: "AAPL", qty: 2, side: "buy", timeInForce: "day", clientOrderId: buyCid });
    check(typeof placed.id === "string" && placed.clientOrderId === buyCid, "order id and client order id come back");
    check(placed.symbol === "AAPL" && placed.side === "buy" && placed.type === "market", "order echoes symbol/side/type");
    validDate(placed.createdAt, "order.createdAt");
    const filled = await until("the market buy to fill (by id)", async () => {
      const o = await orders.getOrderByOrderID({ orderId: placed.id });
      return { done: o.status === "filled", value: o.status === "filled" ? o : o.status };
    });
    const byCid = await orders.getOrderByClientOrderId({ clientOrderId: buyCid });
    check(byCid.id === placed.id && byCid.status === "filled", "lookup by client order id finds the filled order");
    check(num(filled.filledQty, "filledQty") === 2, "filled_qty is 2");
    const avg = num(filled.filledAvgPrice, "filledAvgPrice");
    validDate(filled.filledAt, "order.filledAt");
    const dup = await expectApiError("reused client order id", ValidationError, () =>
      orders.market({ symbol: "AAPL", qty: 1, side: "buy", clientOrderId: buyCid }));
    return { id: placed.id, client_order_id: buyCid, first_status: placed.status, status: filled.status,
      filled_qty: filled.filledQty, filled_avg_price: avg, by_client_order_id: true, reused_client_order_id: dup };
  });

  out.positions = await step("list positions", async () => {
    const all = await positions.getAllOpenPositions();
    const p = all.find((x) => x.symbol === "AAPL");
    check(p !== undefined, "AAPL position is listed");
    check(num(p.qty, "position.qty") === 2, "position qty is 2");
    num(p.avgEntryPrice, "position.avgEntryPrice");
    num(p.marketValue, "position.marketValue");
    const one = await positions.getOpenPosition({ symbolOrAssetId: "AAPL" });
    check(one.symbol === "AAPL", "GET /v2/positions/AAPL");
    return { count: all.length, aapl: { qty: p.qty, side: p.side, avg_entry_price: p.avgEntryPrice,
      market_value: p.marketValue, exchange: p.exchange, asset_class: p.assetClass } };
  });

  // ---- a limit far from the market: replace it, then cancel the replacement ----
  const limitCid = `js-sdk-limit-${Date.now()}`;
  out.limit = await step("limit order far from the market: replace, cancel", async () => {
    const far = Math.max(1, Math.round(out.quote.bid * 50) / 100); // half the bid, whole cents
    const placed = await orders.limit({ symbol: "AAPL", qty: 1, side: "buy", limitPrice: far.toFixed(2),
      timeInForce: "day", clientOrderId: limitCid });
    check(placed.type === "limit" && num(placed.limitPrice, "limitPrice") === far, "limit order echoes its price");
    const resting = await until("the limit order to rest as new", async () => {
      const o = await orders.getOrderByOrderID({ orderId: placed.id });
      return { done: o.status === "new", value: o.status === "new" ? o : o.status };
    });
    const newPrice = Math.max(1, Math.round(out.quote.bid * 40) / 100);
    const replacement = await orders.patchOrderByOrderId({ orderId: placed.id,
      patchOrderRequest: { qty: "3", limitPrice: newPrice.toFixed(2) } });
    check(replacement.id !== placed.id, "replace returns a new order id");
    check(replacement.replaces === placed.id, "replacement.replaces is the old id");
    check(num(replacement.qty, "replacement.qty") === 3 && num(replacement.limitPrice, "replacement.limitPrice") === newPrice,
      "replacement carries the new qty and price");
    const old = await until("the old order to become replaced", async () => {
      const o = await orders.getOrderByOrderID({ orderId: placed.id });
      return { done: o.status === "replaced", value: o.status === "replaced" ? o : o.status };
    });
    check(old.replacedBy === replacement.id, "old.replaced_by is the new id");
    const open = await orders.getAllOrders({ status: "open", symbols: ["AAPL"] });
    check(open.some((o) => o.id === replacement.id), "the replacement is listed among open orders");
    await until("the replacement to be cancelable", async () => {
      const o = await orders.getOrderByOrderID({ orderId: replacement.id });
      return { done: o.status === "new", value: o.status };
    });
    const cancelResult = await orders.deleteOrderByOrderID({ orderId: replacement.id });
    const canceled = await until("the replacement to be canceled", async () => {
      const o = await orders.getOrderByOrderID({ orderId: replacement.id });
      return { done: o.status === "canceled", value: o.status === "canceled" ? o : o.status };
    });
    validDate(canceled.canceledAt, "order.canceledAt");
    const again = await expectApiError("cancel a canceled order", ValidationError, () =>
      orders.deleteOrderByOrderID({ orderId: replacement.id }));
    const missing = await expectApiError("unknown order id", NotFoundError, () =>
      orders.getOrderByOrderID({ orderId: "00000000-0000-4000-8000-000000000000" }));
    const all = await orders.getAllOrders({ status: "all", limit: 50, direction: "desc", nested: true });
    check(all.some((o) => o.id === placed.id) && all.some((o) => o.id === replacement.id), "both limit orders are listed");
    return { id: placed.id, resting_status: resting.status, replacement_id: replacement.id, old_status: old.status,
      replaced_by: old.replacedBy, replacement_status: canceled.status, cancel_returned: cancelResult ?? null,
      cancel_again: again, unknown_order: missing, listed_all: all.length };
  });

  out.close = await step("close the position", async () => {
    const closing = await positions.deleteOpenPosition({ symbolOrAssetId: "AAPL" });
    check(typeof closing.id === "string" && closing.side === "sell", "close returns the closing sell order");
    check(num(closing.qty, "closing.qty") === 2, "closing order is for the whole position");
    const filled = await until("the closing order to fill", async () => {
      const o = await orders.getOrderByOrderID({ orderId: closing.id });
      return { done: o.status === "filled", value: o.status === "filled" ? o : o.status };
    });
    const after = await positions.getAllOpenPositions();
    check(!after.some((p) => p.symbol === "AAPL"), "no AAPL position after closing");
    const gone = await expectApiError("closed position", NotFoundError, () => positions.getOpenPosition({ symbolOrAssetId: "AAPL" }));
    return { id: closing.id, status: filled.status, filled_avg_price: filled.filledAvgPrice, positions_after: after.length, gone };
  });

  out.events = await step("trade_updates events", async () => {
    const closeId = out.close.id;
    const has = (id, event) => events.some((e) => e.order_id === id && e.event === event);
    await until("new/fill for the buy, replaced/canceled for the limit orders, fill for the close", async () => {
      const done = has(out.market_buy.id, "new") && has(out.market_buy.id, "fill")
        && has(out.limit.id, "new") && has(out.limit.id, "replaced")
        && has(out.limit.replacement_id, "canceled") && has(closeId, "fill");
      return { done, value: events.map((e) => `${e.event}:${e.order_id?.slice(0, 8)}`) };
    });
    const fill = events.find((e) => e.order_id === out.market_buy.id && e.event === "fill");
    check(num(fill.price, "fill event price") === out.market_buy.filled_avg_price, "fill event price is the fill price");
    check(num(fill.qty, "fill event qty") === 2 && num(fill.position_qty, "fill event position_qty") === 2, "fill qty / position_qty");
    check(fill.client_order_id === buyCid && fill.status === "filled", "fill event carries the filled order");
    check(events.every((e) => e.timestamp_ok), "every event has a parseable timestamp");
    const byOrder = {};
    for (const e of events) (byOrder[e.order_id] ??= []).push(e.event);
    return {
      count: events.length,
      market_buy: byOrder[out.market_buy.id],
      limit: byOrder[out.limit.id],
      replacement: byOrder[out.limit.replacement_id],
      close: byOrder[closeId],
      fill: { price: fill.price, qty: fill.qty, position_qty: fill.position_qty },
    };
  });

  // ---- the SDK's own workflow helper: waits for the `listening` ack, places, awaits the fill ----
  out.submit_and_wait = await step("submitAndWait through the Alpaca facade", async () => {
    // The facade takes no basePath (client.ts sharedRestConfig passes none), so hand its
    // trading client the Configuration above, and reuse the stream opened on the custom url.
    const alpaca = new Alpaca({ keyId, secret, retry: false, rateLimit: false, timeoutMs: STEP_TIMEOUT_MS });
    alpaca.trading.config = tradingConfig;
    const filled = await alpaca.trading.submitAndWait(
      { type: "market", symbol: "MSFT", qty: 1, side: "buy", clientOrderId: `js-sdk-saw-${Date.now()}` },
      { timeoutMs: STEP_TIMEOUT_MS, stream },
    );
    check(filled.status === "filled" && filled.symbol === "MSFT", "submitAndWait resolves with the filled order");
    const closeAll = await alpaca.trading.closeAllPositions({ cancelOrders: true });
    check(Array.isArray(closeAll), "close all positions returns a list");
    return { status: filled.status, filled_avg_price: filled.filledAvgPrice, close_all: closeAll.length };
  });

  out.account_after = await step("account after trading", async () => {
    const a = await account.getAccount();
    const cash = num(a.cash, "account.cash");
    const equity = num(a.equity, "account.equity");
    return { cash, equity };
  });

  out.ok = true;
  currentStep = "done";
  clearTimeout(watchdog);
  finish(0);
}

main().catch(fail);
