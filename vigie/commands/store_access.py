"""The store as the commands reach it: opened from the settings (and migrated), used as the
local operator, a refusal of the service layer ending the command with its one-line reason
(never a traceback, nor SQL, which could carry values). Shared by every command that calls
a service function (`vigie users`, `vigie purge`, `vigie suspend`, `vigie notice`, ...)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from vigie.commands.common import error_console

if TYPE_CHECKING:
    from serving.db import Store
    from serving.services import Actor

__all__ = ["acting_user", "as_operator", "open_settings_store", "operator", "refusals"]

T = TypeVar("T")


def operator() -> Actor:
    """The local operator (`VIGIE_USER`, else the login name): an admin acting on the
    machine, audited under that name."""
    from serving.services import Actor
    from settings import load_settings

    try:
        login = load_settings().resolved_user
    except (KeyError, OSError):
        login = "unknown"
    return Actor.operator(login)


def open_settings_store() -> Store:
    """The store the settings name, migrated to the latest schema."""
    from serving.db import open_store

    return open_store()


@contextmanager
def refusals() -> Iterator[None]:
    """A refusal of the service layer (bad role, unknown user...) or a store that cannot be
    opened ends with a one-line message and exit code 1, never a traceback (nor SQL, which
    could carry values)."""
    from pydantic import ValidationError
    from sqlalchemy.exc import SQLAlchemyError

    from serving.services import ServiceError

    try:
        yield
    except ServiceError as error:
        error_console.print(str(error), style="red", markup=False)
        raise typer.Exit(1) from None
    except ValidationError as error:  # a bad VIGIE_ setting
        error_console.print(f"Invalid setting: {error}", style="red", markup=False)
        raise typer.Exit(1) from None
    except (SQLAlchemyError, OSError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0][:200]
        error_console.print(f"The store cannot be used: {reason}", style="red", markup=False)
        raise typer.Exit(1) from None


def as_operator(action: Callable[..., T], *args: Any) -> T:
    """`action(store, operator, *args)` on the settings' store, a refusal ending the command."""
    with refusals():
        store = open_settings_store()
    try:
        with refusals():
            return action(store, operator(), *args)
    finally:
        store.dispose()


def acting_user(store: Store, username: str) -> Actor:
    """The store user `username` as an actor, for commands that act as a person (`--user`):
    unknown or disabled users are refused."""
    from serving.services import NotAuthenticated
    from serving.services.users import active_actor

    actor = active_actor(store, username)
    if actor is None:
        raise NotAuthenticated(f"no active user {username}")
    return actor
