"""Every example `/orange help` gives works: each runs, through signed requests, against the sandbox's seeded data,
and none answers an error."""

from __future__ import annotations

import re

from bot_harness import Harness
from test_notifier import ask

from bot.commands import VERBS

_ERROR_MARKS = (":warning:", ":x:", "Usage:", "Something went wrong")


async def test_every_example_in_the_help_answers_without_an_error(harness: Harness) -> None:
    h = harness
    help_text = await ask(h, "help")
    examples = re.findall(r"e\.g\. `/orange ([^`]+)`", help_text)
    assert [e.split()[0] for e in examples] == list(VERBS), help_text  # one per verb, none missed
    # Run in the help's own order, as a reader trying them would: the examples that need state find it made by an
    # earlier one (`unwatch carrier:11` after `watch carrier:11`, `unsubscribe 1` after `subscribe …`); none is left
    # out.
    failed: dict[str, str] = {}
    for example in examples:
        answer = await ask(h, example)
        if example.startswith("help "):  # a usage is its answer: that of the command it names
            ok = f"`/orange {example.split()[1]}" in answer and ":warning:" not in answer
        else:
            ok = not any(mark in answer for mark in _ERROR_MARKS)
        if not ok:
            failed[example] = answer
    assert not failed, failed
