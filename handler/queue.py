"""The lead queue: a claim is a lease, so two handlers never work one lead; every action audited.

Claiming is safe across threads, processes and machines sharing one store:

- PostgreSQL: `claim_next` picks its lead with `SELECT … FOR UPDATE SKIP LOCKED`, so concurrent
  workers each lock a different row and none waits on another; `claim` and the other actions
  lock their rows with `FOR UPDATE` (in id order, so two multi-lead actions cannot deadlock).
- SQLite: the store's engine begins every transaction with BEGIN IMMEDIATE (core/db.py), so
  one writer at a time; on top of that the claim itself is a conditional UPDATE
  (`… WHERE id = ? AND (state = 'open' OR lease expired)`) whose rowcount is checked.

Decisions:
- Claiming a lead claims just that lead; the inbox shows its group, and the handler claims the
  members they convert or dismiss together.
- `claim_next` skips a lead whose group (cluster) has a member under another handler's live
  lease, so two handlers do not work the same copy-paste campaign in parallel. On SQLite this
  is exact; on PostgreSQL two workers claiming at the same instant may still each take one
  member of a fresh group (a duplicate effort, never a double claim of one lead).
- An expired lease returns the lead to the queue: `claim_next` and `claim` treat it as open,
  and `expire_leases` (for a scheduler job) writes it back to `open` with an audit entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql import ColumnElement

from core import audit
from core.casework import DISMISS_REASONS, Lead
from core.clock import local
from core.db import transaction
from core.errors import InputError

LEASE = timedelta(minutes=15)
# The fields an audit entry of the queue shows before and after each action.
FIELDS = ("state", "claimed_by", "lease_expires_at", "dismiss_reason", "cluster_id")
_ATTEMPTS = 50  # picks per claim_next: skipped held groups, lost races


def _snapshot(lead: Lead) -> dict[str, Any]:
    return {name: getattr(lead, name) for name in FIELDS}


def _live(lead: Lead, now: datetime) -> bool:
    """True when the lead is claimed under a lease that has not expired."""
    expires = lead.lease_expires_at
    return lead.state == "claimed" and expires is not None and expires > now


def _claimable(now: Any, handler: Any = None) -> ColumnElement[bool]:
    """Open, or claimed under an expired lease (or, given `handler`, already claimed by them)."""
    cond = or_(
        Lead.state == "open",
        and_(Lead.state == "claimed", Lead.lease_expires_at <= now),
    )
    if handler is not None:
        cond = or_(cond, and_(Lead.state == "claimed", Lead.claimed_by == handler))
    return cond


def _pick(which: ColumnElement[bool]) -> Select[Lead]:
    """Return the statement that locks the best lead matching `which` outside the `held` groups.

    Binds: now, held (cluster ids to skip). It walks ix_leads_queue (state, rank) from the top
    and stops at the first unlocked row: no join, so no planner statistics can make it scan.
    """
    return (
        select(Lead)
        .where(
            which,
            or_(
                Lead.cluster_id.is_(None), Lead.cluster_id.not_in(bindparam("held", expanding=True))
            ),
        )
        .order_by(Lead.rank.desc(), Lead.id)
        .limit(1)
        .with_for_update(skip_locked=True, of=Lead)
    )


# Built once, so SQLAlchemy's compiled cache serves every claim. Two picks instead of one OR of
# states, which no index can serve in rank order.
_PICK_OPEN = _pick(Lead.state == "open")
_PICK_EXPIRED = _pick(and_(Lead.state == "claimed", Lead.lease_expires_at <= bindparam("now")))
# The members of one group (through ix_leads_cluster only).
_GROUP = select(Lead.id, Lead.state, Lead.claimed_by, Lead.lease_expires_at).where(
    Lead.cluster_id == bindparam("cluster")
)
_TAKE = (
    update(Lead)
    .where(Lead.id == bindparam("lead_id"), _claimable(bindparam("now"), bindparam("handler")))
    .values(
        state="claimed",
        claimed_by=bindparam("handler"),
        lease_expires_at=bindparam("lease"),
        updated_at=bindparam("now"),
    )
    .execution_options(synchronize_session=False)
)


def _why_not(lead: Lead, now: datetime) -> str:
    """Return the sentence a handler sees when a lead cannot be taken."""
    if lead.state == "converted":
        return f"Lead {lead.id} has already been turned into a report."
    if lead.state == "dismissed":
        return f"Lead {lead.id} was dismissed ({lead.dismiss_reason}); it is out of the queue."
    if _live(lead, now):
        until = local(lead.lease_expires_at).strftime("%H:%M")  # type: ignore[arg-type]
        return f"Lead {lead.id} is being handled by {lead.claimed_by} until {until}."
    return f"Lead {lead.id} is not claimed by you; claim it first."


def _locked(session: Session, lead_ids: Sequence[int]) -> list[Lead]:
    """Return the leads with these ids, row-locked in id order; raise InputError for a missing one."""
    wanted = sorted(set(lead_ids))
    stmt = select(Lead).where(Lead.id.in_(wanted)).order_by(Lead.id).with_for_update()
    leads = list(session.scalars(stmt))
    missing = sorted(set(wanted) - {lead.id for lead in leads})
    if missing:
        raise InputError(f"Lead {missing[0]} does not exist.")
    return leads


class SqlLeadQueue:
    """The handler's queue of leads in the store, claimed under a lease (default 15 minutes)."""

    def __init__(self, factory: sessionmaker[Session], lease: timedelta = LEASE) -> None:
        self._factory = factory
        self.lease = lease

    def _take(self, session: Session, lead: Lead, handler: str, now: datetime) -> bool:
        """Claim `lead` with a conditional UPDATE; return False when it was no longer claimable."""
        lease = now + self.lease
        params = {"lead_id": lead.id, "handler": handler, "now": now, "lease": lease}
        if session.execute(_TAKE, params).rowcount != 1:  # type: ignore[attr-defined]
            return False
        values = {"state": "claimed", "claimed_by": handler, "lease_expires_at": lease}
        for name, value in {**values, "updated_at": now}.items():
            set_committed_value(lead, name, value)
        return True

    def _audit(
        self, session: Session, lead: Lead, action: str, actor: str, now: datetime, **kw: Any
    ) -> None:
        audit.record(
            session, entity="lead", entity_id=lead.id, action=action, actor=actor, at=now, **kw
        )

    def claim_next(self, handler: str, now: datetime) -> Lead | None:
        """Claim the highest-ranked claimable lead for `handler`; return it, or None when none is left.

        Claimable: open, or claimed under an expired lease; a lead whose group another handler
        holds is skipped. Ties in rank go to the older lead.
        """
        held: list[int] = []  # groups found under another handler's lease
        with transaction(self._factory) as session:
            for _ in range(_ATTEMPTS):
                params = {"now": now, "held": held}
                found = [
                    lead
                    for pick in (_PICK_OPEN, _PICK_EXPIRED)
                    if (lead := session.scalars(pick, params).first()) is not None
                ]
                if not found:
                    return None
                lead = min(found, key=lambda one: (-one.rank, one.id))
                if lead.cluster_id is not None and self._group_held(session, lead, handler, now):
                    held.append(lead.cluster_id)
                    continue
                before = _snapshot(lead)
                if not self._take(session, lead, handler, now):
                    continue  # changed since our SELECT (impossible under the lock); never claim twice
                self._audit(
                    session, lead, "claim", handler, now, before=before, after=_snapshot(lead)
                )
                return lead
        raise InputError("The lead queue is too busy right now; try again in a moment.")

    def _group_held(self, session: Session, lead: Lead, handler: str, now: datetime) -> bool:
        """True when another member of the lead's group is under another handler's live lease."""
        for row in session.execute(_GROUP, {"cluster": lead.cluster_id}):
            expires = row.lease_expires_at
            if row.id != lead.id and row.state == "claimed" and row.claimed_by != handler:
                if expires is not None and expires > now:
                    return True
        return False

    def claim(self, lead_id: int, handler: str, now: datetime) -> Lead:
        """Claim one lead (or extend one's own claim); return it.

        Raises InputError when the lead does not exist, is converted or dismissed, or another
        handler holds a live lease on it ("Lead 12 is being handled by sari until 10:42.").
        """
        with transaction(self._factory) as session:
            (lead,) = _locked(session, [lead_id])
            before = _snapshot(lead)
            if not self._take(session, lead, handler, now):
                raise InputError(_why_not(lead, now))
            self._audit(session, lead, "claim", handler, now, before=before, after=_snapshot(lead))
            return lead

    def _own(self, session: Session, lead_id: int, handler: str, now: datetime) -> Lead:
        """Return the lead, locked, when `handler` holds its claim; else raise InputError."""
        (lead,) = _locked(session, [lead_id])
        # An expired lease nobody else took is still the claimer's to renew or release.
        if lead.state != "claimed" or lead.claimed_by != handler:
            raise InputError(_why_not(lead, now))
        return lead

    def renew(self, lead_id: int, handler: str, now: datetime) -> Lead:
        """Extend `handler`'s lease on a lead to `now` + lease; return the lead.

        Raises InputError when the handler does not hold the lead.
        """
        with transaction(self._factory) as session:
            lead = self._own(session, lead_id, handler, now)
            before = _snapshot(lead)
            lead.lease_expires_at = now + self.lease
            lead.updated_at = now
            self._audit(session, lead, "renew", handler, now, before=before, after=_snapshot(lead))
            return lead

    def release(self, lead_id: int, handler: str, now: datetime) -> Lead:
        """Give a claimed lead back to the queue (state open); return it.

        Raises InputError when the handler does not hold the lead.
        """
        with transaction(self._factory) as session:
            lead = self._own(session, lead_id, handler, now)
            before = _snapshot(lead)
            lead.state, lead.claimed_by, lead.lease_expires_at = "open", None, None
            lead.updated_at = now
            self._audit(
                session, lead, "release", handler, now, before=before, after=_snapshot(lead)
            )
            return lead

    def dismiss(
        self,
        lead_ids: Sequence[int],
        handler: str,
        reason: str,
        note: str | None,
        now: datetime,
    ) -> list[Lead]:
        """Take leads out of the queue with a reason from DISMISS_REASONS; return them.

        Allowed on open leads, on leads the handler holds and on expired leases. All or
        nothing: raises InputError (and changes nothing) for an unknown reason, "other"
        without a note, a missing, converted or dismissed lead, or one another handler holds.
        `claimed_by` keeps who dismissed the lead.
        """
        if reason not in DISMISS_REASONS:
            choices = ", ".join(DISMISS_REASONS)
            raise InputError(f"Unknown dismiss reason {reason!r}; choose one of: {choices}.")
        note = (note or "").strip() or None
        if reason == "other" and note is None:
            raise InputError("Say in a note why the lead is dismissed when the reason is 'other'.")
        if not lead_ids:
            raise InputError("Choose at least one lead to dismiss.")
        with transaction(self._factory) as session:
            leads = _locked(session, lead_ids)
            for lead in leads:
                mine = lead.state == "claimed" and lead.claimed_by == handler
                if lead.state in ("converted", "dismissed") or (_live(lead, now) and not mine):
                    raise InputError(_why_not(lead, now))
                before = _snapshot(lead)
                lead.state, lead.claimed_by, lead.lease_expires_at = "dismissed", handler, None
                lead.dismiss_reason, lead.dismiss_note, lead.updated_at = reason, note, now
                after = _snapshot(lead)
                self._audit(
                    session, lead, "dismiss", handler, now, before=before, after=after, note=note
                )
            return leads

    def merge(
        self, lead_ids: Sequence[int], into_lead_id: int, handler: str, now: datetime
    ) -> list[Lead]:
        """Put leads, with every member of their groups, into the group of `into_lead_id`.

        Returns the leads whose group changed, in id order. Raises InputError for a missing lead
        or one another handler holds under a live lease (nothing changes then).
        """
        with transaction(self._factory) as session:
            chosen = _locked(session, [*lead_ids, into_lead_id])
            into = next(lead for lead in chosen if lead.id == into_lead_id)
            target = into.cluster_id if into.cluster_id is not None else into.id
            groups = {lead.cluster_id for lead in chosen if lead.cluster_id is not None}
            member_ids = session.scalars(
                select(Lead.id).where(Lead.cluster_id.in_(groups - {target}))
            ).all()
            leads = _locked(session, [*(lead.id for lead in chosen), *member_ids])
            moved = []
            for lead in leads:
                if lead.cluster_id == target:
                    continue
                if _live(lead, now) and lead.claimed_by != handler:
                    raise InputError(_why_not(lead, now))
                before = _snapshot(lead)
                lead.cluster_id, lead.updated_at = target, now
                self._audit(
                    session, lead, "merge", handler, now, before=before, after=_snapshot(lead)
                )
                moved.append(lead)
            return moved

    def expire_leases(self, now: datetime, actor: str = "system") -> int:
        """Return every lead whose lease has expired to the open queue; return how many.

        Leads another worker is claiming at this moment are skipped (SKIP LOCKED).
        """
        with transaction(self._factory) as session:
            stmt = (
                select(Lead)
                .where(Lead.state == "claimed", Lead.lease_expires_at <= now)
                .order_by(Lead.id)
                .with_for_update(skip_locked=True)
            )
            leads = list(session.scalars(stmt))
            for lead in leads:
                before = _snapshot(lead)
                lead.state, lead.claimed_by, lead.lease_expires_at = "open", None, None
                lead.updated_at = now
                self._audit(
                    session, lead, "lease_expired", actor, now, before=before, after=_snapshot(lead)
                )
            return len(leads)
