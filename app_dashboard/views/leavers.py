"""The MLDS's page: the students who left its bassin without a solution (as of a date), with
filters by establishment and month of leaving, each student's path, interviews and contacts,
the form to record a contact and its outcome, and the CSV export (made at the click only,
as the watch list's)."""

import datetime as dt

import streamlit as st

from app_dashboard import runtime
from app_dashboard.auth import signed_in_actor
from app_dashboard.exports import deferred_export
from app_dashboard.formatting import day
from app_dashboard.leavers_tables import (
    contacts_frame,
    display_leavers,
    filtered,
    leavers_csv,
    leavers_frame,
    month_label,
    path_frame,
    student_name,
    suggested_titles,
)
from app_dashboard.plain import plain, plain_frame
from app_dashboard.wording import text, vocabulary
from serving.db.vocabulary import CONTACT_ACTIONS, CONTACT_OUTCOMES
from serving.services import ServiceError
from serving.services.leaver_views import ContactChanges, NewContact
from serving.services.leavers import get_leavers, record_contact, update_contact

t = runtime.t
actor = signed_in_actor()
store = runtime.store()
language = runtime.language()
st.title(t("page_leavers"))
st.caption(t("leavers_intro"))

today = dt.date.today()
try:
    requested = dt.date.fromisoformat(st.query_params.get("as_of", ""))
except ValueError:
    requested = today
as_of = st.date_input(
    t("leavers_as_of"), value=min(requested, today), max_value=today, format="DD/MM/YYYY"
)
st.query_params["as_of"] = as_of.isoformat()

try:  # the scope checked and the read audited, in the service
    view = get_leavers(store, actor, as_of)
except ServiceError as error:
    runtime.show_error(error)
    st.stop()
st.caption(t("leavers_week", week=day(view.week, language)))

frame = leavers_frame(view)
names = {leaver.uai: leaver.establishment_name for leaver in view.leavers}
uai_column, month_column = st.columns(2)
chosen_uais = uai_column.multiselect(
    t("leavers_filter_establishment"),
    view.establishments,
    format_func=lambda uai: f"{names.get(uai) or uai} ({uai})",
    key="leavers_uais",
    placeholder=text("all", language),
)
chosen_months = month_column.multiselect(
    t("leavers_filter_month"),
    sorted(frame["month"].unique(), reverse=True),
    format_func=lambda month: month_label(month, language),
    key="leavers_months",
    placeholder=text("all", language),
)
shown = filtered(frame, chosen_uais, chosen_months)
st.subheader(t("leavers_count", count=len(shown)))
if shown.empty:
    st.info(t("leavers_none"))
    st.stop()

# Text as is (st.dataframe renders no Markdown): names and establishment names are data.
st.dataframe(display_leavers(shown, language), hide_index=True, width="stretch")
keep = runtime.settings().dashboard.export_seconds
st.download_button(
    t("export_csv"),
    deferred_export(store, actor, lambda: leavers_csv(shown, language), keep),
    file_name=f"vigie-sortants-{as_of.isoformat()}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click="ignore",
)

st.divider()
st.subheader(t("leavers_open"))
by_id = {leaver.student_id: leaver for leaver in shown["leaver"]}
chosen = st.selectbox(
    t("leavers_col_student"),
    list(by_id),
    format_func=lambda student: f"{student_name(by_id[student])} ({student})",
    key="leavers_student",
)
leaver = by_id[chosen]
st.markdown(
    f"**{plain(student_name(leaver))}** — {plain(leaver.establishment_name or leaver.uai)}, "
    f"{plain(leaver.level)} · {t('leavers_col_left_on')} {day(leaver.left_on, language)} "
    f"({vocabulary('exit_kind', leaver.exit_kind, language)})"
)
st.caption(t("leavers_path"))
path = path_frame(leaver, language)
st.table(plain_frame(path, [text("leavers_col_path_establishment", language)]))
st.caption(t("leavers_suggested_title"))
st.caption(t("leavers_suggested_note"))
if not leaver.suggestions:
    st.caption(t("leavers_suggested_none"))
for suggestion, title in zip(leaver.suggestions, suggested_titles(leaver, language), strict=True):
    with st.expander(title):
        for check in suggestion.checks:
            mark = "✓" if check.met else "✗"
            st.markdown(f"{mark} {plain(check.text_en if language == 'en' else check.text_fr)}")
        st.caption(t("leavers_source", source=suggestion.source))
st.caption(t("leavers_contacts"))
if leaver.contacts:
    st.table(contacts_frame(leaver, language))
else:
    st.caption(t("leavers_no_contact"))

record_column, update_column = st.columns(2)
with record_column.form("leavers_new_contact", clear_on_submit=True):
    st.markdown(f"**{t('leavers_new_contact')}**")
    contact_date = st.date_input(
        t("leavers_contact_date"), value=today, max_value=today, format="DD/MM/YYYY"
    )
    action = st.selectbox(
        t("leavers_col_action"),
        CONTACT_ACTIONS,
        format_func=lambda word: vocabulary("contact_action", word, language),
    )
    outcome = st.selectbox(
        t("leavers_col_outcome"),
        CONTACT_OUTCOMES,
        format_func=lambda word: vocabulary("contact_outcome", word, language),
    )
    if st.form_submit_button(t("leavers_record"), icon=":material/check:"):
        try:
            record_contact(
                store,
                actor,
                NewContact(
                    student_id=leaver.student_id,
                    contact_date=contact_date,
                    action=action,
                    outcome=outcome,
                ),
            )
        except ServiceError as error:
            runtime.show_error(error)
        else:
            st.toast(t("leavers_recorded"))
            st.rerun()

if leaver.contacts:
    contacts = {contact.id: contact for contact in leaver.contacts}
    with update_column.form("leavers_change_contact"):
        st.markdown(f"**{t('leavers_change_contact')}**")
        contact_id = st.selectbox(
            t("leavers_which_contact"),
            list(contacts),
            format_func=lambda key: (
                f"{day(contacts[key].contact_date, language)} — "
                f"{vocabulary('contact_action', contacts[key].action, language)}"
            ),
        )
        new_outcome = st.selectbox(
            t("leavers_col_outcome"),
            CONTACT_OUTCOMES,
            format_func=lambda word: vocabulary("contact_outcome", word, language),
            key="leavers_new_outcome",
        )
        if st.form_submit_button(t("leavers_update"), icon=":material/edit:"):
            revision = contacts[contact_id].revision
            try:
                update_contact(
                    store,
                    actor,
                    contact_id,
                    ContactChanges(outcome=new_outcome, expected_revision=revision),
                )
            except ServiceError as error:
                runtime.show_error(error)
            else:
                st.toast(t("leavers_updated"))
                st.rerun()
