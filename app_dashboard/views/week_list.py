"""This week's list of one establishment: its three parts (to invite and to watch with the
reasons; in follow-up with the decision, its date, the solution and the risk then and now),
filters by level and class, the way to a student's page, and the exports for the Monday
meeting."""

import datetime as dt
from typing import Literal

import streamlit as st

from app_dashboard import runtime
from app_dashboard.auth import signed_in_actor
from app_dashboard.exports import deferred_export
from app_dashboard.formatting import day, number, percent
from app_dashboard.navigation import page_path
from app_dashboard.plain import plain_frame
from app_dashboard.tables import (
    csv_bytes,
    display_frame,
    follow_up_frame,
    list_frame,
    printable_html,
)
from features.calendar import monday_on_or_before
from models.queue import DEFAULT_FOLLOW_UP
from serving.services import ServiceError, get_week_list
from serving.services.dashboard_history import get_levels_and_classes
from serving.services.dashboard_scope import visible_establishments
from serving.services.policy import sees_names

t = runtime.t
actor = signed_in_actor()
store = runtime.store()
language = runtime.language()
st.title(t("page_list"))

try:
    choices = visible_establishments(store, actor)
except ServiceError as error:
    runtime.show_error(error)
    st.stop()

by_uai = {choice.uai: choice for choice in choices}
requested = st.query_params.get("uai") or st.session_state.get(runtime.UAI)
if requested and requested not in by_uai:
    # Out of scope (or unknown): ask the service anyway, so the attempt is refused and logged.
    try:
        get_week_list(store, actor, requested, monday_on_or_before(dt.date.today()))
    except ServiceError as error:
        runtime.show_error(error)
    st.stop()
if not choices:
    st.info(t("no_establishment"))
    st.stop()

uais = list(by_uai)
chooser, week_column = st.columns([3, 1])
uai = chooser.selectbox(
    t("establishment"),
    uais,
    index=uais.index(requested) if requested in by_uai else 0,
    format_func=lambda code: f"{by_uai[code].name} ({code})",
    disabled=len(uais) == 1,
)
weeks = by_uai[uai].weeks
requested_week = st.query_params.get("week")
week = week_column.selectbox(
    t("week"),
    weeks,
    index=weeks.index(dt.date.fromisoformat(requested_week))
    if requested_week and requested_week in {w.isoformat() for w in weeks}
    else 0,
    format_func=lambda monday: day(monday, language),
)
st.session_state[runtime.UAI] = uai
st.query_params["uai"] = uai
st.query_params["week"] = week.isoformat()

try:
    view = get_week_list(store, actor, uai, week)
except ServiceError as error:
    runtime.show_error(error)
    st.stop()

classes = None
try:  # the levels and classes of the week's snapshot, the one the list was scored from
    classes = get_levels_and_classes(store, actor, uai, view.week)
except ServiceError as error:
    runtime.show_error(error)
frame = list_frame(view, classes, language)
st.caption(
    t(
        "list_caption",
        name=view.establishment_name,
        week=day(view.week, language),
        capacity=view.weekly_interview_capacity,
        model=view.model_version,
    )
)
st.caption(t("live_marks_caption"))
if not sees_names(actor, uai):  # the watch unit and the MLDS of the establishment see names
    st.caption(t("pseudonymised"))

level_filter, class_filter = st.columns(2)
levels = sorted(level for level in frame["level"].dropna().unique())
chosen_levels = level_filter.multiselect(
    t("filter_level"), levels, key="filter_levels", placeholder=t("all")
)
shown = frame[frame["level"].isin(chosen_levels)] if chosen_levels else frame
class_ids = sorted(class_id for class_id in shown["class_id"].dropna().unique())
chosen_classes = class_filter.multiselect(
    t("filter_class"), class_ids, key="filter_classes", placeholder=t("all")
)
if chosen_classes:
    shown = shown[shown["class_id"].isin(chosen_classes)]

# The watched students (possibly many): a scrolling table of the same words and numbers as
# the students to invite (`display_frame`), columns sized by what they hold.
Width = Literal["small", "medium", "large"]
widths: dict[str, Width] = {
    "col_rank": "small", "col_level": "small", "col_class": "small", "col_risk": "small",
    "col_change": "small", "col_new": "small", "col_reasons": "large", "col_context": "small",
}  # fmt: skip
columns = {t(key): st.column_config.TextColumn(width=width) for key, width in widths.items()}
threshold = percent(view.watch_threshold, language, digits=0)
rule = view.follow_up_rule or DEFAULT_FOLLOW_UP
follow_up_help = t(
    "tier_follow_up_help",
    held=rule.held_weeks,
    dismissed=rule.dismissal_weeks,
    margin=number(rule.risk_margin * 100, language, digits=0),
)
for tier, title, help_text in (
    ("invite", t("tier_invite"), t("tier_invite_help")),
    ("watch", t("tier_watch"), t("tier_watch_help", threshold=threshold)),
    ("follow_up", t("tier_follow_up"), follow_up_help),
):
    part = shown[shown["tier"] == tier]
    st.subheader(f"{title} ({len(part)})", help=help_text)
    if part.empty:
        st.caption(t("empty_tier"))
        continue
    if tier == "invite":  # the few students to invite: full sentences, nothing cut
        from_data: tuple[str, ...] = ("student", "level", "class_id", "reasons")
        st.table(display_frame(plain_frame(part, from_data), language))
        continue
    if tier == "follow_up":  # the decision that keeps each one out of the slots
        from_data = ("student", "level", "class_id")
        st.table(follow_up_frame(plain_frame(part, from_data), language))
        continue
    st.dataframe(
        display_frame(part, language),
        column_config=columns,
        hide_index=True,
        width="stretch",
        key=f"table_{tier}",
    )

st.divider()
opener, button = st.columns([3, 1], vertical_alignment="bottom")
labels = dict(
    zip(frame["student_id"], frame["rank"].astype(str) + ". " + frame["student"], strict=True)
)
chosen = opener.selectbox(
    t("open_student"), list(labels), format_func=labels.__getitem__, key="student_chooser"
)
if button.button(t("open"), type="primary", icon=":material/person:") and chosen:
    st.session_state[runtime.STUDENT] = chosen
    st.query_params.clear()
    st.switch_page(page_path("student"))

csv_column, html_column = st.columns(2)
stem = f"vigie-{uai}-{view.week.isoformat()}"
keep = runtime.settings().dashboard.export_seconds
# Made at the click only, for a user still active, and swept soon after (app_dashboard.exports).
csv_column.download_button(
    t("export_csv"),
    deferred_export(store, actor, lambda: csv_bytes(frame, language), keep),
    file_name=f"{stem}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)
html_column.download_button(
    t("export_html"),
    deferred_export(store, actor, lambda: printable_html(view, frame, language), keep),
    file_name=f"{stem}.html",
    mime="text/html",
    icon=":material/print:",
    on_click="ignore",
    help=t("print_hint"),
)
