"""Altair charts of the dashboard, built from plain frames (no Streamlit here), with their
axis titles passed in so every chart speaks the page's language."""

from __future__ import annotations

import altair as alt
import pandas as pd

__all__ = [
    "absences_chart",
    "disparity_chart",
    "drift_chart",
    "precision_weeks_chart",
    "risk_chart",
    "waterfall_chart",
]

_BLUE, _RED, _GREY, _ORANGE = "#1f4e79", "#c0392b", "#9aa5b1", "#e67e22"


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
            tooltip=["week:O", "kind:N", "n:Q"],
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
        tooltip=["week:O", alt.Tooltip("risk:Q", format=".1%"), "rank:Q"],
    )
    return (base.mark_line(color=_BLUE) + base.mark_point(color=_BLUE, filled=True)).properties(
        height=200
    )


def waterfall_chart(steps: pd.DataFrame, base_value: float, label: str, base: str) -> alt.Chart:
    """Horizontal SHAP waterfall: one bar per feature from its running start to its end,
    red when it raises the score, blue when it lowers it; a rule at the base value."""
    frame = steps.assign(
        name=steps[label], direction=steps["contribution"].map(lambda c: "+" if c > 0 else "−")
    )
    order = list(frame["name"])
    bars = (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("name:N", sort=order, title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("start:Q", title="log-odds"),
            x2="end:Q",
            color=alt.Color(
                "direction:N", legend=None, scale=alt.Scale(domain=["+", "−"], range=[_RED, _BLUE])
            ),
            tooltip=["name:N", "value:N", alt.Tooltip("contribution:Q", format="+.3f")],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"x": [base_value], "what": [base]}))
        .mark_rule(color=_GREY, strokeDash=[4, 4])
        .encode(x="x:Q", tooltip=["what:N", alt.Tooltip("x:Q", format=".3f")])
    )
    return (bars + rule).properties(height=28 * len(frame) + 40)


def disparity_chart(
    disparities: pd.DataFrame, band: tuple[float, float], ratio: str, group: str
) -> alt.Chart:
    """Ratio of each group to its reference with its interval, the acceptable band shaded;
    groups too small to judge in grey, out of band in red."""
    frame = disparities.assign(
        label=disparities["grouping"].astype(str) + " · " + disparities["group"].astype(str)
    )
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
            domain=["within_band", "out_of_band", "too_small", "undefined"],
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
                "grouping:N",
                "group:N",
                "metric:N",
                alt.Tooltip("ratio:Q", format=".2f"),
                alt.Tooltip("ratio_low:Q", format=".2f"),
                alt.Tooltip("ratio_high:Q", format=".2f"),
                "status:N",
            ],
        )
    )
    return (shade + errors + points).properties(height=height)


def precision_weeks_chart(weekly: pd.DataFrame, week: str, precision: str) -> alt.Chart:
    """Precision at capacity per week, one line per version."""
    frame = weekly.assign(week=pd.to_datetime(weekly["week"]))
    return (
        alt.Chart(frame)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:T", title=week, axis=alt.Axis(format="%d/%m/%Y")),
            y=alt.Y("precision_at_k:Q", title=precision, axis=alt.Axis(format="%")),
            color=alt.Color("version:N", title=None),
            tooltip=[
                "week:T",
                "version:N",
                alt.Tooltip("precision_at_k:Q", format=".1%"),
                "listed:Q",
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
            tooltip=["name:N", alt.Tooltip("psi:Q", format=".3f"), "level:N"],
        )
    )
    rule = alt.Chart(pd.DataFrame({"x": [threshold]})).mark_rule(color=_ORANGE).encode(x="x:Q")
    return (bars + rule).properties(height=16 * len(frame) + 40)
