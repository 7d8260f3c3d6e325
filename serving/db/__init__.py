"""The operational store: tables, engine and session factory, migrations."""

from serving.db.engine import DEFAULT_LIST_CACHE_BYTES, AuditLogIsAppendOnly, Store, make_engine
from serving.db.migrate import current_revision, head_revision, upgrade

__all__ = [
    "DEFAULT_LIST_CACHE_BYTES",
    "AuditLogIsAppendOnly",
    "Store",
    "current_revision",
    "head_revision",
    "make_engine",
    "open_store",
    "upgrade",
]


def open_store(
    url: str | None = None,
    *,
    migrate: bool = True,
    list_cache_bytes: int = DEFAULT_LIST_CACHE_BYTES,
) -> Store:
    """The store at `url` (default: from the settings), migrated to the latest schema."""
    from settings import load_settings

    url = url or load_settings().resolved_database_url
    store = Store.from_url(url, list_cache_bytes=list_cache_bytes)
    if migrate:
        upgrade(store.engine)
    return store
