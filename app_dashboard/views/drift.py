"""Drift of each model input between the training population and this week's students
(population stability index), with alerts over the threshold."""

import streamlit as st

from app_dashboard import runtime
from app_dashboard.charts import drift_chart
from app_dashboard.wording import vocabulary
from serving.services import ServiceError
from serving.services.dashboard_drift import get_champion_drift, get_feature_drift
from serving.services.dashboard_scope import visible_establishments

t = runtime.t
language = runtime.language()
st.title(t("page_drift"))
settings = runtime.settings()
store, actor = runtime.store(), runtime.actor()
st.write(t("drift_intro", threshold=settings.drift_threshold))

try:
    weeks = sorted(
        {week for choice in visible_establishments(store, actor) for week in choice.weeks}
    )
except ServiceError as error:
    runtime.show_error(error)
    st.stop()
week = weeks[-1].isoformat() if weeks else None
current = settings.features_file(week) if week else None
if current is None:
    st.info(t("drift_unavailable", reason=t("drift_no_features", week=week or "-")))
    st.stop()
# The training population: VIGIE_DRIFT_REFERENCE when set, else the sample of its training rows
# that the champion's training run logged.
try:
    if settings.drift_reference is not None:
        report = get_feature_drift(
            store, actor, settings.drift_reference, current, settings.drift_threshold
        )
        reference = t("drift_reference_file", file=settings.drift_reference.name)
    else:
        report = get_champion_drift(
            store, actor, runtime.mlflow_client(), settings.model_name, current,
            settings.drift_threshold,
        )  # fmt: skip
        reference = t("drift_reference_model", version=report.model_version)
except ServiceError as error:
    st.info(t("drift_unavailable", reason=str(error)))
    st.stop()
if report.reference_dates:
    dates = ", ".join(day.isoformat() for day in report.reference_dates)
    st.caption(t("drift_reference_season", reference=reference, dates=dates, week=week))
else:
    st.caption(t("drift_reference_all", reference=reference, week=week))
drift = report.drift

alerts = int(drift["alert"].sum())
if alerts:
    st.error(t("drift_alerts", count=alerts), icon=":material/warning:")
else:
    st.success(t("drift_none"), icon=":material/check_circle:")
label = "label_en" if language == "en" else "label_fr"
st.altair_chart(drift_chart(drift, label, settings.drift_threshold, t("psi")), width="stretch")
shown = drift.assign(
    level=drift["level"].map(lambda word: vocabulary("drift", word, language)),
    family=drift["family"].map(lambda word: vocabulary("family", word, language)),
)
st.dataframe(
    shown.loc[:, ["feature", label, "family", "psi", "level", "alert"]].rename(
        columns={label: t("indicator"), "family": t("family"), "psi": t("psi"), "level": t("level")}
    ),
    hide_index=True,
    width="stretch",
)
