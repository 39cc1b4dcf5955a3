"""The `quote new` modal and what it turns into, from slack_sdk's view models.

form_view(channel_id="C1", team_id="T1")      # two sites, bandwidth, class of service, term
checking_view("Asking Orange: …")               # what the modal shows once submitted
site_option(site_view)                          # one external-select option for a site

Labels, hints and options come from the catalogue, in the language spoken when the view is built; titles and
buttons stay within Slack's 24 characters in every language (tests check the French against the simulator).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ExternalDataSelectElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.i18n import _, n_, number
from integrations.views import SiteView

from .format import section

__all__ = [
    "ACTION_BANDWIDTH",
    "ACTION_COS",
    "ACTION_SITE_A",
    "ACTION_SITE_B",
    "ACTION_TERM",
    "BLOCK_BANDWIDTH",
    "BLOCK_COS",
    "BLOCK_SITE_A",
    "BLOCK_SITE_B",
    "BLOCK_TERM",
    "CALLBACK_ID",
    "CLASSES_OF_SERVICE",
    "MAX_BANDWIDTH",
    "TERMS_MONTHS",
    "checking_view",
    "class_of_service_text",
    "form_view",
    "result_view",
    "site_option",
]

CALLBACK_ID = "quote_new"
ACTION_SITE_A = "quote_site_a"
ACTION_SITE_B = "quote_site_b"
ACTION_BANDWIDTH = "quote_bandwidth"
ACTION_COS = "quote_cos"
ACTION_TERM = "quote_term"
BLOCK_SITE_A, BLOCK_SITE_B, BLOCK_BANDWIDTH, BLOCK_COS, BLOCK_TERM = "site_a", "site_b", "bandwidth", "cos", "term"
CLASSES_OF_SERVICE = ("GUARANTEED", "STANDARD", "PREMIUM")
TERMS_MONTHS = (12, 24, 36)
MAX_BANDWIDTH = 100_000
OPTION_TEXT = 75


def _plain(text: str) -> PlainTextObject:
    return PlainTextObject(text=text[:OPTION_TEXT])


def _option(text: str, value: str) -> Option:
    return Option(text=_plain(text), value=value)


def _site_select(action_id: str) -> ExternalDataSelectElement:
    return ExternalDataSelectElement(
        action_id=action_id, placeholder=_plain(_("Type a city, a name or an id")), min_query_length=0
    )


def _choice(action_id: str, options: Sequence[Option]) -> StaticSelectElement:
    return StaticSelectElement(action_id=action_id, options=list(options), initial_option=options[0])


def class_of_service_text(cos: str) -> str:
    """`Guaranteed` / `Garanti`: Orange's class of service in the reader's words (another shown as Orange spells it)."""
    known = {"GUARANTEED": _("Guaranteed"), "STANDARD": _("Standard"), "PREMIUM": _("Premium")}
    return known.get(cos, cos.capitalize())


def form_view(*, channel_id: str, team_id: str) -> dict[str, Any]:
    """The modal: two sites (searchable), bandwidth in Mbps, class of service, term; where it was asked from."""
    blocks: list[Block] = [
        InputBlock(block_id=BLOCK_SITE_A, label=_plain(_("Site A (ENNI)")), element=_site_select(ACTION_SITE_A)),
        InputBlock(block_id=BLOCK_SITE_B, label=_plain(_("Site B (ENNI)")), element=_site_select(ACTION_SITE_B)),
        InputBlock(
            block_id=BLOCK_BANDWIDTH,
            label=_plain(_("Bandwidth (Mbps)")),
            element=PlainTextInputElement(action_id=ACTION_BANDWIDTH, placeholder=_plain(_("e.g. 100"))),
            hint=_plain(_("A whole number from 1 to {max}", max=number(MAX_BANDWIDTH))),
        ),
        InputBlock(
            block_id=BLOCK_COS,
            label=_plain(_("Class of service")),
            element=_choice(ACTION_COS, [_option(class_of_service_text(c), c) for c in CLASSES_OF_SERVICE]),
        ),
        InputBlock(
            block_id=BLOCK_TERM,
            label=_plain(_("Term")),
            element=_choice(ACTION_TERM, [_option(n_("{n} month", "{n} months", m), str(m)) for m in TERMS_MONTHS]),
        ),
    ]
    view = View(
        type="modal",
        callback_id=CALLBACK_ID,
        private_metadata=json.dumps({"channel": channel_id, "team": team_id}),
        title=_plain(_("New quote")),
        submit=_plain(_("Get a quote")),
        close=_plain(_("Cancel")),
        blocks=blocks,
    )
    return view.to_dict()


def result_view(title: str | None, blocks: Sequence[Block | dict[str, Any]]) -> dict[str, Any]:
    """A modal that only shows something (the answer, when there is no channel to post it in); titled "New quote"
    unless `title` says otherwise (at most 24 characters)."""
    view = View(
        type="modal",
        callback_id=f"{CALLBACK_ID}_result",
        title=_plain(title or _("New quote")),
        close=_plain(_("Close")),
        blocks=list(blocks),
    )
    return view.to_dict()


def checking_view(text: str) -> dict[str, Any]:
    return result_view(None, [section(text)])


def site_option(site: SiteView) -> dict[str, Any]:
    """`Bagnolet KM4 · Paris, FR (105740)`, valued by the site id."""
    where = ", ".join(part for part in (site.city or site.locality, site.country) if part)
    name = site.name or site.id
    label = f"{name} · {where} ({site.id})" if where else f"{name} ({site.id})"
    return _option(label, site.id).to_dict()
