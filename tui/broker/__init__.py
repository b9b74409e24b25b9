"""The broker layer: everything that talks to Alpaca (or the simulator). No Textual here."""
