"""The audit log: who did what to which lead, report, campaign or post, when, before and after."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.casework import AuditEntry
from core.clock import as_utc


def _jsonable(value: Any) -> Any:
    """Return `value` as JSON can hold it: datetimes as ISO 8601 UTC text, dates as ISO text."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def record(
    session: Session,
    *,
    entity: str,
    entity_id: int,
    action: str,
    actor: str,
    at: datetime,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    note: str | None = None,
) -> None:
    """Add one audit entry in the caller's transaction (it commits or rolls back with the change).

    `before` and `after` hold the fields the action changed; datetimes are stored as ISO text.
    """
    session.add(
        AuditEntry(
            entity=entity,
            entity_id=entity_id,
            action=action,
            actor=actor,
            at=at,
            before=_jsonable(before),
            after=_jsonable(after),
            note=note,
        )
    )


def history(session: Session, entity: str, entity_id: int) -> list[AuditEntry]:
    """Return the audit entries of one lead or report, oldest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(session.scalars(stmt))
