"""`python -m statusmon_emulator` runs the emulator CLI."""

import sys

from statusmon_emulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
