"""The scheduler process: one job per enabled listener, stale jobs removed, jobs persist."""

from __future__ import annotations

import scheduler
from core.settings import Settings

HANDLING = {job_id for job_id, _, _ in scheduler.HANDLING_JOBS} | {
    "campaigns:publish",
    "campaigns:metrics",
}


def test_jobs_follow_the_enabled_listeners_and_persist(factory, db_url):
    demo_only = Settings(_env_file=None, database_url=db_url, demo_enabled=True)
    sched = scheduler.build(demo_only, factory, persistent=True)
    try:
        assert {job.id for job in sched.get_jobs()} == {"poll:demo", "webhooks:pending", *HANDLING}
        job = sched.get_job("poll:demo")
        assert job.args == ("demo",) and job.trigger.interval.total_seconds() == 20
    finally:
        sched.shutdown(wait=False)

    # restart with X configured and the demo off: the demo job is removed from the store
    with_x = Settings(_env_file=None, database_url=db_url, x_bearer_token="t", demo_enabled=False)
    sched = scheduler.build(with_x, factory, persistent=True)
    try:
        assert {job.id for job in sched.get_jobs()} == {"poll:x", "webhooks:pending", *HANDLING}
    finally:
        sched.shutdown(wait=False)


def test_only_limits_the_jobs_to_the_named_listeners(factory, db_url):
    settings = Settings(_env_file=None, database_url=db_url, demo_enabled=True, x_bearer_token="t")
    sched = scheduler.build(settings, factory, persistent=False, only=["demo"])
    try:
        assert [job.id for job in sched.get_jobs()] == ["poll:demo"]
    finally:
        sched.shutdown(wait=False)
