"""`python -m gallery` entry point."""

import sys

from gallery.cli import main

sys.exit(main())
