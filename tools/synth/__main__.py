"""``python -m tools.synth`` entry point (see :mod:`tools.synth.cli`)."""

import sys

from .cli import main

sys.exit(main())
