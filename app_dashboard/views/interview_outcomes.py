"""What the interviews achieve: the outcome of the interviews held, per establishment and
per solution proposed, read in the later extraction VIGIE_OUTCOMES_EXTRACTION names. An
inspector reads every establishment, a watch unit its own; aggregated counts only."""

from pathlib import Path

import pandas as pd
import streamlit as st

from app_dashboard import runtime
from app_dashboard.auth import signed_in_actor
from app_dashboard.formatting import day
from app_dashboard.outcome_tables import outcome_table
from features.validation import InvalidExtractionError
from serving.services import ServiceError
from serving.services.interview_outcomes import get_interview_outcomes
from training.interview_outcomes import ELSEWHERE, SMALL_CELL
from training.later_records import LaterEnrollments, read_later_enrollments

t = runtime.t
language = runtime.language()
st.title(t("page_interview_outcomes"))
store, actor = runtime.store(), signed_in_actor()
folder = runtime.settings().monitoring.outcomes_extraction


@st.cache_data(show_spinner=False, max_entries=2)
def _later(path: str, stamp: float) -> LaterEnrollments:
    """The later extraction's enrollments, read again when a file of it changes (`stamp`)."""
    return read_later_enrollments(path)


def _stamp(path: Path) -> float:
    return max((f.stat().st_mtime for f in path.iterdir() if f.is_file()), default=0.0)


if folder is None:
    st.info(t("outcomes_no_extraction"))
    st.stop()
try:
    later = _later(str(folder), _stamp(Path(folder)))
except (InvalidExtractionError, OSError, ValueError) as error:
    st.warning(t("outcomes_unreadable", reason=str(error).splitlines()[0][:200]))
    st.stop()
try:
    report = get_interview_outcomes(store, actor, later.enrollments, later.as_of)
except ServiceError as error:
    runtime.show_error(error)
    st.stop()

st.write(t("outcomes_intro", as_of=day(report.as_of, language), interviews=report.interviews,
           small=SMALL_CELL))  # fmt: skip
st.caption(t("outcomes_descriptive"))
if report.interviews == 0:
    st.info(t("outcomes_none"))
    st.stop()
frames: tuple[tuple[str, pd.DataFrame, str], ...] = (
    ("outcomes_by_establishment", report.by_establishment, "uai"),
    ("outcomes_by_solution", report.by_solution, "solution"),
)
for title, frame, by in frames:
    st.subheader(t(title))
    st.dataframe(outcome_table(frame, by, language), hide_index=True, width="stretch")
if ELSEWHERE in report.by_establishment.columns:
    st.caption(t("outcomes_elsewhere"))
