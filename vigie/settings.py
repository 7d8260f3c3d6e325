"""Settings: one typed object read from the environment (prefix VIGIE_), validated up front."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    """Where Vigie keeps its local state. Every path is relative to the working directory
    unless absolute; `VIGIE_HOME=/srv/vigie` moves all of it."""

    model_config = SettingsConfigDict(env_prefix="VIGIE_", extra="forbid")

    home: Path = Field(default=Path("var"), description="Folder for all local state.")

    @property
    def demo_extraction(self) -> Path:
        return self.home / "demo" / "extraction"

    @property
    def demo_fingerprint(self) -> Path:
        """Holds the fingerprint of the configuration the demo extraction was made from."""
        return self.home / "demo" / "academie.sha256"

    @property
    def features_dir(self) -> Path:
        return self.home / "features"


def load_settings() -> Settings:
    return Settings()
