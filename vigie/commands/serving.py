"""The serving commands: `vigie db upgrade`, `vigie users add|list|disable|enable|password|token`,
`vigie api`. Each `vigie users` command calls the one service function the dashboard's
"Utilisateurs" page calls for the same action (`serving.services.users`).

Each command opens the store named by the settings (VIGIE_DATABASE_URL, else an SQLite file
under VIGIE_HOME) and migrates it first. Secrets never reach a log: a password is typed at a
hidden prompt or read from stdin, never passed as an option; a new API token is printed once,
alone on stdout (so `TOKEN=$(vigie users add ...)` captures it), and only its hash is kept.
The weekly scoring job, `vigie score`, is in `vigie.commands.score`.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from features.jsonio import dumps
from vigie.commands.common import console
from vigie.commands.store_access import as_operator, refusals

__all__ = ["register"]

db_app = typer.Typer(
    help="The operational store (SQLite by default, PostgreSQL by URL).", no_args_is_help=True
)
users_app = typer.Typer(
    help="Users, roles, establishment scopes and API tokens.", no_args_is_help=True
)

UsernameArgument = Annotated[str, typer.Argument(help="Login name (lowercase).")]
TokenDaysOption = Annotated[int, typer.Option(min=1, max=730, help="API token lifetime in days.")]


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the store's tables to the latest schema."""
    from sqlalchemy.engine import make_url

    from serving.db import Store, upgrade
    from settings import load_settings

    with refusals():
        url = load_settings().resolved_database_url
        store = Store.from_url(url)
        try:
            revision = upgrade(store.engine)
        finally:
            store.dispose()
    shown = make_url(url).render_as_string(hide_password=True)
    typer.echo(f"Store {shown} is at schema revision {revision}.")


@users_app.command("add")
def users_add(
    username: UsernameArgument,
    role: Annotated[
        str, typer.Option(help="watch_unit, mlds, inspector, data_scientist or admin.")
    ],
    establishment: Annotated[
        list[str] | None,
        typer.Option(
            "--establishment",
            "-e",
            help="UAI a watch unit, or an mlds user (its bassin), sees (repeatable).",
        ),
    ] = None,
    password_prompt: Annotated[
        bool, typer.Option("--password", help="Set a dashboard password (hidden prompt).")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the dashboard password from stdin.")
    ] = False,
    token_days: TokenDaysOption = 90,
) -> None:
    """Create a user and print its API token once (only its hash is kept)."""
    from serving.services import NewUser, add_user

    password = _read_password(password_prompt, password_stdin)
    with refusals():
        new = NewUser(
            username=username,
            role=role,  # type: ignore[arg-type]  # NewUser validates the role
            establishments=tuple(establishment or ()),
            password=password,
            token_days=token_days,
        )
    user, token = as_operator(add_user, new)
    scope = ", ".join(user.establishments) or "the whole académie"
    typer.echo(
        f"Created {user.username} ({user.role}, {scope}); token expires "
        f"{user.token_expires_at:%Y-%m-%d}. The API token below is shown once: keep it secret.",
        err=True,
    )
    typer.echo(token)


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the users as JSON.")] = False,
) -> None:
    """List users: role, establishments, disabled, token id and expiry, last sign-in (never
    secrets)."""
    from rich.table import Table

    from serving.services import list_users

    users = as_operator(list_users)
    if as_json:
        typer.echo(dumps([user.model_dump(mode="json") for user in users], indent=2))
        return
    table = Table(
        "user", "role", "establishments", "status", "password", "token", "expires", "last sign-in"
    )
    for user in users:
        expires = f"{user.token_expires_at:%Y-%m-%d}" if user.token_expires_at else "-"
        signed_in = f"{user.last_sign_in_at:%Y-%m-%d %H:%M}" if user.last_sign_in_at else "-"
        table.add_row(
            user.username,
            user.role,
            ", ".join(user.establishments) or "all",
            "disabled" if user.disabled else "active",
            "yes" if user.has_password else "no",
            user.token_id or "-",
            expires,
            signed_in,
        )
    console.print(table)


@users_app.command("disable")
def users_disable(username: UsernameArgument) -> None:
    """Disable a user: its token and password stop working at once."""
    from serving.services import disable_user

    user = as_operator(disable_user, username)
    typer.echo(f"Disabled {user.username}: its token and password no longer work.")


@users_app.command("enable")
def users_enable(username: UsernameArgument) -> None:
    """Re-enable a disabled user: its password and unexpired token work again."""
    from serving.services import enable_user

    user = as_operator(enable_user, username)
    typer.echo(f"Enabled {user.username}.")


@users_app.command("password")
def users_password(
    username: UsernameArgument,
    password_prompt: Annotated[
        bool, typer.Option("--password", help="Type the new password (hidden prompt).")
    ] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from stdin.")
    ] = False,
) -> None:
    """Replace a user's dashboard password: typed, read from stdin, or else generated and
    printed once, alone on stdout (the old password stops working)."""
    from serving.services import reset_password

    password = _read_password(password_prompt, password_stdin)
    user, generated = as_operator(reset_password, username, password)
    typer.echo(f"New password set for {user.username}.", err=True)
    if generated is not None:
        typer.echo("The password below is shown once: hand it over safely.", err=True)
        typer.echo(generated)


@users_app.command("token")
def users_token(username: UsernameArgument, token_days: TokenDaysOption = 90) -> None:
    """Replace a user's API token and print the new one once (the old one stops working)."""
    from serving.services import renew_token

    user, token = as_operator(renew_token, username, token_days)
    typer.echo(f"New token for {user.username}, shown once: keep it secret.", err=True)
    typer.echo(token)


def api(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (one per core or so).")
    ] = 1,
) -> None:
    """Serve the REST API (OpenAPI documentation at /docs)."""
    import uvicorn

    from serving.api import app_from_settings

    with refusals():
        application = app_from_settings()  # migrates the store before serving
    # uvicorn's C HTTP parser and event loop, named rather than left to "auto": a missing
    # install fails here instead of silently serving with the pure-Python h11 parser at
    # about twice the CPU per request.
    fast: dict[str, Any] = {
        "http": "httptools",
        "loop": "uvloop" if sys.platform != "win32" else "asyncio",
    }
    # The client's address (the throttle of failed authentications counts by it) is the TCP
    # peer, or X-Forwarded-For from the proxies VIGIE_TRUSTED_PROXIES names (none by default:
    # uvicorn's own default would trust it from any loopback peer).
    proxies = _trusted_proxies()
    fast |= {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies}
    if workers == 1:
        uvicorn.run(application, host=host, port=port, server_header=False, **fast)
        return
    # Several processes need an import string; each opens the (already migrated) store.
    application.state.store.dispose()
    uvicorn.run(
        "serving.api.app:app_from_settings",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
        **fast,
    )


def _read_password(prompt: bool, stdin: bool) -> str | None:
    if prompt and stdin:
        raise typer.BadParameter("give --password or --password-stdin, not both")
    if prompt:
        return typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise typer.BadParameter("--password-stdin read an empty password")
        return line
    return None


def register(app: typer.Typer) -> None:
    """Add the commands to `app`."""
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.command()(api)


def _trusted_proxies() -> str:
    from settings import load_settings

    return load_settings().serving.trusted_proxies
