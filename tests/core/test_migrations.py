"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import core.casework  # noqa: F401  (registers every table on Base.metadata)
import core.outreach  # noqa: F401
from core.db import make_engine
from core.models import Base


def test_a_migrated_store_matches_the_models(db_url):
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={"include_object": lambda obj, name, type_, *_: name != "apscheduler_jobs"},
            )
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], "a model changed without a migration (or the reverse)"
