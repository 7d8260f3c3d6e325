"""The report's plots, drawn with matplotlib's Agg backend into PNG bytes.

Each function takes the audit and a language and returns one PNG; `all_figures` returns them
by file name. The same numbers are in the JSON report, so a figure is never the only record.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from training.fairness.groups import GROUPING_NAMES, group_label, grouping_label
from training.fairness.proxies import PROXY_TARGETS
from training.fairness.wording import FAMILY_LABELS, STATUS_LABELS, label, text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from training.fairness.audit import FairnessAudit

__all__ = ["all_figures"]

_OUT = "#c0392b"
_IN = "#2c7a4b"
_SMALL = "#9a9a9a"
_REFERENCE = "#1f4e79"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _new_figure(height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(8.5, max(2.0, height)))


def _groupings(audit: FairnessAudit) -> list[str]:
    present = set(audit.metrics["grouping"])
    return [name for name in GROUPING_NAMES if name in present]


def _stacked(table: pd.DataFrame, groupings: list[str]) -> tuple[pd.DataFrame, list[tuple]]:
    """Rows of `table` ordered by grouping, with their y position (a gap and a heading line
    between groupings), and the headings (y, grouping)."""
    parts, headings, y = [], [], 0
    for grouping in groupings:
        part = table[table["grouping"] == grouping]
        if part.empty:
            continue
        headings.append((y, grouping))
        parts.append(part.assign(y=np.arange(len(part)) + y + 1))
        y += len(part) + 2
    if not parts:
        return table.assign(y=[]), headings
    return pd.concat(parts, ignore_index=True), headings


def _label_rows(axis: Axes, rows: pd.DataFrame, headings: list[tuple], language: str) -> None:
    ticks = [*rows["y"], *(y for y, _ in headings)]
    names = [*(group_label(g, language) for g in rows["group"]),
             *(grouping_label(g, language).upper() for _, g in headings)]  # fmt: skip
    axis.set_yticks(ticks)
    axis.set_yticklabels(names, fontsize=6.5)
    top = max(ticks) if ticks else 1
    axis.set_ylim(top + 1, -1)


def recall_disparities(audit: FairnessAudit, language: str) -> bytes:
    """Recall ratio of each group against its reference, with interval and the band."""
    table = audit.disparities[audit.disparities["metric"] == "recall"]
    low_band, high_band = audit.config.band
    rows, headings = _stacked(table, _groupings(audit))
    figure = _new_figure(0.16 * (len(rows) + 2 * len(headings)) + 1.0)
    axis = figure.subplots()
    axis.axvspan(low_band, high_band, color="#e6e6e6", zorder=0)
    axis.axvline(1.0, color="#777777", linewidth=0.8)
    colors = (
        rows["status"]
        .map({"out_of_band": _OUT, "within_band": _IN, "reference": _REFERENCE})
        .fillna(_SMALL)
    )
    ratio = rows["ratio"].clip(0.1, 10)
    spans = rows.dropna(subset=["ratio_low", "ratio_high"])
    axis.hlines(spans["y"], spans["ratio_low"].clip(0.1, 10), spans["ratio_high"].clip(0.1, 10),
                colors=colors[spans.index], linewidth=1.3)  # fmt: skip
    judged = rows["status"] != "too_small"
    axis.scatter(ratio[judged], rows.loc[judged, "y"], c=colors[judged], s=16, zorder=3)
    axis.scatter(ratio[~judged], rows.loc[~judged, "y"], facecolors="white",
                 edgecolors=colors[~judged], s=16, zorder=3)  # fmt: skip
    _label_rows(axis, rows, headings, language)
    axis.set_xscale("log")
    axis.set_xlim(0.1, 10)
    ticks = [0.1, 0.25, 0.5, low_band, 1, high_band, 2, 4, 10]
    axis.set_xticks(ticks, [f"{tick:g}" for tick in ticks], fontsize=7)
    axis.minorticks_off()
    from matplotlib.lines import Line2D

    legend = [Line2D([], [], marker="o", linestyle="", color=color, label=label(STATUS_LABELS,
                     status, language)) for status, color in (("out_of_band", _OUT),
              ("within_band", _IN), ("reference", _REFERENCE))]  # fmt: skip
    axis.legend(handles=legend, fontsize=7, loc="lower right")
    axis.set_title(text("figure_recall", language, band=f"{low_band}-{high_band}"), fontsize=10)
    return _png(figure)


def selection_rates(audit: FairnessAudit, language: str) -> bytes:
    """Selection rate of each judged group, with its interval."""
    table = audit.metrics[audit.metrics["judged"]]
    rows, headings = _stacked(table, _groupings(audit))
    figure = _new_figure(0.16 * (len(rows) + 2 * len(headings)) + 1.0)
    axis = figure.subplots()
    if len(rows):
        errors = np.vstack([rows["selection_rate"] - rows["selection_rate_low"],
                            rows["selection_rate_high"] - rows["selection_rate"]])  # fmt: skip
        axis.barh(rows["y"], rows["selection_rate"] * 100, color="#5b8db8", height=0.7,
                  xerr=np.clip(np.nan_to_num(errors), 0, None) * 100, capsize=2)  # fmt: skip
        _label_rows(axis, rows, headings, language)
    axis.set_xlabel("%")
    axis.set_title(text("figure_selection", language), fontsize=10)
    return _png(figure)


def calibration(audit: FairnessAudit, language: str) -> bytes:
    """Per judged group: observed dropout rate (with interval) and mean predicted risk."""
    table = audit.metrics[audit.metrics["judged"]]
    rows, headings = _stacked(table, _groupings(audit))
    figure = _new_figure(0.16 * (len(rows) + 2 * len(headings)) + 1.0)
    axis = figure.subplots()
    if len(rows):
        axis.hlines(rows["y"], rows["observed_rate_low"] * 100, rows["observed_rate_high"] * 100,
                    colors="#5b8db8", linewidth=1.3)  # fmt: skip
        axis.scatter(rows["observed_rate"] * 100, rows["y"], color="#5b8db8", s=16, zorder=3,
                     label=text("observed", language))  # fmt: skip
        axis.scatter(rows["mean_predicted"] * 100, rows["y"], color=_OUT, marker="x", s=22,
                     zorder=4, label=text("predicted", language))  # fmt: skip
        _label_rows(axis, rows, headings, language)
        axis.legend(fontsize=7, loc="best")
    axis.set_xlabel("%")
    axis.set_title(text("figure_calibration", language), fontsize=10)
    return _png(figure)


def proxies(audit: FairnessAudit, language: str) -> bytes:
    """Cross-validated AUC of recovering each sensitive attribute, with the threshold."""
    table = audit.proxies
    figure = _new_figure(2.6)
    axis = figure.subplots()
    names = [label(PROXY_TARGETS, name, language) for name in table["target"]]
    colors = [_OUT if flagged else "#5b8db8" for flagged in table["flagged"]]
    axis.barh(range(len(table)), table["auc"].fillna(0.5), color=colors)
    axis.axvline(audit.config.proxy_auc_threshold, color=_OUT, linestyle="--", linewidth=1)
    axis.set_yticks(range(len(table)))
    axis.set_yticklabels(names, fontsize=8)
    axis.invert_yaxis()
    axis.set_xlim(0.5, 1.0)
    axis.set_xlabel("AUC")
    axis.set_title(text("figure_proxies", language), fontsize=10)
    return _png(figure)


def reason_families(audit: FairnessAudit, language: str) -> bytes:
    """Share of each reason family as the top raising reason, per judged group."""
    judged = audit.metrics.loc[audit.metrics["judged"], ["grouping", "group"]]
    table = audit.reason_families.merge(judged, on=["grouping", "group"])
    table = table[table["grouping"].isin(["sex", "scholarship", "parent_pcs", "track"])]
    wide = table.pivot_table(index=["grouping", "group"], columns="family", values="share",
                             sort=False).fillna(0.0)  # fmt: skip
    figure = _new_figure(0.22 * max(len(wide), 1) + 1.2)
    axis = figure.subplots()
    left = np.zeros(len(wide))
    for family in wide.columns:
        axis.barh(range(len(wide)), wide[family], left=left,
                  label=label(FAMILY_LABELS, family, language))  # fmt: skip
        left += wide[family].to_numpy()
    axis.set_yticks(range(len(wide)))
    axis.set_yticklabels([f"{grouping_label(g, language)} : {group_label(v, language)}"
                          for g, v in wide.index], fontsize=7)  # fmt: skip
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    if len(wide):
        axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axis.set_title(text("figure_families", language), fontsize=10)
    return _png(figure)


def all_figures(audit: FairnessAudit, language: str) -> dict[str, bytes]:
    """Every figure of the report, by PNG file name."""
    return {
        "recall_disparities.png": recall_disparities(audit, language),
        "selection_rates.png": selection_rates(audit, language),
        "calibration.png": calibration(audit, language),
        "proxies.png": proxies(audit, language),
        "reason_families.png": reason_families(audit, language),
    }
