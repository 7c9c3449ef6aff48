"""``python -m exporters.train --config RECIPE.toml --out RUN_DIR [--resume]`` (same as ``sfxgen train``)."""

from __future__ import annotations

import argparse
import sys

from exporters.commands import train as command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m exporters.train", description=command.HELP)
    command.add_arguments(parser)
    return command.run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
