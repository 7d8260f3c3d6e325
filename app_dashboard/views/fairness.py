"""Fairness audit of the model in service: metrics by group with confidence intervals, the
disparity chart with the 0.8-1.25 band, small groups marked, explanation differences between
groups, proxy findings and top-reason families per group. Aggregates only (pseudonymised by
construction), read from the audit the training run logged."""

import pandas as pd
import streamlit as st

from app_dashboard import runtime
from app_dashboard.charts import disparity_chart
from serving.services import ServiceError
from serving.services.dashboard_models import get_fairness_report
from training.fairness.groups import group_label, grouping_label
from training.fairness.wording import METRIC_LABELS, STATUS_LABELS, label

t = runtime.t
language = runtime.language()
st.title(t("page_fairness"))
settings = runtime.settings()
try:
    version, report = get_fairness_report(
        runtime.store(), runtime.actor(), runtime.mlflow_client(), settings.model_name
    )
except ServiceError as error:
    st.info(t("no_report", reason=str(error)))
    st.stop()


def _readable(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if "grouping" in out:
        out["grouping"] = out["grouping"].map(lambda name: grouping_label(name, language))
    if "group" in out:
        out["group"] = out["group"].astype(str).map(lambda name: group_label(name, language))
    if "metric" in out:
        out["metric"] = out["metric"].map(lambda name: label(METRIC_LABELS, name, language))
    headers = {
        "grouping": t("grouping"),
        "group": t("group"),
        "metric": t("metric"),
        "students": t("students"),
        "ratio": t("ratio"),
        "family": t("family"),
    }
    return out.rename(columns=headers)


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
    st.altair_chart(disparity_chart(chosen, band, t("ratio"), t("group")), width="stretch")
    st.caption(t("band"))
    small = chosen[chosen["status"] == "too_small"]
    if not small.empty:
        names = ", ".join(small["grouping"] + " · " + small["group"])
        st.caption(f"{t('too_small')} : {names}")

st.subheader(t("metrics_by_group"))
group_metrics = pd.DataFrame(report.get("group_metrics", []))
if not group_metrics.empty:
    judged = group_metrics.get("judged")
    shown = _readable(group_metrics)
    if judged is not None:
        shown.insert(2, t("too_small"), ~judged.astype(bool))
    st.dataframe(shown, hide_index=True, width="stretch")
    statuses = disparities.assign(
        status=disparities["status"].map(lambda name: label(STATUS_LABELS, name, language))
    )
    with st.expander(t("disparity_title")):
        st.dataframe(_readable(statuses), hide_index=True, width="stretch")

for key, title in (
    ("widest_differences", "shap_differences"),
    ("proxies", "proxies_title"),
    ("reason_families", "reason_families"),
):
    st.subheader(t(title))
    frame = pd.DataFrame(report.get(key, []))
    if frame.empty:
        st.caption("—")
    else:
        st.dataframe(_readable(frame), hide_index=True, width="stretch")
