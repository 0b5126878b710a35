"""`python -m photoclip` runs the same command as the `photoclip` launcher."""

import sys

from photoclip.cli import main

sys.exit(main())
