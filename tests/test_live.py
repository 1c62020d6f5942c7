"""Live checks against the real platforms: only with `-m live` and real keys, never in CI."""

from __future__ import annotations

import pytest

from core.settings import Settings
from listeners.registry import REGISTRY

pytestmark = pytest.mark.live


@pytest.mark.parametrize("name", ["x", "facebook", "telegram"])
def test_a_configured_listener_polls_the_real_platform(name):
    settings = Settings()
    reason = REGISTRY[name].off_reason(settings)
    if reason:
        pytest.skip(reason)
    batch = REGISTRY[name].build(settings).poll(None)
    assert batch.next_cursor is not None
    assert all(m.platform == name and m.external_id for m in batch.mentions)
