"""50 concurrent clients recording interviews through a real uvicorn server on loopback:
no write lost, nothing corrupted, and the "one interview under way per student" rule holds
under a race."""

from __future__ import annotations

from sqlalchemy import text

from tests.serving.conftest import LiveServer, World
from tests.serving.fifty_clients import fifty_clients_record_interviews


def test_fifty_clients_lose_no_write(world: World, live_server: LiveServer) -> None:
    fifty_clients_record_interviews(world.store, live_server, world.tokens.watch_unit)
    with world.store.reading() as session:
        assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
