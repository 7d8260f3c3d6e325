"""The administrator's stop switch, a section of the "Utilisateurs" page: suspend the lists of
one establishment or of the whole académie for a stated reason, resume them for a stated
reason, and the history of suspensions. The page calls the functions `vigie suspend` and
`vigie resume` call (`serving.services.suspensions`), which refuse any other role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import pandas as pd
import streamlit as st

from app_dashboard import runtime
from serving.db.engine import Store
from serving.services import ServiceError
from serving.services.actor import Actor
from serving.services.suspensions import (
    MAX_REASON_LENGTH,
    list_suspensions,
    resume,
    suspend,
)

__all__ = ["stop_switch_section"]

ALL = "*"  # the selectbox's value for the whole académie


def stop_switch_section(
    store: Store,
    actor: Actor,
    establishments: Mapping[str, str],
    when: Callable[[dt.datetime | None], str],
) -> None:
    """The section: a form (scope, reason, suspend or resume), then the history."""
    t = runtime.t
    st.subheader(t("stop_title"))
    st.caption(t("stop_intro"))

    def scope_label(code: str) -> str:
        if code == ALL:
            return str(t("stop_all"))
        name = establishments.get(code)
        return f"{code} — {name}" if name else code

    with st.form("stop_switch", clear_on_submit=True):
        chosen = st.selectbox(
            t("stop_scope"), [ALL, *establishments], format_func=scope_label, key="stop_scope"
        )
        reason = st.text_input(t("stop_reason"), max_chars=MAX_REASON_LENGTH, key="stop_reason")
        suspend_column, resume_column = st.columns(2)
        suspending = suspend_column.form_submit_button(
            t("stop_suspend"), icon=":material/pause_circle:"
        )
        resuming = resume_column.form_submit_button(t("stop_resume"), icon=":material/play_circle:")
    uai = None if chosen == ALL else chosen
    if suspending or resuming:
        try:
            if suspending:
                suspend(store, actor, uai, reason)
            else:
                resume(store, actor, uai, reason)
        except ServiceError as error:
            runtime.show_error(error)
        else:
            done = "stop_suspended_done" if suspending else "stop_resumed_done"
            st.success(t(done, scope=scope_label(chosen or ALL)))
    try:
        history = list_suspensions(store, actor)
    except ServiceError as error:
        runtime.show_error(error)
        return
    if not history:
        st.caption(t("stop_none"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("stop_col_scope"): [scope_label(row.uai or ALL) for row in history],
                t("stop_col_state"): [
                    t("stop_active") if row.resumed_at is None else t("stop_lifted")
                    for row in history
                ],
                t("stop_col_reason"): [row.reason for row in history],
                t("stop_col_by"): [row.suspended_by for row in history],
                t("stop_col_at"): [when(row.suspended_at) for row in history],
                t("stop_col_resumed"): [
                    f"{when(row.resumed_at)} ({row.resumed_by})" if row.resumed_at else "—"
                    for row in history
                ],
                t("stop_col_resume_reason"): [row.resume_reason or "—" for row in history],
            }
        ),
        hide_index=True,
        width="stretch",
    )
