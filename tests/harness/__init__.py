"""What tests and benchmarks share to run the real thing from outside or beside it.

- `simulator`: the one way to start the simulator: in this process on a loopback port
  (`start_simulator`, `Simulators`: tests that reach into the exchange) or as its own
  `alpaca-tui sim` process (`SimulatorProcess`: the CLI's tests and every benchmark).
- `terminal`: the one pseudo-terminal driver: a command (the app, the demo) in a pty whose
  output is kept byte for byte and rendered by a terminal emulator (pyte), so checks read
  what a user would see.
- `profiles`: how many examples the property tests draw: few and fixed by default,
  many and new each run with HYPOTHESIS_PROFILE=thorough.

Benchmarks import these as `tests.harness.*` (they run from the repository root).
"""
