"""Kill -9 the listener process at random moments: no mention lost, none duplicated."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from core.mentions import load_cursor
from core.models import Mention, QuarantineItem
from listeners.demo import external_id

pytestmark = pytest.mark.slow
SEED = 4242


def test_killing_the_listener_anywhere_loses_and_duplicates_nothing(factory, db_url, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LAPOR_")},
        "LAPOR_DATABASE_URL": db_url,
        "LAPOR_DEMO_ENABLED": "true",
        "LAPOR_DEMO_SEED": str(SEED),
        "LAPOR_DEMO_PER_POLL": "40",
        "LAPOR_DEMO_POLL_SECONDS": "1",
    }
    tool = str(Path(sys.executable).parent / "lapor-social")
    rng = random.Random(7)
    seen_cursors = []
    for _ in range(5):
        proc = subprocess.Popen(
            [tool, "listen", "--only", "demo"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(1.5, 4.0))
        proc.send_signal(signal.SIGKILL)  # no clean shutdown: mid-fetch or mid-commit
        proc.wait()
        with factory() as s:
            seen_cursors.append((load_cursor(s, "demo") or {}).get("seq", 0))
    # and once more to the end of a poll, cleanly
    subprocess.run([tool, "listen", "--once", "--only", "demo"], env=env, cwd=tmp_path, check=True)

    with factory() as s:
        end = load_cursor(s, "demo")["seq"]
        ids = list(s.scalars(select(Mention.external_id).where(Mention.listener == "demo")))
        bad = [json.loads(raw)["demo"]["seq"] for raw in s.scalars(select(QuarantineItem.raw))]
    assert end > 100, f"the listener made too little progress to test anything: {seen_cursors}"
    seqs = sorted([int(i.rsplit("-", 1)[1]) for i in ids] + bad)
    assert seqs == list(range(end)), "every item up to the cursor is stored exactly once"
    assert set(ids) == {external_id(SEED, n) for n in range(end)} - {
        external_id(SEED, n) for n in bad
    }
