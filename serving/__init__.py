"""Serving: the operational store, the service layer with access control and audit log, the
REST API.

`serving.db` holds the store (SQLAlchemy models, engine, Alembic migrations shipped in
`serving/migrations`); `serving.services` the only functions the API and the dashboard call,
each taking the acting user and enforcing the roles; `serving.weekly` writes one week's lists
atomically; `serving.api` the FastAPI application. Imports are light: nothing here opens a
database or starts a server at import time.
"""

__all__: list[str] = []
