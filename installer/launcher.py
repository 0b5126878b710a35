"""Entry point of the PyInstaller bundle: the same `photoclip` command as the pip launcher."""

import multiprocessing
import sys

from photoclip.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # no-op unless a worker process is spawned (Windows/macOS)
    sys.exit(main())
