"""The hubs registered at Orange: one live per API; the listener finds its hub by the digest of the URL's secret."""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.columns import utcnow
from storage.models import HubRegistration

from ._common import refresh_loaded


def live_hub(*, session: Session, api: str) -> HubRegistration | None:
    stmt = select(HubRegistration).where(col(HubRegistration.api) == api, col(HubRegistration.ended_at).is_(None))
    return session.exec(stmt).first()


def live_hubs(*, session: Session) -> list[HubRegistration]:
    stmt = select(HubRegistration).where(col(HubRegistration.ended_at).is_(None))
    return list(session.exec(stmt.order_by(col(HubRegistration.api))).all())


def open_hub(*, session: Session, api: str, secret_digest: str, query: str) -> tuple[HubRegistration, bool]:
    """A new live registration for `api` (not yet at Orange), or the live one already there."""
    existing = live_hub(session=session, api=api)
    if existing is not None:
        return existing, False
    hub = HubRegistration(api=api, secret_digest=secret_digest, query=query)
    try:
        with session.begin_nested():
            session.add(hub)
    except IntegrityError:
        existing = live_hub(session=session, api=api)
        if existing is None:
            raise
        return existing, False
    return hub, True


def set_hub_registered(
    *, session: Session, registration_id: uuid.UUID, hub_id: str, at: datetime | None = None
) -> None:
    stmt = (
        update(HubRegistration)
        .where(col(HubRegistration.id) == registration_id)
        .values(hub_id=hub_id, registered_at=at or utcnow())
        .execution_options(synchronize_session=False)
    )
    session.exec(stmt)
    refresh_loaded(session, HubRegistration, registration_id)


def end_hub(*, session: Session, registration_id: uuid.UUID, reason: str) -> bool:
    stmt = (
        update(HubRegistration)
        .where(col(HubRegistration.id) == registration_id, col(HubRegistration.ended_at).is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
        .execution_options(synchronize_session=False)
    )
    ended = session.exec(stmt).rowcount == 1
    if ended:
        refresh_loaded(session, HubRegistration, registration_id)
    return ended


def hub_for_secret(*, session: Session, secret_digest: str) -> HubRegistration | None:
    """The live hub whose callback carries this secret (compared in constant time), or None."""
    found = None
    for hub in live_hubs(session=session):
        if hmac.compare_digest(hub.secret_digest, secret_digest):
            found = hub
    return found


def touch_hub(*, session: Session, registration_id: uuid.UUID, at: datetime | None = None) -> None:
    """An event came in through this live hub and its re-read found something the bot follows (it is alive).

    Only such events count: anyone holding the secret can post events, and they must not hide a lost hub.
    """
    stmt = (
        update(HubRegistration)
        .where(col(HubRegistration.id) == registration_id, col(HubRegistration.ended_at).is_(None))
        .values(last_event_at=at or utcnow())
        .execution_options(synchronize_session=False)
    )
    session.exec(stmt)
