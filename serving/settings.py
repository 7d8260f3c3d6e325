"""Serving settings: one typed object read from the environment (prefix VIGIE_).

The project home (`VIGIE_HOME`, see `vigie.settings`) holds the embedded SQLite store unless
`VIGIE_DATABASE_URL` points elsewhere (e.g. `postgresql+psycopg://vigie@db/vigie`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.queue import DEFAULT_FOLLOW_UP

__all__ = ["ServingSettings", "load_serving_settings"]


class ServingSettings(BaseSettings):
    """Where the operational store lives and the limits the API enforces."""

    # Other VIGIE_ variables (VIGIE_USER, ...) belong to other settings objects: ignore them.
    model_config = SettingsConfigDict(env_prefix="VIGIE_", extra="ignore")

    home: Path = Field(default=Path("var"), description="Folder for all local state.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the store; default SQLite under home."
    )
    trusted_proxies: str = Field(
        default="",
        description="Comma-separated addresses of the reverse proxies whose X-Forwarded-For "
        "header names the client (`vigie api` and `vigie dashboard`); empty (default): none, "
        "the TCP peer is the client. The address is what failed sign-ins and failed "
        "authentications are throttled by.",
    )
    max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, le=16 * 1024 * 1024, description="Largest request body."
    )
    dismissal_weeks: int = Field(
        default=DEFAULT_FOLLOW_UP.dismissal_weeks,
        ge=0,
        le=52,
        description="Weeks a dismissed student stays in follow-up (no slot, marked) on the "
        "weekly lists: the default of `vigie score --dismissal-weeks`.",
    )

    list_cache_mb: int = Field(
        default=64,
        ge=0,
        le=4096,
        description="Memory for the API's serialised weekly lists, per process (0: no cache). "
        "A cached list is served only while its establishment's list revision is unchanged.",
    )

    @property
    def list_cache_bytes(self) -> int:
        return self.list_cache_mb * 1024 * 1024

    @property
    def resolved_database_url(self) -> str:
        """The store's URL: `database_url`, or the SQLite file `home/serving/vigie.sqlite3`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'serving' / 'vigie.sqlite3').as_posix()}"


def load_serving_settings() -> ServingSettings:
    return ServingSettings()
