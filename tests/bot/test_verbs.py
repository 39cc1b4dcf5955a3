"""One table of verbs: every verb parses, has its usage line, and every command type has one handler."""

from __future__ import annotations

import typing

import bot.app  # noqa: F401  # every feature registers its handlers on import
from bot.commands import VERB_TABLE, VERBS, Command, usage
from bot.slack import handler_for


def test_every_command_type_has_exactly_one_handler() -> None:
    from bot.slack import _HANDLERS

    kinds = set(typing.get_args(Command))
    assert len(kinds) == 33  # settings: open, show, set; history; report: now, weekly, off
    assert set(_HANDLERS) == kinds
    assert all(callable(handler_for(kind.__new__(kind))) for kind in kinds)  # type: ignore[call-overload]


def test_the_table_is_the_verbs_and_their_usage() -> None:
    assert tuple(VERB_TABLE) == VERBS
    every = usage(None, enabled=["carrier", "wholesale", "business"])
    for name, verb in VERB_TABLE.items():
        assert verb.name == name and verb.usage.example.split()[0] == name
        assert f"`/orange {verb.usage.example}`" in every
    assert {v.name: v.backend for v in VERB_TABLE.values() if v.backend} == {
        "sites": "carrier",
        "site": "carrier",
        "address": "carrier",
        "quotes": "carrier",
        "quote": "carrier",
        "offer": "wholesale",
    }
