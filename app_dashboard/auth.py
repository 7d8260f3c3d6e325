"""Signing in: local accounts of the store (the embedded default), or OpenID Connect through
`st.login` when `.streamlit/secrets.toml` has an `[auth]` section.

OIDC configuration (documented, not needed offline), in `.streamlit/secrets.toml`:

    [auth]
    redirect_uri = "https://vigie.example.fr/oauth2callback"
    cookie_secret = "a long random string"
    client_id = "..."
    client_secret = "..."
    server_metadata_url = "https://idp.example.fr/.well-known/openid-configuration"

The provider proves who the person is; the store's users say what they may do: the person's
e-mail must be the username of an active Vigie user (`serving.services.dashboard_auth`).
"""

from __future__ import annotations

import streamlit as st

from app_dashboard import runtime
from serving.services import Actor, NotAuthenticated, authenticate_password
from serving.services.dashboard_auth import actor_from_identity

__all__ = ["oidc_configured", "sign_in_with_oidc", "sign_in_with_password"]


def oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own not-found error
        return False


def sign_in_with_oidc() -> Actor | None:
    """The actor of a person the provider signed in, or None (not signed in, or no user)."""
    if not st.user.is_logged_in:
        return None
    try:
        actor = actor_from_identity(runtime.store(), str(st.user.get("email") or ""))
    except NotAuthenticated:
        st.error(runtime.t("bad_login"))
        return None
    st.session_state[runtime.ACTOR] = actor
    return actor


def sign_in_with_password(username: str, password: str) -> Actor | None:
    """Check the password against the store; remember the actor in the session."""
    try:
        actor = authenticate_password(runtime.store(), username.strip().lower(), password)
    except NotAuthenticated:
        return None
    st.session_state[runtime.ACTOR] = actor
    return actor
