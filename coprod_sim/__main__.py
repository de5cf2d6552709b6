"""``python -m coprod_sim`` runs the command line."""

import sys

from coprod_sim.cli import main

sys.exit(main())
