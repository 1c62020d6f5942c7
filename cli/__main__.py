"""`python -m cli`: the same as `lapor-social`."""

import sys

from cli import main

sys.exit(main())
