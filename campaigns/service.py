"""Campaigns in the store: create, edit the plan, copy (or use as a template), list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from campaigns.plan import Plan, hashtag_keys, parse_plan
from core import audit
from core.db import transaction
from core.errors import InputError
from core.outreach import Campaign, Post, PostVariant


def _columns(campaign: Campaign, plan: Plan) -> None:
    """Write the queried columns from the plan (the plan is the source of truth)."""
    campaign.name = plan.name
    campaign.region_code = plan.analysis.region_code or None
    campaign.starts_on = plan.timing.starts_on
    campaign.ends_on = plan.timing.ends_on
    campaign.hashtags = hashtag_keys(plan.messages.hashtags)
    campaign.plan = plan.model_dump(mode="json")


def plan_of(campaign: Campaign) -> Plan:
    """Return the campaign's stored plan, validated."""
    return Plan.model_validate(campaign.plan)


def create_campaign(
    factory: sessionmaker[Session],
    plan: Plan | dict[str, Any],
    *,
    actor: str,
    now: datetime,
    is_template: bool = False,
) -> Campaign:
    """Store a new campaign with `plan` and return it.

    Raises InputError naming each step and field that is wrong.
    """
    valid = parse_plan(plan)
    with transaction(factory) as session:
        campaign = Campaign(
            created_by=actor, created_at=now, updated_at=now, is_template=is_template
        )
        _columns(campaign, valid)
        session.add(campaign)
        session.flush()
        audit.record(session, entity="campaign", entity_id=campaign.id, action="create",
                     actor=actor, at=now, before={}, after={"name": valid.name})  # fmt: skip
        return campaign


def update_plan(
    factory: sessionmaker[Session],
    campaign_id: int,
    plan: Plan | dict[str, Any],
    *,
    actor: str,
    now: datetime,
) -> Campaign:
    """Replace the campaign's plan; the audit keeps which steps changed.

    The evaluation (step 9) is the system's: an edit keeps the stored one. Raises InputError
    when the plan is wrong or the campaign does not exist.
    """
    valid = parse_plan(plan)
    with transaction(factory) as session:
        campaign = _get(session, campaign_id)
        before = plan_of(campaign)
        valid = valid.model_copy(update={"evaluation": before.evaluation})
        old, new = before.model_dump(mode="json"), valid.model_dump(mode="json")
        changed = [step for step in new if new[step] != old.get(step)]
        _columns(campaign, valid)
        campaign.updated_at = now
        if changed:
            audit.record(session, entity="campaign", entity_id=campaign.id, action="edit_plan",
                         actor=actor, at=now, before={k: old.get(k) for k in changed},
                         after={k: new[k] for k in changed})  # fmt: skip
        return campaign


def _get(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise InputError(f"There is no campaign {campaign_id}.")
    return campaign


def copy_campaign(
    factory: sessionmaker[Session],
    campaign_id: int,
    *,
    name: str,
    starts_on: date,
    actor: str,
    now: datetime,
    as_template: bool = False,
) -> Campaign:
    """Copy a campaign (or a template) to a new one starting on `starts_on`; return the copy.

    Every date of the plan and every post's time move by the same number of days; posts come
    over as drafts by `actor`. The baseline, the evaluation and the review start empty.
    Raises InputError when the campaign does not exist or the new name is empty.
    """
    if not name.strip():
        raise InputError("Give the copy a name.")
    with transaction(factory) as session:
        source = _get(session, campaign_id)
        plan = plan_of(source)
        shift = starts_on - plan.timing.starts_on
        data = plan.model_dump(mode="json")
        data["name"] = name.strip()
        data["timing"]["starts_on"] = starts_on.isoformat()
        data["timing"]["ends_on"] = (plan.timing.ends_on + shift).isoformat()
        for event in data["timing"]["events"]:
            event["on"] = (date.fromisoformat(event["on"]) + shift).isoformat()
        for tactic in data["tactics"]:
            if tactic["on"]:
                tactic["on"] = (date.fromisoformat(tactic["on"]) + shift).isoformat()
        data["analysis"]["baseline"] = None
        data["evaluation"] = None
        data["review"] = {}
        copy = Campaign(created_by=actor, created_at=now, updated_at=now,
                        is_template=as_template, copied_from=source.id)  # fmt: skip
        _columns(copy, parse_plan(data))
        session.add(copy)
        session.flush()
        posts = list(session.scalars(select(Post).where(Post.campaign_id == source.id)))
        for post in posts:
            if post.state == "cancelled":
                continue
            when = post.scheduled_at + shift if post.scheduled_at else None
            new = Post(campaign_id=copy.id, title=post.title, state="draft", scheduled_at=when,
                       media_id=post.media_id, author=actor, edited_by=actor,
                       created_at=now, updated_at=now)  # fmt: skip
            session.add(new)
            session.flush()
            variants = session.scalars(select(PostVariant).where(PostVariant.post_id == post.id))
            for v in variants:
                session.add(PostVariant(post_id=new.id, channel=v.channel, text=v.text))
        audit.record(session, entity="campaign", entity_id=copy.id, action="copy", actor=actor,
                     at=now, before={"from": source.id}, after={"name": copy.name,
                     "shift_days": shift.days, "posts": len(posts)})  # fmt: skip
        return copy


def phase(campaign: Campaign, today: date) -> str:
    """Return "template", "planned" (not started), "running" or "ended" on `today`."""
    if campaign.is_template:
        return "template"
    if campaign.starts_on and today < campaign.starts_on:
        return "planned"
    if campaign.ends_on and today > campaign.ends_on:
        return "ended"
    return "running"


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    """Return campaign `campaign_id`. Raises InputError when there is none."""
    return _get(session, campaign_id)


def save_evaluation(
    factory: sessionmaker[Session], campaign_id: int, evaluation: dict[str, Any], now: datetime
) -> None:
    """Store step 9 of the plan (the system's evaluation) without touching the other steps."""
    with transaction(factory) as session:
        campaign = _get(session, campaign_id)
        campaign.plan = {**campaign.plan, "evaluation": evaluation}
        campaign.updated_at = now
