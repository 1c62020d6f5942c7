"""A campaign plan: the ten steps of the LAPOR! campaign method as structured, validated fields."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import InputError

# What an objective can be measured by; the evaluation computes each of these.
KPI_METRICS: dict[str, tuple[str, str]] = {
    "reports_uplift_pct": ("Rise in reports in the region", "%"),
    "leads_uplift_pct": ("Rise in complaint leads", "%"),
    "hashtag_uses": ("Uses of the campaign hashtags", "uses"),
    "unique_authors": ("People who used the hashtags", "people"),
    "impressions": ("Impressions of our posts", "impressions"),
    "reach": ("Reach of our posts", "people"),
    "engagement_rate_pct": ("Engagement rate of our posts", "%"),
    "posts_published": ("Posts published", "posts"),
}
TACTIC_KINDS = (
    "social_media", "talk_show", "booth", "car_free_day", "mudik_safari", "radio", "school_visit",
    "village_visit", "press_release", "billboard", "other",
)  # fmt: skip
STEP_TITLES = (
    "Analysis", "Objectives", "Audiences", "Messages", "Strategy", "Tactics", "Timing",
    "Resources", "Evaluation", "Review",
)  # fmt: skip
_HASHTAG = re.compile(r"^#?([0-9A-Za-z_]*[A-Za-z_][0-9A-Za-z_]*)$")
_REGION = re.compile(r"^\d{2}(\d{2}(\d{2}(\d{4})?)?)?$")  # Kemendagri: 35, 3578, 357801, …


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Baseline(_Step):
    """Step 1's figures from our own data: weekly averages over the weeks before the start."""

    weeks: int
    from_date: date
    to_date: date
    mentions_per_week: float
    hashtag_uses_per_week: float
    leads_per_week: float
    reports_per_week: float  # in the campaign's region when it has one
    computed_at: datetime


class Analysis(_Step):
    """Step 1: the region, what its people know of LAPOR!, who they are, and the baseline."""

    region_code: str = ""  # Kemendagri code digits; "" = the whole instansi
    region_name: str = ""
    public_knowledge: str = ""
    knowledge_pct: float | None = Field(default=None, ge=0, le=100)  # share who know LAPOR!
    demographics: str = ""
    baseline: Baseline | None = None

    @field_validator("region_code")
    @classmethod
    def _region(cls, value: str) -> str:
        value = value.replace(".", "").replace(" ", "")
        if value and not _REGION.match(value):
            raise ValueError("a region code is 2, 4, 6 or 10 digits (e.g. 35 or 3578)")
        return value


class Kpi(_Step):
    """A measurable objective: a metric and its target for the campaign."""

    metric: str
    target: float = Field(gt=0)
    label: str = ""

    @field_validator("metric")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in KPI_METRICS:
            raise ValueError(f"'{value}' is not a metric; choose from {', '.join(KPI_METRICS)}")
        return value


class Objectives(_Step):
    """Step 2: what the campaign wants to change, as KPIs with targets."""

    statement: str = ""
    kpis: list[Kpi] = []

    @field_validator("kpis")
    @classmethod
    def _one_each(cls, kpis: list[Kpi]) -> list[Kpi]:
        metrics = [k.metric for k in kpis]
        if dupes := sorted({m for m in metrics if metrics.count(m) > 1}):
            raise ValueError(f"each metric may have one target; repeated: {', '.join(dupes)}")
        return kpis


class Audiences(_Step):
    """Step 3: who the campaign speaks to."""

    primary: list[str] = []
    secondary: list[str] = []


class Messages(_Step):
    """Step 4: what it says, and the hashtags that carry it (stored without '#')."""

    key_messages: list[str] = []
    hashtags: list[str] = []

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        out: list[str] = []
        for tag in tags:
            match = _HASHTAG.match(tag.strip())
            if not match:
                raise ValueError(
                    f"'{tag}' is not a hashtag: use letters, digits and _ only, not digits alone"
                )
            if match.group(1).lower() not in {t.lower() for t in out}:
                out.append(match.group(1))
        return out


class Strategy(_Step):
    """Step 5: online, offline or both, and why."""

    approach: Literal["online", "offline", "both"] = "both"
    rationale: str = ""


class Tactic(_Step):
    """Step 6: one activity (a talk show, a Car Free Day booth, a series of posts…)."""

    name: str = Field(min_length=1)
    mode: Literal["online", "offline"]
    kind: str = "other"
    on: date | None = None
    location: str = ""
    notes: str = ""

    @field_validator("kind")
    @classmethod
    def _kind(cls, value: str) -> str:
        if value not in TACTIC_KINDS:
            raise ValueError(
                f"'{value}' is not a tactic kind; choose from {', '.join(TACTIC_KINDS)}"
            )
        return value


class Event(_Step):
    """A moment in the timing: the campaign's own event, or one it joins (Car Free Day, mudik)."""

    name: str = Field(min_length=1)
    on: date
    joined_to: str = ""  # e.g. "Car Free Day Surabaya"; "" = our own event


class Timing(_Step):
    """Step 7: when the campaign runs (Asia/Jakarta dates, inclusive) and its events."""

    starts_on: date
    ends_on: date
    events: list[Event] = []


class StaffMember(_Step):
    """A person on the campaign and their role."""

    name: str = Field(min_length=1)
    role: str = ""


class Resources(_Step):
    """Step 8: money and people."""

    budget_rupiah: int = Field(default=0, ge=0)
    staff: list[StaffMember] = []
    notes: str = ""


class KpiResult(_Step):
    """One objective as the evaluation found it."""

    metric: str
    target: float
    actual: float | None
    light: Literal["green", "amber", "red", "grey"]
    note: str = ""


class Evaluation(_Step):
    """Step 9: filled by the system from the figures (never typed in)."""

    evaluated_at: datetime
    kpis: list[KpiResult] = []
    verdict: str = ""
    summary: dict[str, Any] = {}


class Review(_Step):
    """Step 10: what the team learnt and changes to the programme."""

    notes: str = ""
    changes: list[str] = []
    reviewed_by: str = ""
    reviewed_at: datetime | None = None


class Plan(_Step):
    """The whole plan; `problems()` lists what is still missing before the campaign starts."""

    name: str = Field(min_length=1, max_length=200)
    analysis: Analysis = Analysis()
    objectives: Objectives = Objectives()
    audiences: Audiences = Audiences()
    messages: Messages = Messages()
    strategy: Strategy = Strategy()
    tactics: list[Tactic] = []
    timing: Timing
    resources: Resources = Resources()
    evaluation: Evaluation | None = None
    review: Review = Review()

    def problems(self) -> list[str]:
        """Return what a complete plan still lacks, one sentence per gap, in step order."""
        gaps = []
        if not self.analysis.public_knowledge and self.analysis.knowledge_pct is None:
            gaps.append("Step 1 (analysis): say what people in the region know of LAPOR!.")
        if not self.analysis.demographics:
            gaps.append("Step 1 (analysis): describe the region's people (age, access, language).")
        if not self.objectives.kpis:
            gaps.append("Step 2 (objectives): add at least one measurable target.")
        if not self.audiences.primary:
            gaps.append("Step 3 (audiences): name the primary audience.")
        if not self.messages.key_messages:
            gaps.append("Step 4 (messages): write at least one key message.")
        if not self.messages.hashtags:
            gaps.append("Step 4 (messages): choose the campaign hashtag(s).")
        if not self.tactics:
            gaps.append("Step 6 (tactics): plan at least one activity.")
        if self.strategy.approach == "both" and len({t.mode for t in self.tactics}) == 1:
            gaps.append("Step 6 (tactics): the strategy is online and offline; plan both kinds.")
        if not self.resources.staff:
            gaps.append("Step 8 (resources): name who does the work.")
        return gaps


def _contradictions(plan: Plan) -> list[str]:
    """Return sentences for parts of the plan that contradict each other."""
    out = []
    t = plan.timing
    if t.ends_on < t.starts_on:
        out.append(f"Step 7 (timing): the end {t.ends_on} is before the start {t.starts_on}.")
    for event in t.events:
        if not t.starts_on <= event.on <= t.ends_on:
            out.append(
                f"Step 7 (timing): the event '{event.name}' on {event.on} is outside the "
                f"campaign ({t.starts_on} to {t.ends_on})."
            )
    for tactic in plan.tactics:
        if plan.strategy.approach != "both" and tactic.mode != plan.strategy.approach:
            out.append(
                f"Step 6 (tactics): '{tactic.name}' is {tactic.mode}, but the strategy is "
                f"{plan.strategy.approach} only."
            )
        if tactic.on and not t.starts_on <= tactic.on <= t.ends_on:
            out.append(
                f"Step 6 (tactics): '{tactic.name}' on {tactic.on} is outside the campaign dates."
            )
    return out


def parse_plan(data: dict[str, Any] | Plan) -> Plan:
    """Return the validated plan of `data` (a dict as stored, or a Plan).

    Raises InputError with one sentence per problem, each naming the step and field.
    """
    try:
        plan = data if isinstance(data, Plan) else Plan.model_validate(data)
    except ValidationError as exc:
        raise InputError(" ".join(_sentence(e) for e in exc.errors())) from None
    if problems := _contradictions(plan):
        raise InputError(" ".join(problems))
    return plan


def _sentence(error: Any) -> str:
    where = ".".join(str(p) for p in error["loc"]) or "plan"
    step = str(error["loc"][0]) if error["loc"] else ""
    titles = [t.lower() for t in STEP_TITLES]
    number = f"Step {titles.index(step) + 1} ({step}), " if step in titles else ""
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "this is required"
    return f"{number}{where}: {message}."


def hashtag_keys(tags: Iterable[str]) -> list[str]:
    """Return hashtags as the mention store keeps them: lower-case, without '#'."""
    return sorted({t.lstrip("#").lower() for t in tags if t.strip("# ")})
