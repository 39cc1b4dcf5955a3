"""The simulated team: its ids, and the conversations and people in it as the Web API describes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.simulator.params import JSONDict
from bot.simulator.scopes import Conversation

TEAM_ID = "T_SIM"
TEAM_DOMAIN = "simulator"
APP_ID = "A_SIM"
BOT_ID = "B_BOT"
BOT_USER_ID = "U_BOT"
PERMALINK_HOST = "https://simulator.slack"


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool = False
    is_member: bool = True
    is_archived: bool = False
    is_im: bool = False
    user: str | None = None
    """The other party of a DM."""
    is_mpim: bool = False
    """A group DM (private, not a channel)."""
    members: set[str] | None = None
    """Its members (the bot aside); None: every user of the workspace."""

    @property
    def kind(self) -> Conversation:
        """Which of Slack's conversation types it is, for the scopes that depend on it."""
        if self.is_im:
            return "im"
        if self.is_mpim:
            return "mpim"
        return "private" if self.is_private else "public"

    def to_dict(self) -> JSONDict:
        data: JSONDict = {
            "id": self.id,
            "created": 1_700_000_000,
            "is_archived": self.is_archived,
            "is_member": self.is_member,
            "is_im": self.is_im,
            "is_mpim": self.is_mpim,
        }
        if self.is_im:
            data |= {"user": self.user, "is_open": True}
        else:
            data |= {
                "name": self.name,
                "is_channel": not self.is_private,
                "is_group": self.is_private and not self.is_mpim,
                "is_private": self.is_private,
                "is_general": self.name == "general",
                "is_shared": False,
                "is_ext_shared": False,
                "is_org_shared": False,
                "name_normalized": self.name,
                "num_members": 3,
            }
        return data


@dataclass
class User:
    id: str
    name: str
    real_name: str = ""
    tz: str = "Europe/Paris"
    is_bot: bool = False
    deleted: bool = False
    locale: str = "en-US"
    """The user's Slack language; like Slack, `users.info` gives it only with `include_locale`."""

    def to_dict(self) -> JSONDict:
        tz_offset, tz_label = _tz_info(self.tz)
        real_name = self.real_name or self.name.title()
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": real_name,
            "tz": self.tz,
            "tz_label": tz_label,
            "tz_offset": tz_offset,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_admin": False,
            "profile": {
                "real_name": real_name,
                "display_name": self.name,
                "email": f"{self.name}@example.com",
                "team": TEAM_ID,
            },
        }


@dataclass
class UserGroup:
    """A Slack user group (`usergroups.list`); mentioned as `<!subteam^ID>`."""

    id: str
    handle: str
    name: str = ""
    users: tuple[str, ...] = ()

    def to_dict(self) -> JSONDict:
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "is_usergroup": True,
            "name": self.name or self.handle.title(),
            "handle": self.handle,
            "date_delete": 0,
            "user_count": len(self.users),
        }


def _tz_info(tz: str) -> tuple[int, str]:
    try:
        now = datetime.now(ZoneInfo(tz))
    except ZoneInfoNotFoundError:  # no tz database on this machine: Paris in winter
        return 3600, "Central European Time"
    offset = now.utcoffset()
    return int(offset.total_seconds()) if offset else 0, now.tzname() or tz
