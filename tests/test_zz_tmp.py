import asyncio, time, random
from .test_ui_burst import edit_script, open_ticket, TicketScreen
from .ui_support import loaded, make_app, burst, settled, typed_slowly, until

async def test_x(make_sim):
    T = time.monotonic
    a = T(); sim = make_sim(portfolio="sample"); app = make_app(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        b = T(); await loaded(pilot); c = T(); print("start", round(b-a,2), "loaded", round(c-b,2))
        keys = edit_script(random.Random(20261208), 3, True)
        for how in ("slow", "burst"):
            a = T(); ticket = await open_ticket(pilot); b = T()
            if how == "slow": await typed_slowly(pilot, keys)
            else: await settled(pilot, burst(app, keys), seconds=0)
            c = T()
            await typed_slowly(pilot, ["escape"])
            await until(pilot, lambda: not isinstance(app.screen, TicketScreen), what="ticket closed")
            d = T(); print(how, len(keys), "open", round(b-a,2), "type", round(c-b,2), "close", round(d-c,2))
        e = T()
    print("exit", round(T()-e, 2))
