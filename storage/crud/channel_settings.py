"""A channel's settings (`/orange settings`): read with their defaults, changed under a row lock, each change audited
(who, when, old → new). The digest's time is the channel's `DigestSchedule` (`digests`), not a second copy."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from sqlmodel import Session, col, select

from storage.columns import utcnow
from storage.models import ChannelSettings

from ._common import insert_ignore
from .audit import record_audit
from .digests import end_digest_schedule, get_digest_schedule, set_digest_schedule

__all__ = [
    "CHANNEL_SETTING_ACTION",
    "SettingChange",
    "change_channel_settings",
    "digest_setting",
    "get_channel_settings",
]

CHANNEL_SETTING_ACTION = "channel_setting"
"""The audit action of one setting changed; its detail is `{"team_id", "channel_id", "key", "old", "new"}`."""
COLUMNS = ("language", "thread", "broadcast", "mention", "approvers")
DIGEST = "digest"
DIGEST_OFF = "off"


class SettingChange(NamedTuple):
    key: str
    old: str
    new: str


def get_channel_settings(*, session: Session, team_id: str, channel_id: str) -> ChannelSettings:
    """The channel's settings; every default when it never changed one (a row not added to the session)."""
    found = session.get(ChannelSettings, (team_id, channel_id))
    return found if found is not None else ChannelSettings(team_id=team_id, channel_id=channel_id)


def digest_setting(*, session: Session, team_id: str, channel_id: str) -> str:
    """The daily digest as the `digest=` setting reads: `HH:MM tz`, or `off`."""
    schedule = get_digest_schedule(session=session, team_id=team_id, channel_id=channel_id)
    return f"{schedule.at_time} {schedule.tz}" if schedule is not None else DIGEST_OFF


def change_channel_settings(
    *,
    session: Session,
    team_id: str,
    channel_id: str,
    changes: Mapping[str, str],
    actor: str,
    at: datetime | None = None,
    digest_tz: str = "UTC",
) -> list[SettingChange]:
    """Set `changes` (`language`, `thread`, `broadcast`, `mention`: values already checked; `digest`: `HH:MM`,
    `HH:MM tz` or `off`), in the caller's transaction; what actually changed, each audited. The channel's row is
    locked first (created with the defaults if need be), so two people changing it at once are told the true old
    value. `digest_tz`: the zone of a new digest given without one (a digest that exists keeps its zone)."""
    at = at or utcnow()
    insert_ignore(
        session,
        ChannelSettings,
        {"team_id": team_id, "channel_id": channel_id, "updated_at": at},
        conflict=("team_id", "channel_id"),
    )
    row = session.exec(
        select(ChannelSettings)
        .where(col(ChannelSettings.team_id) == team_id, col(ChannelSettings.channel_id) == channel_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    done: list[SettingChange] = []
    for key, value in changes.items():
        if key == DIGEST:
            change = _change_digest(session, team_id, channel_id, value, actor=actor, digest_tz=digest_tz)
        elif key in COLUMNS:
            old = str(getattr(row, key))
            change = SettingChange(key, old, value) if old != value else None
            if change is not None:
                setattr(row, key, value)
        else:
            raise ValueError(f"no channel setting {key!r}")
        if change is not None:
            done.append(change)
            record_audit(
                session=session,
                actor=actor,
                action=CHANNEL_SETTING_ACTION,
                subject=channel_id,
                detail={"team_id": team_id, "channel_id": channel_id, "key": key, "old": change.old, "new": change.new},
                at=at,
            )
    if any(change.key in COLUMNS for change in done):
        row.updated_by, row.updated_at = actor, at
        session.add(row)
    session.flush()
    return done


def _change_digest(
    session: Session, team_id: str, channel_id: str, value: str, *, actor: str, digest_tz: str
) -> SettingChange | None:
    schedule = get_digest_schedule(session=session, team_id=team_id, channel_id=channel_id)
    old = f"{schedule.at_time} {schedule.tz}" if schedule is not None else DIGEST_OFF
    if value == DIGEST_OFF:
        if schedule is None:
            return None
        end_digest_schedule(session=session, team_id=team_id, channel_id=channel_id)
        return SettingChange(DIGEST, old, DIGEST_OFF)
    at_time, _, tz = value.partition(" ")
    tz = tz.strip() or (schedule.tz if schedule is not None else digest_tz)
    new = f"{at_time} {tz}"
    if new == old:
        return None
    set_digest_schedule(
        session=session,
        team_id=team_id,
        channel_id=channel_id,
        at_time=at_time,
        tz=tz,
        backend=schedule.backend if schedule is not None else None,
        created_by=actor,
    )
    return SettingChange(DIGEST, old, new)
