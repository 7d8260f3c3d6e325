"""Fairness audit of the model in service: metrics by group with confidence intervals, the
disparity chart with the 0.8-1.25 band, small groups marked, explanation differences between
groups, proxy findings and top-reason families per group. Aggregates only (pseudonymised by
construction), read from the audit the training run logged. Last, how often the solutions
recorded after held interviews followed the suggested ones (from the store)."""

import pandas as pd
import streamlit as st

from app_dashboard import runtime
from app_dashboard.auth import signed_in_actor
from app_dashboard.charts import disparity_chart, localised
from app_dashboard.fairness_tables import (
    disparities_table,
    explanation_differences_table,
    metrics_table,
    proxies_table,
    reason_families_table,
)
from app_dashboard.formatting import number
from app_dashboard.solutions_section import show_followed
from serving.services import ServiceError
from serving.services.dashboard_models import get_fairness_report
from serving.services.solutions import get_suggestion_followed
from training.fairness.groups import group_label, grouping_label
from training.fairness.wording import METRIC_LABELS, STATUS_LABELS, label

t = runtime.t
language = runtime.language()
st.title(t("page_fairness"))
settings = runtime.settings()


def choices_and_suggestions() -> None:
    """How often the recorded solutions followed the suggested ones (aggregates, audited)."""
    try:
        followed = get_suggestion_followed(runtime.store(), signed_in_actor())
    except ServiceError as error:
        runtime.show_error(error)
    else:
        show_followed(followed, language)


try:
    version, report = get_fairness_report(
        runtime.store(), signed_in_actor(), runtime.mlflow_client(), settings.model_name
    )
except ServiceError as error:
    st.info(t("no_report", reason=str(error)))
    choices_and_suggestions()
    st.stop()


st.write(t("fairness_intro", version=version))
gate = report.get("gate") or {}
if gate.get("passed"):
    st.success(t("gate_passed"), icon=":material/verified:")
elif gate:
    st.error(t("gate_failed"), icon=":material/warning:")

band = tuple(report.get("config", {}).get("band", (0.8, 1.25)))
disparities = pd.DataFrame(report.get("disparities", []))
st.subheader(t("disparity_title"))
if not disparities.empty:
    metrics = list(dict.fromkeys(disparities["metric"]))
    metric = st.selectbox(
        t("metric"),
        metrics,
        index=metrics.index("recall") if "recall" in metrics else 0,
        format_func=lambda name: label(METRIC_LABELS, name, language),
    )
    chosen = disparities[(disparities["metric"] == metric) & (disparities["status"] != "reference")]
    chosen = chosen.assign(
        group=chosen["group"].astype(str).map(lambda name: group_label(name, language)),
        grouping=chosen["grouping"].map(lambda name: grouping_label(name, language)),
    )
    verdicts = {code: label(STATUS_LABELS, code, language) for code in STATUS_LABELS}
    chart = disparity_chart(chosen, band, t("ratio"), t("group"), verdicts, language)
    st.altair_chart(localised(chart, language), width="stretch")
    st.caption(t("band", low=number(band[0], language), high=number(band[1], language)))
    small = chosen[chosen["status"] == "too_small"]
    if not small.empty:
        names = ", ".join(small["grouping"] + " · " + small["group"])
        st.caption(t("too_small_list", names=names))

st.subheader(t("metrics_by_group"))
if report.get("group_metrics"):
    st.dataframe(metrics_table(report["group_metrics"], language), hide_index=True, width="stretch")
    with st.expander(t("disparity_title")):
        st.dataframe(disparities_table(report.get("disparities", []), language), hide_index=True,
                     width="stretch")  # fmt: skip

for key, title, table in (
    ("widest_differences", "shap_differences", explanation_differences_table),
    ("proxies", "proxies_title", proxies_table),
    ("reason_families", "reason_families", reason_families_table),
):
    st.subheader(t(title))
    if not report.get(key):
        st.caption("—")
    else:
        st.dataframe(table(report[key], language), hide_index=True, width="stretch")

choices_and_suggestions()
