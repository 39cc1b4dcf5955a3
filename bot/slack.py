"""What every feature shares to answer in Slack, below them all (like bolt's context package: ack, respond, say).

    where = Where(team_id, channel_id, user_id)            # who asked, in which channel
    return reply(order_blocks(view))                       # a Reply: text + Block Kit, shareable or not
    return render_error(err, verb="order", command="/orange", enabled=["carrier"])
    link = await permalink(client, channel, ts)

    @handles(OrderGet)                                     # a feature answers one command type
    async def order(inv: Invocation, cmd: OrderGet) -> Reply: ...
    reply = await dispatch(inv, parse(text, ...))          # the listener runs whichever handles it

`CHANNEL_ERRORS` are Slack's answers meaning "the bot cannot post here"; `cannot_post_text` says so to a person.
`retry_after(err)` is how long a 429 asks to wait, read one way by all who wait it out (the client, the outbox,
the approval cards).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, TypeVar

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.common import carrier_error_blocks, error_blocks
from bot.blocks.format import fallback_text
from bot.commands import Command, CommandError, usage
from bot.context import BotContext
from bot.i18n import _
from integrations import BACKENDS, APIError, BackendNotEnabledError, InvalidReferenceError

__all__ = [
    "CHANNEL_ERRORS",
    "Invocation",
    "Reply",
    "Where",
    "cannot_post_text",
    "dispatch",
    "dm_channel",
    "handler_for",
    "handles",
    "permalink",
    "send_dm",
    "render_error",
    "reply",
    "retry_after",
    "retry_after_header",
]

log = logging.getLogger("bot.slack")

# Slack errors that mean "the bot cannot post here" (a channel it is not in, gone, archived).
CHANNEL_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived", "restricted_action"})


def retry_after_header(headers: Mapping[str, Any]) -> float | None:
    """Slack's `Retry-After` in seconds from an answer's headers (each a string or a list of them); None if absent
    or unreadable."""
    for name, values in headers.items():
        if name.lower() == "retry-after":
            try:
                return float(values if isinstance(values, str) else values[0])
            except (TypeError, ValueError, IndexError):
                return None
    return None


def retry_after(err: SlackApiError) -> float | None:
    """Seconds Slack asked to wait before calling again (its `Retry-After`, at least 1; 1 when it gave none), or
    None when `err` is not a rate limit."""
    status = getattr(err.response, "status_code", 200)
    if status != 429 and err.response.get("error") != "ratelimited":
        return None
    seconds = retry_after_header(dict(getattr(err.response, "headers", None) or {}))
    return max(seconds if seconds is not None else 1.0, 1.0)


@dataclass(frozen=True)
class Where:
    team_id: str
    channel_id: str
    user_id: str


@dataclass
class Reply:
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    shareable: bool = True


def reply(blocks: Sequence[Block], *, shareable: bool = True, text: str | None = None) -> Reply:
    return Reply(text=text or fallback_text(blocks), blocks=[b.to_dict() for b in blocks], shareable=shareable)


def render_error(err: Exception, *, verb: str | None, command: str, enabled: Sequence[str]) -> Reply:
    """Bad input or a carrier failure, in one line (plus the verb's usage for bad input)."""
    if isinstance(err, APIError):
        return reply(carrier_error_blocks(err), shareable=False)
    if isinstance(err, BackendNotEnabledError):
        message = _not_enabled(err.backend, enabled)
    else:
        message = getattr(err, "message", None) or str(err)
    return reply(error_blocks(message, usage(verb, command=command, enabled=enabled)), shareable=False)


def _not_enabled(backend: str, enabled: Sequence[str]) -> str:
    known = ", ".join(enabled) or _("none")
    if backend not in BACKENDS:
        return _(
            "'{backend}' is not a backend; use one of {backends} (enabled: {enabled}).",
            backend=backend,
            backends=", ".join(BACKENDS),
            enabled=known,
        )
    return _("The {backend} backend is not configured (enabled: {enabled}).", backend=backend, enabled=known)


def cannot_post_text(error: str, *, command: str, again: str = "watch …") -> str:
    """What to do when Slack answered one of `CHANNEL_ERRORS`; `again`: the command to run once invited."""
    if error == "is_archived":
        return _("This channel is archived: I can't post in it.")
    return _(
        "I can't post in this channel: I'm not a member of it. "
        "Invite me with `/invite @orange-bot`, then run `{command} {again}` again.",
        command=command,
        again=again,
    )


async def permalink(client: AsyncWebClient, channel: str, ts: str | None) -> str | None:
    if not ts:
        return None
    try:
        response = await client.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackApiError:
        return None
    link = response.get("permalink")
    return str(link) if link else None


async def open_form(client: AsyncWebClient, trigger_id: str, view: Any, *, expired: str) -> Reply | None:
    """`views.open`; None when the form opened, else what to tell the user (`expired`: the trigger ran out, what to
    do again)."""
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as err:
        error = str(err.response.get("error", ""))
        log.warning("views.open failed: %s", error)
        if error in ("expired_trigger_id", "invalid_trigger_id"):
            return Reply(text=expired, shareable=False)
        return Reply(
            text=_("Slack refused to open the form ({error}); try again in a moment.", error=error), shareable=False
        )
    return None


async def dm_channel(client: AsyncWebClient, user_id: str) -> str:
    """The id of the app's DM with `user_id` (`conversations.open`); SlackApiError when Slack refuses."""
    dm = await client.conversations_open(users=user_id)
    return str((dm.get("channel") or {}).get("id"))


async def send_dm(client: AsyncWebClient, user_id: str, *, text: str, blocks: Sequence[Block] = (), about: str) -> bool:
    """Post to the app's DM with `user_id` (`dm_channel`, then `chat.postMessage`); False when Slack refused,
    logged with `about` (what the DM was for)."""
    try:
        channel = await dm_channel(client, user_id)
        await client.chat_postMessage(channel=channel, text=text, blocks=[b.to_dict() for b in blocks] or None)
    except SlackApiError as err:
        log.warning("could not DM %s %s: %s", user_id, about, err.response.get("error"))
        return False
    return True


# --- one command, answered by whichever feature handles its type ------------------------------------------------


@dataclass
class Invocation:
    """One `/orange` request (or a button replaying one): who, where, and how to answer."""

    ctx: BotContext
    client: AsyncWebClient
    where: Where
    text: str
    trigger_id: str | None = None
    offset: int = 0
    """The page asked for by Next / Previous."""
    shared: bool = False
    """Posted for the whole channel: dates in UTC, as its readers are everywhere."""

    async def tz(self) -> tzinfo | None:
        if self.shared:
            return None
        return await self.ctx.users.tz(self.client, self.where.user_id)

    def error(self, err: Exception, verb: str | None) -> Reply:
        return render_error(err, verb=verb, command=self.ctx.settings.slack_command, enabled=self.ctx.enabled)


_C = TypeVar("_C", bound=Command)
Handler = Callable[[Invocation, Any], Awaitable[Reply]]
_HANDLERS: dict[type[Any], Handler] = {}


def handles(*kinds: type[_C]) -> Callable[[Callable[[Invocation, _C], Awaitable[Reply]]], Callable[..., Any]]:
    """Register the decorated coroutine as the answer to these command types (one handler per type)."""

    def register(handler: Callable[[Invocation, _C], Awaitable[Reply]]) -> Callable[..., Any]:
        for kind in kinds:
            if kind in _HANDLERS:
                raise RuntimeError(f"{kind.__name__} is handled twice")
            _HANDLERS[kind] = handler
        return handler

    return register


def handler_for(command: Command) -> Handler:
    """The feature that answers `command`; KeyError when none registered (a test checks every type has one)."""
    return _HANDLERS[type(command)]


async def dispatch(inv: Invocation, command: Command) -> Reply:
    """Answer `command`; bad input and carrier failures become a one-line error reply with the verb's usage."""
    try:
        return await handler_for(command)(inv, command)
    except (APIError, CommandError, InvalidReferenceError, BackendNotEnabledError) as err:
        if isinstance(err, APIError):
            log.info("%s failed: %s", command.verb, err)
        return inv.error(err, command.verb)
