"""`python -m hub_repro`: see hub_repro.cli."""

import sys

from hub_repro.cli import console

sys.exit(console())
