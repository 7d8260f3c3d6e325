"""The administrator's users: the list, creating a user, disabling or re-enabling one,
replacing a password or an API token (the new secret shown once, on the run that made it,
never kept in the session), the stop switch (`app_dashboard.stop_switch`), the recent
sign-in failures and the weekly monitoring's alerts, per week (`app_dashboard.monitoring_section`).

Every action is the service function `vigie users` calls (`serving.services.users`), which
refuses any role but admin and audits the action with the admin as actor; this page only
draws. An action that takes something away (disabling, replacing a password or a token) is
done by a second click, on the confirmation inside its popover. Logins, names and addresses
come from data: they are shown in dataframes (text as is) or escaped (`runtime.t`)."""

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_dashboard import runtime
from app_dashboard.auth import signed_in_actor
from app_dashboard.monitoring_section import monitoring_section
from app_dashboard.stop_switch import stop_switch_section
from app_dashboard.wording import vocabulary
from serving.db.types import utc_now
from serving.db.vocabulary import ROLES
from serving.services import (
    NewUser,
    ServiceError,
    add_user,
    disable_user,
    enable_user,
    known_establishments,
    list_users,
    renew_token,
    reset_password,
)
from serving.services.sign_in_failures import recent_sign_in_failures
from serving.services.users import generate_password

t = runtime.t
language = runtime.language()
store, actor = runtime.store(), signed_in_actor()
st.title(t("page_admin_users"))
st.caption(t("admin_users_intro"))


def when(moment: dt.datetime | None, empty: str = "—") -> str:
    """A UTC time as the reader's language writes it."""
    if moment is None:
        return empty
    pattern = "%d/%m/%Y %H:%M" if language == "fr" else "%Y-%m-%d %H:%M"
    return f"{moment:{pattern}} UTC"


def show_secret(label: str, username: str, secret: str) -> None:
    """A password or token, shown on this run only (the next rerun draws the page without
    it; it is not kept in the session)."""
    st.warning(t(label, username=username), icon=":material/key:")
    st.code(secret, language=None)


try:  # the admin check is the service's: any other role is refused (and audited) here
    users = list_users(store, actor)
    establishments = {e.uai: e.name for e in known_establishments(store, actor)}
except ServiceError as error:
    runtime.show_error(error)
    st.stop()


def establishment(uai: str) -> str:
    name = establishments.get(uai)
    return f"{uai} — {name}" if name else uai


users_table = st.container()  # drawn first, filled last (after this run's action)
changed = False  # an action of this run changed a user: the list is read again

# Creating a user.
# No icon: an expander draws its Material icon name as text where the font is missing.
with st.expander(t("admin_create_title")):
    if not establishments:
        st.caption(t("admin_no_establishments"))
    with st.form("admin_new_user", clear_on_submit=True):
        username = st.text_input(t("admin_new_username"), key="admin_new_username")
        role = st.selectbox(
            t("admin_new_role"),
            ROLES,
            format_func=lambda word: vocabulary("role", word, language),
            key="admin_new_role",
        )
        scope = st.multiselect(
            t("admin_new_establishments"),
            list(establishments),
            format_func=establishment,
            key="admin_new_establishments",
            placeholder="—",
        )
        with_password = st.checkbox(t("admin_new_password"), value=True, key="admin_new_password")
        token_days = st.number_input(
            t("admin_token_days"), min_value=1, max_value=730, value=90, key="admin_token_days"
        )
        if st.form_submit_button(t("admin_create"), icon=":material/check:"):
            password = generate_password() if with_password else None
            try:
                new = NewUser(
                    username=username.strip().lower(),
                    role=role,
                    establishments=tuple(scope),
                    password=password,
                    token_days=int(token_days),
                )
                created, token = add_user(store, actor, new, known_only=True)
            except ServiceError as error:
                runtime.show_error(error)
            else:
                st.success(t("admin_created", username=created.username))
                show_secret("admin_token_once", created.username, token)
                if password is not None:
                    show_secret("admin_password_once", created.username, password)
                users = list_users(store, actor)  # to be picked below at once

# Managing one user. What takes something away is confirmed: (button label, icon).
TAKING = {
    "disable": ("admin_disable", ":material/block:"),
    "password": ("admin_reset_password", ":material/password:"),
    "token": ("admin_renew_token", ":material/key:"),
}


def confirmed(column: DeltaGenerator, what: str, username: str) -> bool:
    """A popover opened by a first click, holding the question and the confirming button
    (the second click)."""
    label, icon = TAKING[what]
    with column.popover(t(label), icon=icon):
        st.markdown(t(f"admin_confirm_{what}", username=username))
        return st.button(t("admin_confirm"), key=f"admin_confirm_{what}", type="primary")


Done = TypeVar("Done")


def attempt(action: Callable[..., Done], *args: object) -> Done | None:
    """`action(store, actor, *args)`, a refusal shown (None returned)."""
    global changed
    try:
        done = action(store, actor, *args)
    except ServiceError as error:
        runtime.show_error(error)
        return None
    changed = True
    return done


st.subheader(t("admin_manage_title"))
by_name = {user.username: user for user in users}
chosen = st.selectbox(t("admin_pick_user"), list(by_name), key="admin_pick_user")
if chosen is not None:
    user = by_name[chosen]
    status = t("admin_disabled") if user.disabled else t("admin_active")
    role_word = vocabulary("role", user.role, language)
    st.markdown(t("admin_state", username=user.username, role=role_word, status=status))
    disable_column, password_column, token_column = st.columns(3)
    if user.disabled:
        undo = ":material/undo:"
        enable = disable_column.button(t("admin_enable"), key="admin_enable", icon=undo)
        if enable and attempt(enable_user, user.username) is not None:
            st.success(t("admin_enabled_done", username=user.username))
    elif confirmed(disable_column, "disable", user.username) and (
        attempt(disable_user, user.username) is not None
    ):
        st.success(t("admin_disabled_done", username=user.username))
    if confirmed(password_column, "password", user.username):
        done = attempt(reset_password, user.username)
        if done:
            show_secret("admin_password_once", user.username, str(done[1]))
    if confirmed(token_column, "token", user.username):
        done = attempt(renew_token, user.username)
        if done:
            show_secret("admin_token_once", user.username, done[1])
if changed:
    users = list_users(store, actor)  # as they are after this run's action

# The users, as they are after this run's action.
users_frame = pd.DataFrame(
    {
        t("admin_col_username"): [user.username for user in users],
        t("admin_col_role"): [vocabulary("role", user.role, language) for user in users],
        t("admin_col_establishments"): [
            ", ".join(map(establishment, user.establishments)) or t("admin_whole_academie")
            for user in users
        ],
        t("admin_col_status"): [
            t("admin_disabled") if user.disabled else t("admin_active") for user in users
        ],
        t("admin_col_password"): [
            t("admin_yes") if user.has_password else t("admin_no") for user in users
        ],
        t("admin_col_token_expires"): [when(user.token_expires_at) for user in users],
        t("admin_col_last_sign_in"): [
            when(user.last_sign_in_at, t("admin_never")) for user in users
        ],
    }
)
users_table.dataframe(users_frame, hide_index=True, width="stretch")

# The stop switch: suspending and resuming lists, and the history.
stop_switch_section(store, actor, establishments, when)

# Recent sign-in failures.
st.subheader(t("admin_failures_title"))
st.caption(t("admin_failures_intro"))
days = st.selectbox(
    t("admin_failures_days"),
    (1, 7, 30),
    index=1,
    format_func=lambda count: t("admin_days", days=count),
    key="admin_failures_days",
)
try:
    failures = recent_sign_in_failures(store, actor, since=utc_now() - dt.timedelta(days=int(days)))
except ServiceError as error:
    runtime.show_error(error)
    st.stop()
if not failures:
    st.info(t("admin_failures_none"), icon=":material/check_circle:")
else:
    unknown = t("admin_unknown")
    st.dataframe(
        pd.DataFrame(
            {
                t("admin_col_last"): [when(row.last_at) for row in failures],
                t("admin_col_first"): [when(row.first_at) for row in failures],
                t("admin_col_channel"): [t(f"admin_channel_{row.channel}") for row in failures],
                t("admin_col_kind"): [t(f"admin_kind_{row.kind}") for row in failures],
                t("admin_col_login"): [row.login or unknown for row in failures],
                t("admin_col_source"): [row.source or unknown for row in failures],
                t("admin_col_count"): [row.count for row in failures],
            }
        ),
        hide_index=True,
        width="stretch",
    )

# The weekly monitoring: its alerts, week by week (what may call for the stop switch).
st.divider()
monitoring_section(store, actor, pick_week=True, note=t("admin_monitoring_intro"))
