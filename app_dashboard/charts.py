"""Altair charts of the dashboard, built from plain frames (no Streamlit here), with their
axis titles passed in, and their numbers written the page's way (`localised`), so every chart
speaks the page's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import altair as alt
import pandas as pd

from app_dashboard.formatting import NNBSP, interval

__all__ = [
    "absences_chart",
    "disparity_chart",
    "drift_chart",
    "localised",
    "precision_weeks_chart",
    "risk_chart",
    "waterfall_chart",
]

_BLUE, _RED, _GREY, _ORANGE = "#1f4e79", "#c0392b", "#9aa5b1", "#e67e22"
# How Vega writes numbers on the axes and in tooltips (d3-format locales), per language.
_NUMBER_LOCALES: dict[str, dict[str, Any]] = {
    "fr": {"decimal": ",", "thousands": NNBSP, "grouping": [3], "currency": ["", " €"],
           "percent": f"{NNBSP}%", "minus": "\u2212"},
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", " €"],
           "percent": "%", "minus": "-"},
}  # fmt: skip


Chart = TypeVar("Chart", bound=alt.TopLevelMixin)


def localised(chart: Chart, language: str) -> Chart:
    """`chart` with its axes' and tooltips' numbers in the page's language (« 50 % »)."""
    return chart.configure(locale={"number": _NUMBER_LOCALES[language]})


def absences_chart(
    absences: pd.DataFrame, justified: str, unjustified: str, week: str, half_days: str
) -> alt.Chart:
    """Stacked bars of missed half-days per week, unjustified in red."""
    long = absences.rename(columns={"justified": justified, "unjustified": unjustified}).melt(
        id_vars="week", value_vars=[unjustified, justified], var_name="kind", value_name="n"
    )
    order = [day.strftime("%d/%m") for day in absences["week"]]
    long["week"] = [day.strftime("%d/%m") for day in long["week"]]
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("week:O", title=week, sort=order),
            y=alt.Y("n:Q", title=half_days, stack=True),
            color=alt.Color(
                "kind:N",
                title=None,
                scale=alt.Scale(domain=[unjustified, justified], range=[_RED, _GREY]),
            ),
            tooltip=[
                alt.Tooltip("week:O", title=week),
                alt.Tooltip("kind:N", title=" "),
                alt.Tooltip("n:Q", title=half_days),
            ],
        )
        .properties(height=220)
    )


def risk_chart(history: pd.DataFrame, week: str, risk: str) -> alt.Chart:
    """The calibrated risk on each week's list (`week`, `risk`, `tier`)."""
    ordered = history.sort_values("week")
    frame = ordered.assign(week=[day.strftime("%d/%m/%Y") for day in ordered["week"]])
    base = alt.Chart(frame).encode(
        x=alt.X("week:O", title=week, sort=list(frame["week"]), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("risk:Q", title=risk, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[
            alt.Tooltip("week:O", title=week),
            alt.Tooltip("risk:Q", title=risk, format=".1%"),
        ],
    )
    return (base.mark_line(color=_BLUE) + base.mark_point(color=_BLUE, filled=True)).properties(
        height=200
    )


def waterfall_chart(
    steps: pd.DataFrame,
    base_risk: float,
    label: str,
    titles: Mapping[str, str],
) -> alt.Chart:
    """Horizontal waterfall in probability: the steps of
    `serving.services.dashboard_explain.Waterfall` (`risk_start`, `risk_end`, `points`, and
    `signal`), one bar per indicator from the risk before it to the risk after it, red when
    an own signal raises the risk, blue when it lowers it, grey for the context (never a
    reason); a dashed rule at the reference risk (`base_risk`). `label` names the column of the
    indicators' names; `titles` holds the words of the page's language for the reference
    (`base`), the axis (`axis`), a step's effect in points (`effect`) and an indicator."""
    base, axis, effect, indicator = (titles[k] for k in ("base", "axis", "effect", "indicator"))
    frame = steps.assign(
        name=steps[label],
        direction=[
            "context" if signal == "context" else ("+" if p > 0 else "−")
            for p, signal in zip(steps["points"], _signals(steps), strict=True)
        ],
        effect=steps["points"] * 100,
    )
    order = list(frame["name"])
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("risk_start:Q", title=axis, axis=alt.Axis(format="%")),
            x2="risk_end:Q",
            color=alt.Color(
                "direction:N",
                legend=None,
                scale=alt.Scale(domain=["+", "−", "context"], range=[_RED, _BLUE, _GREY]),
            ),
            tooltip=[
                alt.Tooltip("name:N", title=indicator),
                alt.Tooltip("effect:Q", title=effect, format="+.1f"),
            ],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"x": [base_risk], "what": [base]}))
        .mark_rule(color=_GREY, strokeDash=[4, 4])
        .encode(
            x="x:Q",
            tooltip=[
                alt.Tooltip("what:N", title=base),
                alt.Tooltip("x:Q", title=axis, format=".1%"),
            ],
        )
    )
    return (bars + rule).properties(height=28 * len(frame) + 40)


def _signals(steps: pd.DataFrame) -> pd.Series:
    if "signal" in steps:
        return steps["signal"]
    return pd.Series(["own"] * len(steps), index=steps.index)


def disparity_chart(
    disparities: pd.DataFrame,
    band: tuple[float, float],
    ratio: str,
    group: str,
    verdicts: Mapping[str, str],
    language: str,
) -> alt.Chart:
    """Ratio of each group to its reference with its interval, the acceptable band shaded;
    groups too small to judge in grey, out of band in red. `verdicts` words each status in
    the page's language (the legend), `language` writes the intervals of the tooltips."""
    frame = disparities.assign(
        label=disparities["grouping"].astype(str) + " · " + disparities["group"].astype(str),
        status=disparities["status"].map(lambda code: verdicts.get(code, code)),
        interval=[
            interval(value, low, high, language)
            for value, low, high in zip(
                disparities["ratio"], disparities["ratio_low"], disparities["ratio_high"],
                strict=True,
            )
        ],
    )  # fmt: skip
    height = 22 * len(frame) + 40
    band_frame = pd.DataFrame({"low": [band[0]], "high": [band[1]]})
    shade = (
        alt.Chart(band_frame)
        .mark_rect(color="#2c7a4b", opacity=0.12)
        .encode(x="low:Q", x2="high:Q", y=alt.value(0), y2=alt.value(height))
    )
    edges = alt.Chart(pd.DataFrame({"x": list(band)})).mark_rule(
        color="#2c7a4b", strokeDash=[4, 4]
    ).encode(x="x:Q") + alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color=_GREY).encode(x="x:Q")
    shade = shade + edges
    color = alt.Color(
        "status:N",
        title=None,
        scale=alt.Scale(
            domain=[
                verdicts.get(code, code)
                for code in ("within_band", "out_of_band", "too_small", "undefined")
            ],
            range=["#2c7a4b", _RED, _GREY, _GREY],
        ),
    )
    errors = (
        alt.Chart(frame)
        .mark_rule()
        .encode(
            y=alt.Y("label:N", title=group, axis=alt.Axis(labelLimit=360)),
            x=alt.X("ratio_low:Q", title=ratio),
            x2="ratio_high:Q",
            color=color,
        )
    )
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=60)
        .encode(
            y=alt.Y("label:N", title=group, axis=alt.Axis(labelLimit=360)),
            x=alt.X("ratio:Q", title=ratio),
            color=color,
            shape=alt.Shape("status:N", legend=None),
            tooltip=[
                alt.Tooltip("label:N", title=group),
                alt.Tooltip("interval:N", title=ratio),
                alt.Tooltip("status:N", title=" "),
            ],
        )
    )
    return (shade + errors + points).properties(height=height)


def precision_weeks_chart(
    weekly: pd.DataFrame, week: str, precision: str, version: str
) -> alt.Chart:
    """Precision at capacity per week, one line per version."""
    frame = weekly.assign(week=pd.to_datetime(weekly["week"]))
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:T", title=week, axis=alt.Axis(format="%d/%m/%Y")),
            y=alt.Y("precision_at_k:Q", title=precision, axis=alt.Axis(format="%")),
            color=alt.Color("version:N", title=version),
            tooltip=[
                alt.Tooltip("week:T", title=week, format="%d/%m/%Y"),
                alt.Tooltip("version:N", title=version),
                alt.Tooltip("precision_at_k:Q", title=precision, format=".1%"),
            ],
        )
        .properties(height=260)
    )


def drift_chart(drift: pd.DataFrame, label: str, threshold: float, psi: str) -> alt.Chart:
    """PSI per feature, bars over the alert threshold in red, the threshold as a rule."""
    frame = drift.assign(name=drift[label])
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=list(frame["name"]), title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("psi:Q", title=psi),
            color=alt.condition(alt.datum.alert, alt.value(_RED), alt.value(_BLUE)),
            tooltip=[
                alt.Tooltip("name:N", title=" "),
                alt.Tooltip("psi:Q", title=psi, format=".3f"),
            ],
        )
    )
    rule = alt.Chart(pd.DataFrame({"x": [threshold]})).mark_rule(color=_ORANGE).encode(x="x:Q")
    return (bars + rule).properties(height=16 * len(frame) + 40)
