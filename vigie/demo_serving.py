"""The end of the demo: the trained model becomes champion (the weeks' lists are then written
by `vigie.demo_history`), and one demo user of each role is created for the dashboard.

Only the demo promotes by itself: on real data a person reads the fairness audit and runs
`vigie promote`. The demo's promotion is recorded like any other, with a written
justification when the fairness gate objects, so the registry says plainly that it was the
demo. The demo users' passwords are printed because the store holds synthetic students only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

from serving.db.vocabulary import Role

__all__ = [
    "DEMO_OVERRIDE",
    "DEMO_PASSWORD",
    "DemoUser",
    "demo_users",
    "demo_watch_unit_uai",
    "ensure_demo_users",
    "promote_demo_champion",
]

DEMO_PASSWORD = "vigie-demo-2026"  # synthetic académie only: printed on purpose
DEMO_OVERRIDE = (
    "Démonstration sur l'académie synthétique : promue automatiquement par `vigie demo` pour "
    "montrer les listes. Lire l'audit d'équité avant tout usage réel."
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: Role
    establishments: tuple[str, ...] = ()


def demo_users(watch_unit_uai: str) -> tuple[DemoUser, ...]:
    """One user of each role; the watch unit (and the MLDS's bassin) in `watch_unit_uai`."""
    return (
        DemoUser("cpe.demo", "watch_unit", (watch_unit_uai,)),
        DemoUser("inspecteur.demo", "inspector"),
        DemoUser("datascientist.demo", "data_scientist"),
        DemoUser("admin.demo", "admin"),
        # The MLDS of a bassin reduced to the watch unit's establishment: its leavers.
        DemoUser("mlds.demo", "mlds", (watch_unit_uai,)),
    )


def promote_demo_champion(model_name: str, console: Console) -> str:
    """Make the latest `challenger` the champion (unless it already is); its version."""
    from models.registry import CHALLENGER, CHAMPION, alias_version, registry_client, resolve
    from training.promote import promote_version

    client = registry_client()
    version = str(resolve(client, model_name, CHALLENGER).version)
    if alias_version(client, model_name, CHAMPION) == version:
        console.print(f"Champion: {model_name} version {version} (already)")
        return version
    promotion = promote_version(client, model_name, version, "vigie demo", DEMO_OVERRIDE)
    gate = "overridden (demo)" if promotion.overridden else "passed"
    console.print(f"Champion: {model_name} version {version} (fairness gate {gate})")
    return version


def demo_watch_unit_uai(week: dt.date) -> str:
    """The establishment the demo's watch unit works in: the one whose list of `week` has
    the most students "to watch" (then the most on the list, then the first UAI), so that
    the dashboard shows both tiers."""
    from sqlalchemy import case, func, select

    from serving.db import open_store
    from serving.db.models import ListEntry, WeeklyList
    from settings import load_settings

    watched = func.sum(case((ListEntry.tier == "watch", 1), else_=0))
    query = (
        select(WeeklyList.uai)
        .join(ListEntry, ListEntry.list_id == WeeklyList.id)
        .where(WeeklyList.week == week)
        .group_by(WeeklyList.uai)
        .order_by(watched.desc(), func.count(ListEntry.id).desc(), WeeklyList.uai)
        .limit(1)
    )
    store = open_store(load_settings().resolved_database_url)
    try:
        with store.reading() as session:
            uai = session.scalar(query)
    finally:
        store.dispose()
    if uai is None:
        raise RuntimeError(f"no list was written for the week of {week}")
    return uai


def ensure_demo_users(uai: str, console: Console) -> tuple[DemoUser, ...]:
    """Create the demo users that do not exist yet and print their logins."""
    from serving.db import open_store
    from serving.services import NewUser, add_user, list_users
    from serving.services.actor import Actor
    from settings import load_settings

    users = demo_users(uai)
    store = open_store(load_settings().resolved_database_url)
    operator = Actor.operator("vigie-demo")
    try:
        existing = {user.username for user in list_users(store, operator)}
        for user in users:
            if user.username not in existing:
                new = NewUser(user.username, user.role, user.establishments, DEMO_PASSWORD)
                add_user(store, operator, new)
    finally:
        store.dispose()
    table = Table(title=f"Demo logins (password for all: {DEMO_PASSWORD})")
    for column in ("user", "role", "establishments"):
        table.add_column(column)
    for user in users:
        table.add_row(user.username, user.role, ", ".join(user.establishments) or "all")
    console.print(table)
    return users
