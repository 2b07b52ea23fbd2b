"""The bundle's entry point: the same ``desktop-oauth`` command, frozen."""

import sys

from desktop_oauth.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
