"""Who walks a summary list this cycle (`poll_walk`): one replica per backend, by compare-and-set, with a lease."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import PollWalk

__all__ = ["claim_walk", "release_walks", "walks_of_others"]


def claim_walk(*, session: Session, backend: str, owner: str, until: datetime, now: datetime) -> bool:
    """Take (or keep) the walk of `backend` until `until`; False when another live replica holds it."""
    stmt = (
        update(PollWalk)
        .where(col(PollWalk.backend) == backend, or_(col(PollWalk.until) <= now, col(PollWalk.owner) == owner))
        .values(owner=owner, until=until)
        .execution_options(synchronize_session=False)
    )
    if session.exec(stmt).rowcount == 1:
        return True
    if session.get(PollWalk, backend) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(PollWalk(backend=backend, owner=owner, until=until))
    except IntegrityError:  # another replica inserted it first
        return False
    return True


def walks_of_others(*, session: Session, owner: str, now: datetime) -> set[str]:
    """The backends whose list another replica is walking now: leave their watches to it."""
    stmt = select(col(PollWalk.backend)).where(col(PollWalk.owner) != owner, col(PollWalk.until) > now)
    return set(session.exec(stmt).all())


def release_walks(*, session: Session, owner: str, backends: Iterable[str], now: datetime) -> int:
    """`owner`'s walks of these backends end now (its cycle is over)."""
    names = list(backends)
    if not names:
        return 0
    stmt = (
        update(PollWalk)
        .where(col(PollWalk.owner) == owner, col(PollWalk.backend).in_(names))
        .values(until=now)
        .execution_options(synchronize_session=False)
    )
    return int(session.exec(stmt).rowcount)
