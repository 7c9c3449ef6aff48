"""``sfxgen`` console script: an argparse front over the command modules in :data:`COMMANDS`."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

import sfxgen

COMMANDS: dict[str, str] = {
    "generate": "sfxgen.commands.generate",
    "info": "sfxgen.commands.info",
    "regenerate": "sfxgen.commands.regenerate",
    "bench": "sfxgen.commands.bench",
    "osc": "sfxgen.commands.osc",
    "render": "sfxgen.commands.render",
    "panel": "sfxgen.commands.panel",
    "export": "exporters.commands.export",
    "train": "exporters.commands.train",
    "eval": "exporters.commands.eval",
    "corpus": "exporters.commands.corpus",
    "library": "exporters.commands.library",
    "listen": "exporters.commands.listen",
}

log = logging.getLogger("sfxgen")


def _load(module_name: str):
    """Import a command module; None (with the reason) when it is not available in this install."""
    try:
        return importlib.import_module(module_name), None
    except ImportError as exc:
        return None, str(exc)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; only the chosen command's module is imported (others are listed by name)."""
    parser = argparse.ArgumentParser(prog="sfxgen", description="Local text/image-to-sound-effects generator.")
    parser.add_argument("--version", action="version", version=f"sfxgen {sfxgen.__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging on stderr (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in (argv or []) if a in COMMANDS), None)
    for name, module_name in COMMANDS.items():
        if chosen is not None and name != chosen:
            sub.add_parser(name, help=f"see `sfxgen {name} --help`", add_help=False)
            continue
        module, error = _load(module_name)
        if module is None:
            p = sub.add_parser(name, help=f"(not available: {error})")
            p.set_defaults(_unavailable=f"`sfxgen {name}` is not available in this install: {error}")
            continue
        p = sub.add_parser(
            name,
            help=getattr(module, "HELP", ""),
            description=getattr(module, "HELP", ""),
            epilog=getattr(module, "EPILOG", None),
        )
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    if getattr(args, "_unavailable", None):
        print(f"sfxgen: {args._unavailable}", file=sys.stderr)
        return 2
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args._run(args) or 0)
    except KeyboardInterrupt:
        print("sfxgen: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
