"""The audit log, newest first, filterable by user, action, outcome and student."""

import pandas as pd
import streamlit as st

from app_dashboard import runtime
from app_dashboard.auth import signed_in_actor
from app_dashboard.tables import audit_frame
from app_dashboard.wording import vocabulary
from serving.services import ServiceError, list_audit_log

t = runtime.t
language = runtime.language()
st.title(t("page_audit_log"))

student_column, limit_column = st.columns([3, 1])
student = student_column.text_input(t("audit_filter_student"), key="audit_student").strip()
limit = limit_column.number_input(
    t("audit_limit"), min_value=10, max_value=5000, value=500, step=100, key="audit_limit"
)
try:
    entries = list_audit_log(
        runtime.store(), signed_in_actor(), student_id=student or None, limit=int(limit)
    )
except ServiceError as error:
    runtime.show_error(error)
    st.stop()

frame = pd.DataFrame([entry.model_dump() for entry in entries])
if frame.empty:
    st.caption("—")
    st.stop()
user_column, action_column, outcome_column = st.columns(3)
users = user_column.multiselect(
    t("audit_filter_user"),
    sorted(frame["username"].dropna().unique()),
    key="audit_users",
    placeholder=t("all"),
)
actions = action_column.multiselect(
    t("audit_filter_action"),
    sorted(frame["action"].unique()),
    format_func=lambda word: vocabulary("action", word, language),
    key="audit_actions",
    placeholder=t("all"),
)
outcomes = outcome_column.multiselect(
    t("audit_filter_outcome"),
    ["allowed", "denied"],
    format_func=lambda word: vocabulary("outcome", word, language),
    key="audit_outcomes",
    placeholder=t("all"),
)
if users:
    frame = frame[frame["username"].isin(users)]
if actions:
    frame = frame[frame["action"].isin(actions)]
if outcomes:
    frame = frame[frame["outcome"].isin(outcomes)]
st.dataframe(audit_frame(frame, language), hide_index=True, width="stretch")
