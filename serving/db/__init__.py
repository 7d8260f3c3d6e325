"""The operational store: tables, engine and session factory, migrations."""

from serving.db.engine import AuditLogIsAppendOnly, Store, make_engine
from serving.db.migrate import current_revision, head_revision, upgrade

__all__ = [
    "AuditLogIsAppendOnly",
    "Store",
    "current_revision",
    "head_revision",
    "make_engine",
    "open_store",
    "upgrade",
]


def open_store(url: str | None = None, *, migrate: bool = True) -> Store:
    """The store at `url` (default: from the settings), migrated to the latest schema."""
    from serving.settings import load_serving_settings

    store = Store.from_url(url or load_serving_settings().resolved_database_url)
    if migrate:
        upgrade(store.engine)
    return store
