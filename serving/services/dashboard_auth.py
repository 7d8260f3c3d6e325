"""Signing in to the dashboard through OpenID Connect (`st.login`): the identity provider
proves who the person is; the store's users still say what they may do.

A person signed in by the provider maps to the active store user whose username is their
e-mail address (lowercased). No matching user, or a disabled one: refused and audited, like
a bad password. The password login is `serving.services.authenticate_password`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from serving.db.engine import Store
from serving.db.models import User
from serving.services.actor import Actor
from serving.services.audit import record, record_anonymous_denial
from serving.services.errors import NotAuthenticated

__all__ = ["actor_from_identity"]


def actor_from_identity(store: Store, email: str | None) -> Actor:
    """The actor of an identity the OIDC provider vouched for."""
    username = (email or "").strip().lower()
    actor = None
    if username:
        with store.reading() as session:
            user = session.scalar(
                select(User).where(User.username == username).options(selectinload(User.scopes))
            )
            if user is not None and not user.disabled:
                actor = Actor(
                    username=user.username,
                    role=user.role,  # type: ignore[arg-type]  # checked by the table
                    establishments=frozenset(scope.uai for scope in user.scopes),
                )
    if actor is None:
        # The identity tried, as a failed password sign-in names its username (never more).
        tried = f"{username[:100]!r}" if username else "this identity"
        record_anonymous_denial(store, "login_oidc", f"no active user for {tried}")
        raise NotAuthenticated("no active Vigie user for this identity")
    with store.transaction() as session:
        record(session, actor, "login_oidc", "allowed")
    return actor
