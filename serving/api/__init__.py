"""The REST API (FastAPI): thin routes over `serving.services`."""

from serving.api.app import app_from_settings, create_app

__all__ = ["app_from_settings", "create_app"]
