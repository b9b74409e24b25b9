"""How hard the property tests look: `default` for every run (CI included), `thorough` for
a deliberate search. Pick with HYPOTHESIS_PROFILE=thorough.

default: few examples, the same every run (derandomized), so CI never flakes on a new draw
  and the suite stays fast; each property test also carries explicit examples with the
  inputs that broke the code before.
thorough: many examples, new ones every run (Hypothesis prints how to reproduce a failure;
  the tests seeded from random.Random print their seed).

Nothing is stored in the work tree (no .hypothesis database) in either.
"""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "default")
THOROUGH = PROFILE == "thorough"

settings.register_profile("default", max_examples=100, derandomize=True, database=None, deadline=None)
settings.register_profile("thorough", max_examples=1000, derandomize=False, database=None, deadline=None,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(PROFILE)


def examples(default: int, thorough: int) -> int:
    """How many examples a test draws under the profile in force."""
    return thorough if THOROUGH else default


def seed(default: int) -> int:
    """A random.Random seed: `default` (the same draws every run), or a new one when
    thorough (put it in the failure message to replay it)."""
    return random.SystemRandom().randrange(2**32) if THOROUGH else default
