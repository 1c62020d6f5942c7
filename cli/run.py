"""The processes: the one scheduler, and `run` (console, scheduler and webhooks together)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from core.settings import Settings


def cmd_scheduler(args: argparse.Namespace, settings: Settings) -> int:
    import scheduler

    scheduler.run(settings, persistent=True)
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    """Start the console, the scheduler and the webhook receiver; stop all when one stops."""
    bin_dir = Path(sys.executable).parent
    here = Path(__file__).resolve().parents[1]  # the project folder, where app.py is
    commands = {
        "scheduler": [str(bin_dir / "lapor-social"), "scheduler"],
        "webhooks": [
            str(bin_dir / "uvicorn"),
            "listeners.webhooks:app",
            "--host",
            settings.webhook_host,
            "--port",
            str(settings.webhook_port),
            "--no-access-log",
        ],
        "console": [
            str(bin_dir / "streamlit"),
            "run",
            str(here / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(settings.console_port),
            "--browser.gatherUsageStats",
            "false",
        ],
    }
    procs = {name: subprocess.Popen(cmd, cwd=os.getcwd()) for name, cmd in commands.items()}
    print(
        f"console  http://localhost:{settings.console_port}\n"
        f"webhooks http://{settings.webhook_host}:{settings.webhook_port}/webhooks/(line|messenger|telegram)\n"
        "Ctrl-C stops everything."
    )
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    code = 0
    while not stopping:
        for name, proc in procs.items():
            if proc.poll() is not None:
                print(f"{name} exited with code {proc.returncode}; stopping the others")
                code, stopping = proc.returncode or 1, True
        time.sleep(0.5)
    for proc in procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return code
