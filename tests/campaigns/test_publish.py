"""Exactly once: double fire, a process that dies mid-call, retries, no answer, misfires."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from campaigns import posts
from campaigns.publish import claim, due, resolve_unknown, worker_id
from campaigns.schedule import run_due
from core.audit import history
from core.errors import FatalSourceError, InputError, RetriableSourceError, UncertainDeliveryError
from core.outreach import Post, PostVariant, PublishAttempt
from tests.campaigns.conftest import NOW, FakePlatform, scheduled_post, settings


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def states(factory, post_id):
    with factory() as s:
        post = s.get(Post, post_id)
        rows = s.scalars(select(PostVariant).where(PostVariant.post_id == post_id))
        return post.state, {v.channel: v.state for v in rows}


def sent(platform):
    return sorted(r.variant_key for r in platform.posted)


def test_a_scheduled_post_is_published_at_its_time_on_every_channel_once(factory, campaign):
    post_id = scheduled_post(factory, campaign.id, at=NOW + timedelta(minutes=5))
    platform, clock = FakePlatform(), Clock(NOW)
    assert run_due(factory, platform, settings(), clock).outcomes == []  # not yet
    clock.now = NOW + timedelta(minutes=5)
    assert sorted(run_due(factory, platform, settings(), clock).outcomes) == ["published"] * 3
    assert run_due(factory, platform, settings(), clock).outcomes == []  # and never again
    assert states(factory, post_id) == (
        "published", {"x": "published", "facebook": "published", "telegram": "published"}
    )  # fmt: skip
    assert sent(platform) == sorted(f"post:{post_id}:{ch}" for ch in ("x", "facebook", "telegram"))
    with factory() as s:
        attempts = s.scalars(select(PublishAttempt)).all()
        assert {(a.number, a.outcome) for a in attempts} == {(1, "published")}
        assert len(attempts) == 3
        steps = [(e.action, e.actor, e.after["state"]) for e in history(s, "post", post_id)][-3:]
    assert steps == [
        ("schedule", "sari", "scheduled"),
        ("publish_start", "scheduler", "publishing"),
        ("publish_published", "scheduler", "published"),
    ]


def test_two_runs_firing_together_publish_each_version_once(factory, campaign):
    ids = [scheduled_post(factory, campaign.id, at=NOW, title=f"p{i}") for i in range(6)]
    platform = FakePlatform(delay=0.05)
    barrier = threading.Barrier(3)

    def fire():
        barrier.wait()
        run_due(factory, platform, settings(publish_workers=3), Clock(NOW + timedelta(seconds=1)))

    threads = [threading.Thread(target=fire) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(platform.calls) == 18  # 6 posts × 3 channels, none twice
    assert sent(platform) == sorted({f"post:{p}:{ch}" for p in ids for ch in ("x", "facebook", "telegram")})
    assert {states(factory, p)[0] for p in ids} == {"published"}


def test_a_second_claim_of_the_same_version_loses(factory, campaign):
    post_id = scheduled_post(factory, campaign.id, at=NOW)
    with factory() as s:
        (variant_id, pid), *_ = due(s, NOW)
    first = claim(factory, variant_id, pid, NOW, settings(), "w1")
    assert first is not None and first.request.key.endswith(":1")
    assert claim(factory, variant_id, pid, NOW, settings(), "w2") is None
    assert pid == post_id


def _dead_worker() -> str:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return worker_id().rsplit(":", 1)[0] + f":{proc.pid}"


def _crash_mid_call(factory, post_id, platform, *, posted: bool):
    """Claim every version as a process that then dies; the platform got the calls or not."""
    dead = _dead_worker()
    with factory() as s:
        items = [(v, p) for v, p in due(s, NOW) if p == post_id]
    for variant_id, pid in items:
        c = claim(factory, variant_id, pid, NOW, settings(), dead)
        if posted:
            platform.posted.append(c.request)


def test_after_a_crash_mid_call_a_version_found_on_the_platform_is_not_posted_again(factory, campaign):
    post_id = scheduled_post(factory, campaign.id, at=NOW)
    platform = FakePlatform()
    _crash_mid_call(factory, post_id, platform, posted=True)
    clock = Clock(NOW + timedelta(seconds=5))
    run_due(factory, platform, settings(), clock)  # expired at once: its process is gone
    assert states(factory, post_id)[0] == "publishing"  # waiting for the lookup delay
    clock.now = NOW + timedelta(seconds=31)
    run_due(factory, platform, settings(), clock)
    assert states(factory, post_id)[0] == "published"
    assert platform.calls == []  # settled by looking, not by posting


def test_after_a_crash_before_the_call_the_version_is_posted_once(factory, campaign):
    post_id = scheduled_post(factory, campaign.id, at=NOW)
    platform = FakePlatform()
    _crash_mid_call(factory, post_id, platform, posted=False)
    clock = Clock(NOW + timedelta(seconds=31))
    run_due(factory, platform, settings(), clock)  # expire + look up (absent) + post
    assert states(factory, post_id)[0] == "published"
    assert sent(platform) == sorted(f"post:{post_id}:{ch}" for ch in ("x", "facebook", "telegram"))
    with factory() as s:
        outcomes = sorted((a.number, a.outcome) for a in s.scalars(select(PublishAttempt)))
    assert outcomes == [(1, "unknown")] * 3 + [(2, "published")] * 3


def test_an_attempt_of_a_live_process_is_left_alone_until_it_is_stale(factory, campaign):
    post_id = scheduled_post(factory, campaign.id, at=NOW)
    platform = FakePlatform()
    with factory() as s:
        variant_id, pid = due(s, NOW)[0]
    claim(factory, variant_id, pid, NOW, settings(), "elsewhere:1")  # another host, in flight
    run_due(factory, platform, settings(), Clock(NOW + timedelta(seconds=60)))
    with factory() as s:
        assert s.get(PostVariant, variant_id).state == "publishing"
    in_flight = [r for r in platform.calls if r.channel == "x"]
    assert in_flight == []  # the other process's call was left to it
    # two minutes on, it is stale: looked up (absent on the platform) and posted once
    run_due(factory, platform, settings(), Clock(NOW + timedelta(minutes=3)))
    with factory() as s:
        assert s.get(PostVariant, variant_id).state == "published"
        outcomes = [a.outcome for a in s.scalars(select(PublishAttempt).where(
            PublishAttempt.variant_id == variant_id).order_by(PublishAttempt.number))]
    assert outcomes == ["unknown", "published"]
    assert post_id == pid


def test_when_the_platform_cannot_be_asked_the_post_fails_loudly_for_a_person(factory, campaign):
    post_id = scheduled_post(factory, campaign.id, at=NOW, versions={"telegram": "Halo #BeraniLAPOR"})
    platform = FakePlatform()
    platform.lookups["telegram"] = "cannot"
    platform.script["telegram"] = [UncertainDeliveryError("telegram", "Telegram did not answer")]
    clock = Clock(NOW)
    run_due(factory, platform, settings(), clock)
    clock.now = NOW + timedelta(minutes=1)
    run_due(factory, platform, settings(), clock)
    post_state, variants = states(factory, post_id)
    assert (post_state, variants) == ("failed", {"telegram": "unknown"})
    with factory() as s:
        post = s.get(Post, post_id)
        assert "mark it posted or not posted" in post.problem
        variant_id = s.scalars(select(PostVariant.id)).one()
    assert len(platform.calls) == 1  # never re-sent blindly
    resolve_unknown(factory, variant_id, posted=False, actor="sari", now=clock.now)
    run_due(factory, platform, settings(), clock)
    assert states(factory, post_id)[0] == "published"
    assert len(platform.calls) == 2


def test_retriable_errors_back_off_then_publish_and_give_up_loudly_after_the_limit(factory, campaign):
    post_id = scheduled_post(factory, campaign.id, at=NOW, versions={"x": "Halo #BeraniLAPOR"})
    platform = FakePlatform()
    platform.script["x"] = [RetriableSourceError("x", "X server error (503)")] * 2
    clock = Clock(NOW)
    run_due(factory, platform, settings(), clock)
    with factory() as s:
        v = s.scalars(select(PostVariant)).one()
        assert (v.state, v.next_attempt_at) == ("pending", NOW + timedelta(seconds=60))
    clock.now = NOW + timedelta(seconds=59)
    assert run_due(factory, platform, settings(), clock).outcomes == []  # still waiting
    clock.now = NOW + timedelta(seconds=60)
    assert run_due(factory, platform, settings(), clock).outcomes == ["retry"]  # next: +120 s
    clock.now = NOW + timedelta(seconds=180)
    assert run_due(factory, platform, settings(), clock).outcomes == ["published"]
    assert states(factory, post_id)[0] == "published"

    other = scheduled_post(factory, campaign.id, at=NOW, versions={"x": "Lagi #BeraniLAPOR"})
    platform.script["x"] = [RetriableSourceError("x", "X server error (503)")] * 9
    for minute in range(0, 60, 1):
        run_due(factory, platform, settings(publish_max_attempts=3), Clock(NOW + timedelta(minutes=minute)))
    assert states(factory, other) == ("failed", {"x": "failed"})
    with factory() as s:
        assert "gave up after 3 tries" in s.get(Post, other).problem


def test_a_rate_limit_waits_until_the_platform_says(factory, campaign):
    scheduled_post(factory, campaign.id, at=NOW, versions={"x": "Halo #BeraniLAPOR"})
    platform = FakePlatform()
    reset = NOW + timedelta(minutes=15)
    platform.script["x"] = [RetriableSourceError("x", "X rate limit reached (429)", retry_at=reset)]
    run_due(factory, platform, settings(), Clock(NOW))
    with factory() as s:
        assert s.scalars(select(PostVariant.next_attempt_at)).one() == reset


def test_a_refusal_fails_only_that_channel_and_a_retry_posts_only_what_is_missing(factory, campaign):
    post_id = scheduled_post(factory, campaign.id, at=NOW)
    platform = FakePlatform()
    platform.script["facebook"] = [FatalSourceError("facebook", "the Page token is expired")]
    run_due(factory, platform, settings(), Clock(NOW))
    assert states(factory, post_id) == (
        "failed", {"x": "published", "facebook": "failed", "telegram": "published"}
    )  # fmt: skip
    with factory() as s:
        assert "facebook: facebook: the Page token is expired" in s.get(Post, post_id).problem
    posts.retry(factory, post_id, actor="sari", now=NOW + timedelta(hours=1))
    run_due(factory, platform, settings(), Clock(NOW + timedelta(hours=1)))
    assert states(factory, post_id)[0] == "published"
    assert [r.channel for r in platform.calls].count("x") == 1


def test_a_post_whose_time_passed_while_the_scheduler_was_down_is_not_posted_late(factory, campaign):
    late = scheduled_post(factory, campaign.id, at=NOW, title="late")
    fine = scheduled_post(factory, campaign.id, at=NOW + timedelta(minutes=90), title="fine")
    platform = FakePlatform()
    run_due(factory, platform, settings(publish_misfire_grace_minutes=60), Clock(NOW + timedelta(hours=2)))
    assert states(factory, late)[0] == "failed"
    assert states(factory, fine)[0] == "published"  # 30 minutes late: within the grace
    with factory() as s:
        assert "missed its time by 2.0 h" in s.get(Post, late).problem
    assert {r.variant_key.split(":")[1] for r in platform.posted} == {str(fine)}


def test_a_cancelled_post_is_never_published(factory, campaign):
    post_id = scheduled_post(factory, campaign.id, at=NOW)
    posts.cancel(factory, post_id, actor="sari", now=NOW)
    platform = FakePlatform()
    run_due(factory, platform, settings(), Clock(NOW + timedelta(minutes=1)))
    assert platform.calls == [] and states(factory, post_id)[0] == "cancelled"


def test_a_failed_post_edited_to_drop_a_channel_publishes_only_the_channels_kept(factory, campaign):
    post_id = scheduled_post(factory, campaign.id, at=NOW)
    platform = FakePlatform()
    platform.script["facebook"] = [FatalSourceError("facebook", "the Page token is expired")]
    platform.script["x"] = [FatalSourceError("x", "X refused the post (403): not allowed")]
    run_due(factory, platform, settings(), Clock(NOW))
    assert states(factory, post_id)[1] == {"x": "failed", "facebook": "failed", "telegram": "published"}
    with pytest.raises(InputError, match="already out on some channels"):
        posts.edit_post(factory, post_id, actor="sari", now=NOW, versions={"x": "Baru #BeraniLAPOR"})

    other = scheduled_post(factory, campaign.id, at=NOW, versions={"x": "A #BeraniLAPOR", "facebook": "B #BeraniLAPOR"})
    platform.script["facebook"] = [FatalSourceError("facebook", "the Page token is expired")]
    platform.script["x"] = [FatalSourceError("x", "X refused the post (403): not allowed")]
    run_due(factory, platform, settings(), Clock(NOW))
    posts.edit_post(factory, other, actor="sari", now=NOW, versions={"x": "A lagi #BeraniLAPOR"})
    posts.approve(factory, other, actor="budi", now=NOW)
    posts.schedule(factory, other, at=NOW, actor="sari", now=NOW)
    run_due(factory, platform, settings(), Clock(NOW + timedelta(seconds=1)))
    assert states(factory, other) == ("published", {"x": "published", "facebook": "cancelled"})
    assert [r.text for r in platform.posted if r.variant_key.startswith(f"post:{other}:")] == ["A lagi #BeraniLAPOR"]
