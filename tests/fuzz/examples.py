"""Examples run per fuzz target, reported at the end of the session (the figures the issue asks for).

Kept apart from the fuzz conftest so the root conftest can report them without importing
hypothesis and schemathesis: under pytest-xdist each worker counts its own and hands the
counts to the controller, which prints the sum.
"""

from __future__ import annotations

from collections import Counter

EXAMPLES: Counter[str] = Counter()
