"""Start-up reads each resource once: positions with the account, orders, the clock with
the calendar, then fills (a part asked for while its fetch runs would read it twice)."""

from .ui_support import QUIET, loaded, make_app


async def test_start_up_reads_each_resource_once(make_sim):
    sim = make_sim(portfolio="sample")
    # no timers, no streams, no market data (its start-up reads: test_ui_market.py): only start-up reads
    app = make_app(sim, intervals=QUIET, stream=False, market_data=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, stream=False)
        await pilot.pause(0.3)
        # positions + account, orders, clock + calendar, fills (the calendar came with the clock),
        # and the fills before today behind the positions held at the open (realized today)
        assert app.requests.last_minute() == 7
