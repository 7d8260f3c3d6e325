"""Drift of each model input between the training population and this week's students (the
latest week's recorded snapshot, `serving.lineage`), by population stability index, with
alerts over the threshold; then the weekly monitoring ("Suivi": alerts, churn, slots,
realised outcomes), shown even when the drift cannot be."""

from typing import NoReturn

import streamlit as st

from app_dashboard import runtime
from app_dashboard.auth import signed_in_actor
from app_dashboard.charts import drift_chart, localised
from app_dashboard.formatting import day, number
from app_dashboard.monitoring_section import monitoring_section
from app_dashboard.wording import vocabulary
from serving.lineage import WeekDataUnavailable
from serving.services import ServiceError
from serving.services.dashboard_drift import get_champion_drift, get_feature_drift
from serving.services.dashboard_scope import visible_establishments

t = runtime.t
language = runtime.language()
st.title(t("page_drift"))
settings = runtime.settings()
store, actor = runtime.store(), signed_in_actor()


def stop() -> NoReturn:
    """End the page after the monitoring section."""
    monitoring_section(store, actor)
    st.stop()


st.write(t("drift_intro", threshold=number(settings.dashboard.drift_threshold, language)))

try:
    weeks = sorted(
        {week for choice in visible_establishments(store, actor) for week in choice.weeks}
    )
except ServiceError as error:
    runtime.show_error(error)
    stop()
if not weeks:
    st.info(t("drift_unavailable", reason=t("drift_no_features", week="—")))
    stop()
week = weeks[-1]
week_shown = day(week, language)
# The training population: VIGIE_DRIFT_REFERENCE when set, else the sample of its training rows
# that the champion's training run logged.
try:
    if settings.dashboard.drift_reference is not None:
        report = get_feature_drift(
            store, actor, settings.dashboard.drift_reference, week,
            settings.dashboard.drift_threshold,
        )
        reference = t("drift_reference_file", file=settings.dashboard.drift_reference.name)
    else:
        report = get_champion_drift(
            store, actor, runtime.mlflow_client(), settings.model_name, week,
            settings.dashboard.drift_threshold,
        )  # fmt: skip
        reference = t("drift_reference_model", version=report.model_version)
except WeekDataUnavailable as error:  # this week's recorded data: said in the page's language
    runtime.show_error(error)
    stop()
except ServiceError as error:
    st.info(t("drift_unavailable", reason=str(error)))
    stop()
if report.reference_dates:
    dates = ", ".join(day(reference_day, language) for reference_day in report.reference_dates)
    st.caption(t("drift_reference_season", reference=reference, dates=dates, week=week_shown))
else:
    st.caption(t("drift_reference_all", reference=reference, week=week_shown))
drift = report.drift

alerts = int(drift["alert"].sum())
if alerts:
    st.error(t("drift_alerts", count=alerts), icon=":material/warning:")
else:
    st.success(t("drift_none"), icon=":material/check_circle:")
label = "label_en" if language == "en" else "label_fr"
chart = drift_chart(drift, label, settings.dashboard.drift_threshold, t("psi"))
st.altair_chart(localised(chart, language), width="stretch")
st.dataframe(
    {
        t("indicator"): drift[label],
        t("family"): drift["family"].map(lambda word: vocabulary("family", word, language)),
        t("psi"): drift["psi"].map(lambda value: number(value, language, 3)),
        t("level"): drift["level"].map(lambda word: vocabulary("drift", word, language)),
        t("alert"): drift["alert"].map(lambda alert: t("yes") if alert else t("no")),
    },
    hide_index=True,
    width="stretch",
)
monitoring_section(store, actor)
