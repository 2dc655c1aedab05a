"""`python -m healthcode`: the same as the `healthcode` command."""

import sys

from healthcode.cli import main

sys.exit(main())
