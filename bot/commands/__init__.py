"""The ``/orange`` slash command: text → typed command (`parse`), and the usage shown with errors (`usage`)."""

from __future__ import annotations

from bot.commands.parser import (
    VERBS,
    Address,
    Cancel,
    Command,
    CommandError,
    Help,
    Offer,
    OrderGet,
    Orders,
    ProductGet,
    Products,
    QuoteGet,
    QuoteNew,
    Quotes,
    Site,
    Sites,
    Unwatch,
    Watch,
    Watches,
    parse,
    to_text,
)
from bot.commands.references import Reference, parse_reference
from bot.commands.usage import USAGE, usage

__all__ = [
    "USAGE",
    "VERBS",
    "Address",
    "Cancel",
    "Command",
    "CommandError",
    "Help",
    "Offer",
    "OrderGet",
    "Orders",
    "ProductGet",
    "Products",
    "QuoteGet",
    "QuoteNew",
    "Quotes",
    "Reference",
    "Site",
    "Sites",
    "Unwatch",
    "Watch",
    "Watches",
    "parse",
    "parse_reference",
    "to_text",
    "usage",
]
