"""`/orange settings`: what a channel wants to hear, and in which language.

    settings                       # a modal (language, thread, broadcast, mention with the workspace's user groups,
                                   # digest time), saved on submission
    settings show                  # the settings, one per line
    settings language=fr mention=@ops digest=08:30

Stored per channel (`storage.models.ChannelSettings`, the digest's time in the channel's `DigestSchedule`), so every
replica and every restart sees them; each change is audited (`channel_setting`: who, when, old → new). They are
applied where the notifier decides and words things: the outbox speaks the channel's language
(`channel_language`), `bot.notify.owe` and `bot.notify.routing` read `thread`, `broadcast` and `mention`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import (
    Block,
    InputBlock,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import Session

from bot.blocks.format import context, escape, section
from bot.commands import SettingsOpen, SettingsSet, SettingsShow
from bot.commands.settings import BadSetting, check_value
from bot.context import BotContext
from bot.i18n import Language, _, language_of
from bot.slack import Invocation, Reply, Where, handles
from bot.usergroups import GroupsUnavailable
from storage import crud

__all__ = [
    "CALLBACK_ID",
    "Group",
    "apply_settings",
    "channel_language",
    "parse_modal",
    "settings_modal",
    "user_groups",
]

log = logging.getLogger("bot.channel_settings")

CALLBACK_ID = "channel_settings"
FIELDS = ("language", "thread", "broadcast", "mention", "digest", "approvers")


@dataclass(frozen=True)
class Group:
    id: str
    handle: str


async def user_groups(client: AsyncWebClient) -> list[Group]:
    """The workspace's user groups (`usergroups.list`, scope `usergroups:read`)."""
    try:
        response = await client.usergroups_list()
    except SlackApiError as err:
        raise GroupsUnavailable(str(err.response.get("error") or "error")) from err
    groups = response.get("usergroups") or []
    return [
        Group(str(g["id"]), str(g.get("handle") or g["id"]))
        for g in groups
        if isinstance(g, Mapping) and g.get("id") and not g.get("date_delete")
    ]


def channel_language(session: Session, team_id: str, channel_id: str) -> Language:
    """The language the channel's posts and thread replies are written in."""
    return language_of(crud.get_channel_settings(session=session, team_id=team_id, channel_id=channel_id).language)


# --- words ---------------------------------------------------------------------------------------------------------


def _value_text(key: str, value: str) -> str:
    """A setting's value as a person reads it (a group named as Slack shows it)."""
    if key in ("mention", "approvers") and value.startswith("S"):
        return f"<!subteam^{escape(value)}>"
    return f"`{escape(value)}`"


def _labels() -> dict[str, str]:
    return {
        "language": _("Language"),
        "thread": _("In the thread"),
        "broadcast": _("Also sent to the channel"),
        "mention": _("Mentioned when action is needed"),
        "digest": _("Daily digest"),
        "approvers": _("Who decides approvals"),
    }


def _choices() -> dict[str, dict[str, str]]:
    return {
        "language": {"en": _("English"), "fr": _("French")},
        "thread": {"everything": _("Everything"), "errors": _("Errors, alerts and final states only")},
        "broadcast": {
            "finals_and_alerts": _("Final states, opened errors and alerts"),
            "finals": _("Final states only"),
        },
        "mention": {"nobody": _("Nobody"), "creator": _("The watch's creator")},
    }


def show_text(current: Mapping[str, str]) -> str:
    labels = _labels()
    lines = [_("*Settings of this channel*")]
    lines += [
        _("{label}: {value}", label=labels[key], value=_value_text(key, current[key]))
        for key in FIELDS
        if key in current
    ]
    lines.append(_("Change them with `settings key=value…` or the form (`settings`)."))
    return "\n".join(lines)


def changed_text(changes: Sequence[crud.SettingChange]) -> str:
    if not changes:
        return _("Nothing changed: the channel's settings already were so.")
    labels = _labels()
    lines = [
        _(
            "{label}: {old} → {new}",
            label=labels[c.key],
            old=_value_text(c.key, c.old),
            new=_value_text(c.key, c.new),
        )
        for c in changes
    ]
    return "\n".join([_("*Settings of this channel changed*"), *lines])


# --- reading and changing ------------------------------------------------------------------------------------------


async def current_settings(ctx: BotContext, where: Where) -> dict[str, str]:
    def load(session: Session) -> dict[str, str]:
        row = crud.get_channel_settings(session=session, team_id=where.team_id, channel_id=where.channel_id)
        digest = crud.digest_setting(session=session, team_id=where.team_id, channel_id=where.channel_id)
        return {
            "language": row.language,
            "thread": row.thread,
            "broadcast": row.broadcast,
            "mention": row.mention,
            "digest": digest,
            "approvers": row.approvers,
        }

    return await ctx.read(load)


async def apply_settings(
    ctx: BotContext, client: AsyncWebClient, where: Where, values: Mapping[str, str]
) -> list[crud.SettingChange]:
    """Store checked `values` for the channel (a `@handle` resolved to its group's id first); what changed. Raises
    `BadSetting` for a group that does not exist or cannot be looked up."""
    values = dict(values)
    if "approvers" in values:
        await _may_name_approvers(ctx, client, where)
    for key in ("mention", "approvers"):
        named = values.get(key, "")
        if not named.startswith("@"):
            continue
        try:
            groups = await user_groups(client)
        except GroupsUnavailable as err:
            raise BadSetting(
                _("User groups cannot be listed here (Slack answered {error}); give the group's id.", error=err.error)
            ) from None
        found = [g for g in groups if g.handle.lower() == named[1:]]
        if not found:
            raise BadSetting(_("There is no user group {handle} in this workspace.", handle=escape(named)))
        values[key] = found[0].id
    zone = await ctx.users.tz(client, where.user_id)
    at = ctx.now()
    return await ctx.db(
        lambda s: crud.change_channel_settings(
            session=s,
            team_id=where.team_id,
            channel_id=where.channel_id,
            changes=values,
            actor=where.user_id,
            at=at,
            digest_tz=str(zone.key) if zone is not None else "UTC",
        )
    )


async def _may_name_approvers(ctx: BotContext, client: AsyncWebClient, where: Where) -> None:
    """Who decides a channel's approvals is changed only by someone who may decide them now (anyone, when nobody is
    named): otherwise any member could name a group of their friends. BadSetting when `where.user_id` may not."""
    from bot.approvals.policy import deciders, may_decide  # the approvals package reads these settings

    try:
        who = await deciders(ctx, client, where.team_id, where.channel_id)
        allowed = await may_decide(ctx, client, who, where.user_id)
    except GroupsUnavailable as err:
        raise BadSetting(
            _(
                "The approvers' user group cannot be read (Slack answered {error}); nothing was changed.",
                error=err.error,
            )
        ) from None
    if not allowed:
        raise BadSetting(
            _(
                "Only the approvers ({approvers}) can change who decides this channel's approvals.",
                approvers=who.mentions(),
            )
        )


@handles(SettingsShow)
async def _show(inv: Invocation, cmd: SettingsShow) -> Reply:
    return Reply(text=show_text(await current_settings(inv.ctx, inv.where)), shareable=False)


@handles(SettingsSet)
async def _set(inv: Invocation, cmd: SettingsSet) -> Reply:
    try:
        changes = await apply_settings(inv.ctx, inv.client, inv.where, dict(cmd.values))
    except BadSetting as err:
        return inv.error(err, cmd.verb)
    return Reply(text=changed_text(changes), shareable=False)


@handles(SettingsOpen)
async def _open(inv: Invocation, cmd: SettingsOpen) -> Reply:
    if not inv.trigger_id:
        return Reply(text=_("Slack sent no trigger for the settings form; run `settings` again."), shareable=False)
    current = await current_settings(inv.ctx, inv.where)
    try:
        groups: list[Group] | None = await user_groups(inv.client)
    except GroupsUnavailable as err:
        log.warning("usergroups.list refused (%s): the settings form offers no user group", err.error)
        groups = None
    try:
        await inv.client.views_open(
            trigger_id=inv.trigger_id, view=settings_modal(inv.where, current, groups).to_dict()
        )
    except SlackApiError as err:
        error = str(err.response.get("error", ""))
        log.warning("views.open failed: %s", error)
        return Reply(text=_("The settings form could not open ({error}); run the command again.", error=error))
    return Reply(text=_("The settings of this channel are open in a form."), shareable=False)


# --- the modal -----------------------------------------------------------------------------------------------------


def _option(value: str, text: str) -> Option:
    return Option(value=value, text=PlainTextObject(text=text[:75]))


def settings_modal(where: Where, current: Mapping[str, str], groups: Sequence[Group] | None) -> View:
    """The form: one select per setting (the mention's lists the workspace's user groups, when Slack lets the bot
    read them), the digest's time as text (empty: no digest)."""
    labels, choices = _labels(), _choices()
    blocks: list[Block] = []
    for key in ("language", "thread", "broadcast", "mention"):
        options = [_option(value, text) for value, text in choices[key].items()]
        if key == "mention":
            options += [_option(g.id, f"@{g.handle}") for g in groups or ()]
            if current[key].startswith("S") and current[key] not in {o.value for o in options}:
                options.append(_option(current[key], current[key]))
        initial = next((o for o in options if o.value == current[key]), options[0])
        blocks.append(
            InputBlock(
                block_id=key,
                label=labels[key],
                element=StaticSelectElement(action_id=key, options=options, initial_option=initial),
            )
        )
    digest = current.get("digest", "off")
    blocks.append(
        InputBlock(
            block_id="digest",
            label=labels["digest"],
            optional=True,
            hint=_("HH:MM, optionally followed by a time zone (Europe/Paris); empty: no daily digest."),
            element=PlainTextInputElement(
                action_id="digest", initial_value=None if digest == "off" else digest, placeholder="08:30"
            ),
        )
    )
    if groups is None:
        blocks.append(
            context(_("User groups cannot be listed: the app lacks the usergroups:read scope, so none is offered."))
        )
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=_("Channel settings"),
        submit=_("Save"),
        close=_("Cancel"),
        private_metadata=json.dumps({"channel_id": where.channel_id}),
        blocks=blocks,
    )


def parse_modal(view: Mapping[str, Any]) -> tuple[str, dict[str, str]] | dict[str, str]:
    """(channel id, checked values) from a submitted form, or `{block_id: error}` for `response_action: errors`."""
    state = (view.get("state") or {}).get("values") or {}
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key in FIELDS:
        element = (state.get(key) or {}).get(key) or {}
        raw = (element.get("selected_option") or {}).get("value") if "selected_option" in element else None
        if raw is None:
            raw = element.get("value")
        if key == "digest" and not (raw or "").strip():
            raw = "off"
        if raw is None:
            continue
        try:
            values[key] = check_value(key, str(raw))
        except BadSetting as err:
            errors[key] = str(err)
    if errors:
        return errors
    meta = json.loads(str(view.get("private_metadata") or "{}"))
    return str(meta.get("channel_id") or ""), values


def done_view(text: str) -> View:
    return View(
        type="modal",
        title=_("Channel settings"),
        close=_("Close"),
        blocks=[section(text)],
    )
