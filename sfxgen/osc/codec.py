"""Encoding replies as OSC datagrams (python-osc builder), kept light for the one-shot sender."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pythonosc.osc_message_builder import OscMessageBuilder


def build_message(address: str, args: Sequence[Any]) -> bytes:
    """One OSC datagram; ints beyond 32 bits go as int64, anything that is not str/int/float as its string."""
    b = OscMessageBuilder(address)
    for a in args:
        if isinstance(a, bool) or not isinstance(a, str | int | float):
            a = str(a)
        b.add_arg(a)
    return b.build().dgram
