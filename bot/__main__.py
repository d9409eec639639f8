"""``python -m bot [--config FILE]`` is ``motcua [--config FILE] run``."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main([*sys.argv[1:], "run"]))
