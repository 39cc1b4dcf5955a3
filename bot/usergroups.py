"""Slack user groups by handle or id, and their members, cached a short while (`usergroups:read`).

    groups = GroupDirectory()
    group_id = await groups.resolve(client, "@network-approvers")     # "S0614TZR7"
    members = await groups.members(client, group_id)                  # frozenset({"U1", "U2"})

Members are cached `GROUP_TTL` (60 s): someone removed from the group can still decide for at most that long, and
a click does not cost a Slack call each. A refusal from Slack raises `GroupsUnavailable` (nothing is cached).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["GROUP_TTL", "GroupDirectory", "GroupsUnavailable", "is_group_id"]

GROUP_TTL = 60.0
"""Seconds a group's members (and a handle's id) are trusted before Slack is asked again."""

_GROUP_ID = re.compile(r"^S[A-Z0-9]{2,}$")


def is_group_id(value: str) -> bool:
    return bool(_GROUP_ID.match(value))


class GroupsUnavailable(Exception):
    """Slack refused to list user groups or their members (`error`: its reason, e.g. `missing_scope`)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass
class GroupDirectory:
    ttl: float = GROUP_TTL
    clock: Callable[[], float] = time.monotonic
    _members: dict[str, tuple[float, frozenset[str]]] = field(default_factory=dict)
    _ids: dict[str, tuple[float, str]] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def resolve(self, client: AsyncWebClient, group: str) -> str:
        """The id of `group` (`S…`, `@handle` or `handle`); GroupsUnavailable(`no_such_subteam`) when none has it."""
        name = group.strip()
        if is_group_id(name):
            return name
        handle = name.removeprefix("@").lower()
        hit = self._ids.get(handle)
        if hit is not None and hit[0] > self.clock():
            return hit[1]
        try:
            response = await client.usergroups_list()
        except SlackApiError as err:
            raise GroupsUnavailable(str(err.response.get("error") or "error")) from err
        for g in response.get("usergroups") or []:
            if isinstance(g, Mapping) and str(g.get("handle") or "").lower() == handle and not g.get("date_delete"):
                self._ids[handle] = (self.clock() + self.ttl, str(g["id"]))
                return str(g["id"])
        raise GroupsUnavailable("no_such_subteam")

    async def members(self, client: AsyncWebClient, group_id: str) -> frozenset[str]:
        """The user ids in the group (`usergroups.users.list`), from the cache while it is fresh."""
        hit = self._members.get(group_id)
        if hit is not None and hit[0] > self.clock():
            return hit[1]
        async with self._lock:  # racing clicks ask Slack once
            hit = self._members.get(group_id)
            if hit is not None and hit[0] > self.clock():
                return hit[1]
            try:
                response = await client.usergroups_users_list(usergroup=group_id)
            except SlackApiError as err:
                raise GroupsUnavailable(str(err.response.get("error") or "error")) from err
            users = frozenset(str(u) for u in response.get("users") or [])
            self._members[group_id] = (self.clock() + self.ttl, users)
            return users
