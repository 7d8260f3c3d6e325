"""The "Suivi" (monitoring) section of the drift page and of the admin's page: the monitoring
stored with a week (`serving.services.monitoring`; the latest, or the one picked among the
monitored weeks), its alerts first, then churn and slots per establishment, the drift of the
score, and the realised outcomes beside the promise."""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_dashboard import runtime
from app_dashboard.formatting import day, integer, number, percent
from app_dashboard.monitoring_alerts import alert_text, kind_label, scope_label
from app_dashboard.plain import plain
from serving.db.engine import Store
from serving.services import ServiceError
from serving.services.actor import Actor
from serving.services.monitoring import get_week_monitoring, monitored_weeks

__all__ = ["monitoring_section"]


def monitoring_section(
    store: Store, actor: Actor, *, pick_week: bool = False, note: str | None = None
) -> None:
    """Write the section (a message when nothing was monitored yet); `pick_week`: a choice
    of the monitored weeks, newest first (else the latest); `note`: a caption under the
    title."""
    t, language = runtime.t, runtime.language()
    st.header(t("monitoring_title"))
    if note is not None:
        st.caption(note)
    try:
        week = None
        if pick_week:
            weeks = monitored_weeks(store, actor)
            if weeks:
                week = st.selectbox(
                    t("monitoring_week"), weeks, key="monitoring_week",
                    format_func=lambda monday: day(monday, language),
                )  # fmt: skip
        view = get_week_monitoring(store, actor, week)
    except ServiceError as error:
        st.info(t("monitoring_none", reason=str(error)))
        return
    st.caption(t("monitoring_intro", week=day(view.week, language)))
    alerts = view.alerts
    if alerts:
        st.error(t("monitoring_alerts", count=len(alerts)), icon=":material/warning:")
        for alert in alerts:
            st.markdown("- " + plain(alert_text(alert, language)))
    else:
        st.success(t("monitoring_no_alert"), icon=":material/check_circle:")
    for kind, payload in sorted(view.payloads.items()):
        if "unavailable" in payload:
            st.caption(t("monitoring_unavailable", kind=kind_label(kind, language),
                         reason=payload["unavailable"]))  # fmt: skip
    _lists(view.payloads.get("lists", {}), language)
    drift = view.payloads.get("drift", {})
    if drift.get("score_psi") is not None:
        st.write(t("monitoring_score_psi", value=number(drift["score_psi"], language, 3)))
    _outcomes(view.payloads.get("outcomes", {}), language)


def _lists(payload: dict[str, Any], language: Any) -> None:
    rows = payload.get("establishments")
    if not rows:
        return
    t = runtime.t
    st.dataframe(
        {
            t("monitoring_col_establishment"): list(rows),
            t("monitoring_col_invited"): [integer(r["invited"], language) for r in rows.values()],
            t("monitoring_col_capacity"): [integer(r["capacity"], language)
                                           for r in rows.values()],
            t("monitoring_col_churn"): [percent(r["churn"], language, 0) for r in rows.values()],
            t("monitoring_col_slot_share"): [percent(r["slot_share"], language, 0)
                                             for r in rows.values()],
        },
        hide_index=True,
        width="stretch",
    )  # fmt: skip


def _outcomes(payload: dict[str, Any], language: Any) -> None:
    rows = payload.get("establishments")
    if not rows:
        return
    t = runtime.t
    overall = payload["overall"]
    table = {"overall": overall, **rows}
    st.dataframe(
        {
            t("monitoring_col_establishment"): [
                scope_label(key, language) for key in table
            ],
            t("monitoring_col_reached"): [integer(r["dropouts_reached"], language)
                                          for r in table.values()],
            t("monitoring_col_ahead"): [integer(r["dropouts_reached_ahead"], language)
                                        for r in table.values()],
            t("monitoring_col_precision"): [percent(r["invitation_precision"], language, 0)
                                            for r in table.values()],
        },
        hide_index=True,
        width="stretch",
    )  # fmt: skip
    promised = payload.get("promised") or {}
    if promised:
        st.caption(t(
            "monitoring_promised", version=payload.get("promised_by") or "—",
            precision=percent(promised.get("invitation_precision"), language, 0),
            coverage=percent(promised.get("dropout_coverage"), language, 0),
        ))  # fmt: skip
