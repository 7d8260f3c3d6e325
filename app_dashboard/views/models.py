"""Registered versions with their aliases and metrics, champion against challenger on the
same test weeks (precision at capacity per week), and the way to the MLflow UI."""

import pandas as pd
import streamlit as st

from app_dashboard import runtime
from app_dashboard.auth import signed_in_actor
from app_dashboard.charts import localised, precision_weeks_chart
from app_dashboard.formatting import integer, number, percent
from app_dashboard.wording import RATE_METRICS, aliases_text, metric_label, vocabulary
from models.registry import CHALLENGER, CHAMPION
from serving.services import ServiceError
from serving.services.dashboard_models import list_model_versions, precision_at_k_by_week

t = runtime.t
language = runtime.language()
st.title(t("page_models"))
settings = runtime.settings()
store, actor, client = runtime.store(), signed_in_actor(), runtime.mlflow_client()
st.link_button(t("mlflow_link"), settings.dashboard.mlflow_ui_url, icon=":material/open_in_new:")

try:
    versions = list_model_versions(store, actor, client, settings.model_name)
except ServiceError as error:
    runtime.show_error(error)
    st.stop()

st.subheader(t("registered_versions"))
rows = []
for version in versions:
    row = {
        t("version"): version.version,
        t("aliases"): aliases_text(version.aliases, language),
        t("created"): version.created_at.strftime("%Y-%m-%d %H:%M"),
    }
    for name, value in sorted(version.metrics.items()):
        shown = percent(value, language) if name in RATE_METRICS else number(value, language, 3)
        row[metric_label(name, language)] = shown
    rows.append(row)
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

st.subheader(t("champion_vs_challenger"))
aliases = {alias for version in versions for alias in version.aliases}
compared: list[str] = [alias for alias in (CHAMPION, CHALLENGER) if alias in aliases]
if not compared:
    compared = [versions[0].version] if versions else []
try:
    weekly = precision_at_k_by_week(store, actor, client, settings.model_name, compared)
except ServiceError as error:
    st.info(t("no_challenger", reason=str(error)))
else:
    if not weekly.empty:
        st.caption(t("precision_weeks"))
        # A compared alias reads as a word (« en service (champion) »), a version as itself.
        weekly = weekly.assign(
            version=weekly["version"].map(lambda v: vocabulary("alias", v, language))
        )
        chart = precision_weeks_chart(weekly, t("week"), t("precision_at_k"), t("version"))
        st.altair_chart(localised(chart, language), width="stretch")
        summary = weekly.groupby("version", as_index=False).agg(
            weeks=("week", "nunique"), listed=("listed", "sum"), dropouts=("dropouts", "sum")
        )
        precision = summary["dropouts"] / summary["listed"].where(summary["listed"] > 0)
        st.dataframe(
            {
                t("version"): summary["version"].astype(str),
                t("weeks_tested"): summary["weeks"].map(lambda n: integer(n, language)),
                t("listed"): summary["listed"].map(lambda n: integer(n, language)),
                t("dropouts"): summary["dropouts"].map(lambda n: integer(n, language)),
                t("precision_at_k"): precision.map(lambda p: percent(p, language)),
            },
            hide_index=True,
            width="stretch",
        )
