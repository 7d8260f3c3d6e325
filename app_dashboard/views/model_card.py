"""Model card of the model in service: intended use, data, metrics at capacity against the
rules schools use, limits, fairness results and the version history."""

import pandas as pd
import streamlit as st

from app_dashboard import runtime
from app_dashboard.auth import signed_in_actor
from app_dashboard.exports import deferred_export
from app_dashboard.fairness_tables import (
    out_of_band_table,
    performance_table,
    training_data_table,
)
from app_dashboard.formatting import MISSING, percent
from app_dashboard.model_card_document import gather_model_card, model_card_html
from app_dashboard.plain import plain
from app_dashboard.wording import aliases_text
from models.registry import CHAMPION
from serving.services import ServiceError
from serving.services.dashboard_models import (
    get_comparison,
    get_fairness_report,
    list_model_versions,
)

t = runtime.t
language = runtime.language()
st.title(t("page_model_card"))
settings = runtime.settings()
store, actor, client = runtime.store(), signed_in_actor(), runtime.mlflow_client()

try:
    versions = list_model_versions(store, actor, client, settings.model_name)
except ServiceError as error:
    runtime.show_error(error)
    st.stop()
champion = next((v for v in versions if CHAMPION in v.aliases), None)
shown = champion or (versions[0] if versions else None)
if shown is None:
    st.info(t("no_report", reason=settings.model_name))
    st.stop()

st.markdown(
    f"**{plain(settings.model_name)}** · {t('version')} {plain(shown.version)} · "
    f"{plain(aliases_text(shown.aliases, language))}"
)
st.write(t("model_card_intro"))
shown_version = shown.version
st.download_button(
    t("model_card_download"),
    # Made at the click only, for a user still active (app_dashboard.exports); audited reads.
    deferred_export(
        store, actor,
        lambda: model_card_html(
            gather_model_card(store, actor, client, settings.model_name, shown_version), language
        ),
        settings.dashboard.export_seconds,
    ),
    file_name=f"vigie-model-card-{shown_version}.html",
    mime="text/html",
    icon=":material/print:",
    on_click="ignore",
)  # fmt: skip

st.subheader(t("data_section"))
st.dataframe(training_data_table(shown.params, language), hide_index=True, width="stretch")

st.subheader(t("metrics_at_capacity"))
try:
    _, comparison = get_comparison(store, actor, client, settings.model_name, shown.version)
except ServiceError as error:
    st.caption(plain(error))
else:
    performance = performance_table(comparison.get("models", {}), language)
    st.dataframe(performance, hide_index=True, width="stretch")

st.subheader(t("fairness_section"))
try:
    _, fairness = get_fairness_report(store, actor, client, settings.model_name, shown.version)
except ServiceError as error:
    st.caption(t("no_report", reason=str(error)))
else:
    gate = fairness.get("gate") or {}
    st.write(t("gate_passed") if gate.get("passed") else t("gate_failed"))
    if gate.get("out_of_band"):
        records = [{"metric": gate.get("metric", "recall"), **r} for r in gate["out_of_band"]]
        st.dataframe(out_of_band_table(records, language), hide_index=True, width="stretch")

st.subheader(t("model_card_limits").split(":")[0])
st.write(t("model_card_limits"))

st.subheader(t("versions"))
st.dataframe(
    pd.DataFrame(
        [
            {
                t("version"): v.version,
                t("aliases"): aliases_text(v.aliases, language),
                t("created"): v.created_at.strftime("%Y-%m-%d %H:%M"),
                t("precision_at_k"): percent(v.metrics.get("precision_at_k"), language),
                t("recall_at_k"): percent(v.metrics.get("recall_at_k"), language),
                t("training_run"): v.run_id or MISSING,
            }
            for v in versions
        ]
    ),
    hide_index=True,
    width="stretch",
)
