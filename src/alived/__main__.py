"""`python -m alived` runs the daemon's command line, as the `alived` script does."""

from alived.cli import main

raise SystemExit(main())
