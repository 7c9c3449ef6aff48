"""CLI subcommands. Each module defines ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.

Modules import nothing heavy at module level (torch / Qt only inside ``run``).
"""
