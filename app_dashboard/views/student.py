"""One student's page: the risk of leaving within the label's horizon over the weeks, this
week's reasons and the waterfall of the risk in probability points, absences per week, grades
per period and subject, exams, the solutions the eligibility rules suggest today (each with
its rule, facts and source), past interviews (with what was suggested beside each recorded
solution) and dismissals; the watch unit records an interview (the suggested solutions marked
in the form, the choice free) or dismisses the student here (saved at once)."""

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from app_dashboard import runtime
from app_dashboard.auth import signed_in_actor
from app_dashboard.charts import (
    absences_chart,
    localised,
    risk_chart,
    waterfall_chart,
)
from app_dashboard.exports import deferred_export
from app_dashboard.formatting import MISSING, day, integer, percent, points
from app_dashboard.plain import plain
from app_dashboard.solutions_section import (
    interview_suggestion_line,
    show_solutions,
    solution_format,
    suggested_words,
)
from app_dashboard.tables import context_line, exams_frame, grades_frame, reason_line
from app_dashboard.wording import text, vocabulary
from serving.db.vocabulary import (
    INTERVIEW_SOLUTIONS,
    INTERVIEW_STATUSES,
    INTERVIEW_TRANSITIONS,
    OPEN_INTERVIEW_STATUSES,
)
from serving.documents.notice_html import contacts_of, notice_html
from serving.services import (
    InterviewChanges,
    NewDismissal,
    NewInterview,
    ServiceError,
    dismiss_student,
    get_student_record,
    record_interview,
    update_interview,
)
from serving.services.actor import may_issue_notice, may_read_explanation, may_record
from serving.services.dashboard_explain import get_student_waterfall
from serving.services.dashboard_history import get_student_events
from serving.services.notice import issue_notice
from serving.services.solutions import get_student_solutions
from serving.solutions.views import SolutionsView

t = runtime.t
actor = signed_in_actor()
store = runtime.store()
language = runtime.language()
FLASH = "vigie_flash"

student_id = st.query_params.get("student") or st.session_state.get(runtime.STUDENT)
if not student_id:
    st.title(t("page_student"))
    st.info(t("choose_student"))
    st.stop()

try:
    record = get_student_record(store, actor, student_id)
except ServiceError as error:
    st.title(t("page_student"))
    runtime.show_error(error)
    st.stop()
st.session_state[runtime.STUDENT] = student_id
st.query_params["student"] = student_id

name = " ".join(part for part in (record.last_name, record.first_name) if part)
st.title(plain(name or record.student_id))
st.caption(
    f"{t('student_id')} {plain(record.student_id)} · {t('establishment')} {plain(record.uai)}"
)
if not name:
    st.caption(t("pseudonymised"))
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH), icon=":material/check_circle:")

latest = record.history[0] if record.history else None
if latest is not None:
    risk_column, rank_column, week_column = st.columns(3)
    previous = record.history[1].risk if len(record.history) > 1 else None
    risk_column.metric(
        t("risk_now"),
        percent(latest.risk, language, digits=0),
        # Streamlit draws the arrow from a leading "-": the French minus sign is given as one.
        delta=None
        if previous is None
        else text(
            "risk_change_week", language, points=points(latest.risk - previous, language)
        ).replace("\u2212", "-", 1),
        # Red when the risk rises, green when it falls, grey when it holds.
        delta_color="off"
        if previous is None or round(latest.risk - previous, 3) == 0
        else "inverse",
        help=t("risk_help"),
    )
    rank_column.metric(t("rank_now"), integer(latest.rank, language))
    week_column.metric(t("week"), day(latest.week, language))
    st.subheader(t("reasons_title"))
    for reason in latest.reasons:
        st.markdown(f"- {plain(reason_line(reason, language))}")
    if not latest.reasons:
        st.markdown(t("no_reason"))
    st.caption(plain(context_line(latest.context, language)))
    # The week's explanation and notice are read through the establishment that listed the
    # student that week: a student who moved in shows the former school's week until the
    # new school lists them, and neither is offered for it.
    listed_in_scope = may_read_explanation(actor, latest.uai)
    if listed_in_scope and may_issue_notice(actor, record.uai):
        # The family's notice of this week's entry, made at the click only (audited).
        settings, notice_week, notice_student = runtime.settings(), latest.week, record.student_id
        st.download_button(
            t("notice_download"),
            deferred_export(
                store, actor,
                lambda: notice_html(
                    issue_notice(store, actor, notice_student, notice_week), language,
                    contacts_of(settings.notice),
                ),
                settings.dashboard.export_seconds,
            ),
            file_name=f"vigie-notice-{student_id}-{notice_week.isoformat()}.html",
            mime="text/html",
            icon=":material/description:",
            on_click="ignore",
            help=t("notice_help"),
        )  # fmt: skip

    history = pd.DataFrame(
        [{"week": point.week, "risk": point.risk, "rank": point.rank} for point in record.history]
    )
    st.subheader(t("risk_title"))
    st.altair_chart(
        localised(risk_chart(history, t("week"), t("col_risk")), language), width="stretch"
    )

    st.subheader(t("waterfall_title"))
    if not listed_in_scope:
        st.caption(t("waterfall_other_list"))
    else:
        try:
            # The contributions recorded with this week's list, with its model's calibration.
            waterfall = get_student_waterfall(
                store, actor, student_id, latest.week, runtime.risk_model
            )
        except ServiceError as error:
            runtime.show_error(error)
        except Exception as error:  # no model reachable: say so, keep the page
            st.info(t("waterfall_unavailable", reason=type(error).__name__))
        else:
            # The watch unit reads probabilities: each step from the risk before it to the risk
            # after it, as the service computed them through the model's own calibration (the
            # log-odds stay on the data scientist's fairness page).
            steps, base_risk = waterfall.steps, waterfall.base_risk
            label = "label_en" if language == "en" else "label_fr"
            st.caption(
                t(
                    "waterfall_help",
                    base=percent(base_risk, language),
                    risk=percent(waterfall.risk, language),
                )
            )
            titles = {
                "base": t("waterfall_base"),
                "axis": t("waterfall_axis"),
                "effect": t("waterfall_step"),
                "indicator": t("indicator"),
            }
            st.altair_chart(
                localised(waterfall_chart(steps, base_risk, label, titles), language),
                width="stretch",
            )

events_column, grades_column = st.columns(2)
events = None
try:
    # From the extraction the week was scored from (the latest week written when the student
    # was never listed).
    events = get_student_events(
        store, actor, student_id, latest.week if latest is not None else None
    )
except ServiceError as error:
    if "extraction has no readable" in str(error):
        st.info(t("no_events"))
    else:
        runtime.show_error(error)
if events is not None:
    with events_column:
        st.subheader(t("absences_title"))
        st.altair_chart(
            localised(
                absences_chart(
                    events.absences, t("justified"), t("unjustified"), t("week"), t("half_days")
                ),
                language,
            ),
            width="stretch",
        )
    with grades_column:
        st.subheader(t("grades_title"))
        st.dataframe(grades_frame(events.grades, language), hide_index=True, width="stretch")
        st.subheader(t("exams_title"))
        if events.exams.empty:
            st.caption(t("no_exam"))
        else:
            st.dataframe(exams_frame(events.exams, language), hide_index=True, width="stretch")

st.subheader(t("solutions_title"))
suggestions: SolutionsView | None = None
try:
    # Today's facts from the latest week's extraction, against the rules in use (audited).
    suggestions = get_student_solutions(store, actor, student_id)
except ServiceError as error:
    st.info(t("solutions_unavailable", reason=str(error)))
else:
    show_solutions(suggestions, language)

st.subheader(t("interviews_title"))
if not record.interviews:
    st.caption(t("no_interview"))
for interview in reversed(record.interviews):
    when = day(interview.interview_date, language)
    line = f"**{vocabulary('status', interview.status, language)}** · {when}"
    if interview.solution:
        line += f" · {vocabulary('solution', interview.solution, language)}"
    if interview.uai != record.uai:  # written by a former school
        line += f" · {t('establishment')} {interview.uai}"
    line += " · " + t(
        "by_on", who=interview.updated_by, when=f"{interview.updated_at:%d/%m/%Y %H:%M}"
    )
    st.markdown(line)
    suggested_then = interview_suggestion_line(interview.suggested_solutions, language)
    if interview.solution and suggested_then:
        st.caption(plain(suggested_then))
    if interview.notes:
        st.caption(plain(interview.notes))
    elif interview.notes_withheld:
        st.caption(f"*{t('notes_withheld')}*")
if record.dismissals:
    st.subheader(t("dismissals_title"))
    for dismissal in reversed(record.dismissals):
        why = (
            f"*{t('reason_withheld')}*"
            if dismissal.reason_withheld
            else plain(dismissal.reason or MISSING)
        )
        st.markdown(
            f"{dismissal.week:%d/%m/%Y} · {why} · "
            + t("by_on", who=dismissal.created_by, when=f"{dismissal.created_at:%d/%m/%Y}")
        )

if not may_record(actor, record.uai):
    st.caption(t("read_only_role"))
    st.stop()


def _saved(message: str) -> None:
    st.session_state[FLASH] = message
    st.rerun()


def _refused(error: Exception) -> None:
    if isinstance(error, ServiceError):
        runtime.show_error(error)
    else:
        st.error(t("invalid", message=str(error).splitlines()[0]))


# Only an interview of the student's current establishment can be changed here (one left
# open by a former school stays as it was written).
open_interview = next(
    (
        i
        for i in reversed(record.interviews)
        if i.status in OPEN_INTERVIEW_STATUSES and i.uai == record.uai
    ),
    None,
)
solutions = [None, *INTERVIEW_SOLUTIONS]
# The suggested solutions marked; a person chooses freely (the suggestion is recorded beside).
solution_words = solution_format(suggested_words(suggestions), language)
record_column, dismiss_column = st.columns(2)
with record_column:
    if open_interview is None:
        st.subheader(t("record_title"))
        with st.form("record_interview", clear_on_submit=True):
            status = st.selectbox(
                t("status"),
                INTERVIEW_STATUSES,
                format_func=lambda word: vocabulary("status", word, language),
                key="new_status",
            )
            interview_day = st.date_input(t("interview_date"), value=None, key="new_date")
            solution = st.selectbox(
                t("solution"),
                solutions,
                format_func=solution_words,
                key="new_solution",
                help=t("solution_form_help"),
            )
            notes = st.text_area(t("notes"), key="new_notes", max_chars=4000)
            if st.form_submit_button(t("save"), type="primary"):
                try:
                    record_interview(
                        store,
                        actor,
                        NewInterview(
                            student_id=student_id,
                            status=status,
                            interview_date=interview_day,
                            solution=solution,
                            notes=notes or None,
                        ),
                    )
                except (ServiceError, ValidationError) as error:
                    _refused(error)
                else:
                    _saved(t("saved"))
    else:
        st.subheader(t("update_title"))
        allowed = [open_interview.status, *sorted(INTERVIEW_TRANSITIONS[open_interview.status])]
        with st.form("update_interview"):
            new_status = st.selectbox(
                t("status"),
                allowed,
                format_func=lambda word: vocabulary("status", word, language),
                key="update_status",
            )
            interview_day = st.date_input(
                t("interview_date"), value=open_interview.interview_date, key="update_date"
            )
            new_solution = st.selectbox(
                t("solution"),
                solutions,
                index=solutions.index(open_interview.solution),
                format_func=solution_words,
                key="update_solution",
                help=t("solution_form_help"),
            )
            notes = st.text_area(
                t("notes"), value=open_interview.notes or "", key="update_notes", max_chars=4000
            )
            if st.form_submit_button(t("save"), type="primary"):
                try:
                    update_interview(
                        store,
                        actor,
                        open_interview.id,
                        InterviewChanges(
                            status=new_status,
                            interview_date=interview_day,
                            solution=new_solution,
                            notes=notes or None,
                            expected_revision=open_interview.revision,
                        ),
                    )
                except (ServiceError, ValidationError) as error:
                    _refused(error)
                else:
                    _saved(t("saved"))
with dismiss_column:
    st.subheader(t("dismiss_title"))
    with st.form("dismiss", clear_on_submit=True):
        why = st.text_area(t("dismiss_reason"), key="dismiss_reason", max_chars=2000)
        if st.form_submit_button(t("dismiss")):
            try:
                dismiss_student(
                    store,
                    actor,
                    NewDismissal(
                        student_id=student_id,
                        reason=why,
                        week=latest.week if latest is not None else None,
                    ),
                )
            except (ServiceError, ValidationError) as error:
                _refused(error)
            else:
                _saved(t("dismissed"))
