"""Running the store's Alembic migrations from code (`vigie db upgrade`, and before any
command that needs the store), with the scripts shipped inside the package."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]


def alembic_config(engine: Engine | None) -> Config:
    config = Config()
    config.set_main_option("script_location", "serving:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Bring the store's schema to `revision`; returns the revision it is at afterwards."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine | None = None) -> str | None:
    """The newest revision shipped in `serving/migrations` (no database needed)."""
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
