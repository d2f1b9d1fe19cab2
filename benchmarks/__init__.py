"""Load and latency harnesses, each run as `python -m benchmarks.<name>` (`make bench` runs
them all). The code asset is imported as Lambda has it: lambdas/ on the path."""

import sys
from pathlib import Path

_LAMBDAS = str(Path(__file__).resolve().parent.parent / "lambdas")
if _LAMBDAS not in sys.path:
    sys.path.insert(0, _LAMBDAS)
