"""``python -m zipfian_envs.studies``: the same as ``zipfian-study``."""

import sys

from zipfian_envs.studies.cli import main

sys.exit(main())
