"""`lapor-social run` (what `make run` starts): console, scheduler and webhooks come up together."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from campaigns import posts
from core.clock import utcnow
from core.db import make_engine, make_sessionmaker
from core.models import ListenerHealth, Mention
from core.outreach import Campaign, ConsolePost

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read().decode()
    except OSError:
        return 0, ""


def wait_for(check, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    return check()


def test_run_starts_console_scheduler_and_webhooks_and_demo_mentions_arrive(tmp_path):
    url = f"sqlite:///{tmp_path}/lapor.db"
    console, hooks = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")},
        "LAPOR_DATABASE_URL": url,
        "LAPOR_CONSOLE_PORT": str(console),
        "LAPOR_WEBHOOK_PORT": str(hooks),
        "LAPOR_DEMO_POLL_SECONDS": "1",
    }
    tool = str(BIN / "lapor-social")
    subprocess.run([tool, "db", "upgrade"], env=env, cwd=tmp_path, check=True)
    seeded = subprocess.run(
        [tool, "demo", "seed"], env=env, cwd=tmp_path, check=True, capture_output=True, text=True
    )
    assert "new mentions" in seeded.stdout
    assert "demo campaigns: 7 posts" in seeded.stdout
    factory = make_sessionmaker(make_engine(url))
    with factory() as s:
        before = s.scalar(select(func.count()).select_from(Mention))
        demo = s.scalar(select(Campaign.id))
    assert before > 500  # a week of history, so the charts have something on the first screen
    # an approved post due in a few seconds: the scheduler must publish it to the console
    post = posts.create_post(factory, demo, title="Smoke", versions={"x": "Cek #BeraniLAPOR"},
                             actor="sari", now=utcnow())  # fmt: skip
    posts.submit(factory, post.id, actor="sari", now=utcnow())
    posts.approve(factory, post.id, actor="budi", now=utcnow())
    posts.schedule(factory, post.id, at=utcnow() + timedelta(seconds=5), actor="sari", now=utcnow())

    proc = subprocess.Popen(
        [tool, "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        assert wait_for(lambda: get(f"http://127.0.0.1:{console}/_stcore/health")[0] == 200, 60)
        assert wait_for(lambda: get(f"http://127.0.0.1:{hooks}/healthz")[0] == 200, 30)

        def live_demo_polls() -> bool:
            with factory() as s:
                health = s.get(ListenerHealth, "demo")
                count = s.scalar(select(func.count()).select_from(Mention))
            return health is not None and health.state == "ok" and count > before

        assert wait_for(live_demo_polls, 30)

        def published() -> bool:
            with factory() as s:
                return (
                    s.scalar(select(ConsolePost.id).where(ConsolePost.text == "Cek #BeraniLAPOR"))
                    is not None
                )

        assert wait_for(published, 30), "the scheduler publishes the approved post on the console"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out.decode()[-2000:]
