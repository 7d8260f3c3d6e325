"""The audit as JSON (every figure's numbers) and as a self-contained HTML page to sign.

The HTML page needs nothing but a browser: CSS inline, plots embedded as base64 PNG. It opens
with a summary (groups out of band, groups too small to judge, proxies found, the promotion
gate), then the tables and plots, and ends with a block an inspector prints and signs.
"""

from __future__ import annotations

import base64
import html
import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from features.jsonio import dumps
from training.fairness.groups import GROUPING_NAMES, group_label, grouping_label
from training.fairness.metrics import METRICS
from training.fairness.proxies import PROXY_TARGETS
from training.fairness.wording import FAMILY_LABELS, METRIC_LABELS, STATUS_LABELS, label, text
from wording import numbers

if TYPE_CHECKING:
    from training.fairness.audit import FairnessAudit

__all__ = [
    "REPORT_VERSION",
    "SMALL_CELL",
    "audit_to_dict",
    "audit_to_json",
    "published_metrics",
    "render_html",
]

REPORT_VERSION = 1


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{key: _clean(value) for key, value in row.items()}
            for row in frame.to_dict(orient="records")]  # fmt: skip


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if value is pd.NA or value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


SMALL_CELL = 5
"""Counts under this are not published (statistical secrecy): shown as missing."""


def published_metrics(audit: FairnessAudit, within: bool = False) -> pd.DataFrame:
    """The group metrics (pooled over kinds, or `within` each kind of establishment) as they
    may be published: a group too small to judge keeps its sizes but no metric (a rate over a
    handful of minors says little and discloses much), and counts under `SMALL_CELL` are
    masked."""
    table = (audit.within_metrics if within else audit.metrics).copy()
    if table.empty:
        return table
    metrics = [column for column in table.columns if column.split("_low")[0].split("_high")[0]
               in METRICS]  # fmt: skip
    table[metrics] = table[metrics].astype("float64")
    table.loc[~table["judged"], metrics] = math.nan
    for column in ("students", "positive_students", "rows", "positive_rows", "selected_rows"):
        table[column] = table[column].astype("Int64").mask(table[column] < SMALL_CELL)
    return table


def _judged_only(audit: FairnessAudit, frame: pd.DataFrame) -> pd.DataFrame:
    judged = audit.metrics.loc[audit.metrics["judged"], ["grouping", "group"]]
    return frame.merge(judged, on=["grouping", "group"])


def audit_to_dict(audit: FairnessAudit) -> dict[str, Any]:
    """Everything the report shows, as plain JSON-ready data (aggregates only; groups too
    small to judge keep only their masked sizes, see `published_metrics`)."""
    found = audit.proxies_found()
    published = published_metrics(audit)
    return {
        "report_version": REPORT_VERSION,
        "context": {key: _clean(value) for key, value in audit.context.items()},
        "config": audit.config.model_dump(mode="json"),
        "summary": {
            "out_of_band": _records(
                audit.disparities[audit.disparities["status"] == "out_of_band"]
            ),
            "too_small": _records(
                published.loc[
                    ~published["judged"],
                    ["grouping", "group", "students", "positive_students", "too_small_because"],
                ]
            ),
            "proxies_found": _records(found[["target", "auc", "carried_by"]]),
        },
        "gate": _clean(audit.gate()),
        "references": audit.references,
        "group_metrics": _records(published),
        "disparities": _records(audit.disparities),
        "within_kind_group_metrics": _records(published_metrics(audit, within=True)),
        "within_kind_disparities": _records(audit.within_disparities),
        "mean_contributions": _records(_judged_only(audit, audit.mean_contributions)),
        "widest_differences": _records(audit.differences),
        "reason_families": _records(_judged_only(audit, audit.reason_families)),
        "proxies": _records(audit.proxies),
        "proxy_importance": _records(audit.proxy_importance),
        "timings": audit.timings,
    }


def audit_to_json(audit: FairnessAudit) -> str:
    return dumps(audit_to_dict(audit), indent=1, ascii=False, strict=True)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1d;
max-width:62rem;margin:1.5rem auto;padding:0 1rem;line-height:1.45;font-size:14px}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;border-bottom:2px solid #1f4e79;
padding-bottom:.2rem;margin-top:2rem}h3{font-size:1rem;margin:1.2rem 0 .3rem}
.meta{color:#555;font-size:.9rem}.box{border:1px solid #bbb;border-radius:6px;padding:.6rem 1rem;
margin:.8rem 0}.alert{border-color:#c0392b;background:#fdf0ee}.ok{border-color:#2c7a4b;
background:#eef8f1}table{border-collapse:collapse;width:100%;font-size:.82rem;margin:.4rem 0}
th,td{border:1px solid #d0d0d0;padding:.2rem .4rem;text-align:right}th{background:#f0f3f7}
td:first-child,th:first-child{text-align:left}.out_of_band{color:#c0392b;font-weight:600}
.too_small,.undefined{color:#888}.within_band{color:#2c7a4b}img{max-width:100%;margin:.5rem 0}
.sign{border:2px solid #1d1d1d;padding:1rem;margin-top:2rem;page-break-inside:avoid}
.sign .line{border-bottom:1px solid #1d1d1d;height:1.8rem;margin-bottom:.8rem}
.sign .tall{height:5rem}.small{font-size:.8rem;color:#555}
@media print{body{margin:0;max-width:none}h2{page-break-after:avoid}img{page-break-inside:avoid}}
"""


def _count(value: object) -> str:
    return f"< {SMALL_CELL}" if value is None or pd.isna(value) else str(value)


def _e(value: object) -> str:
    return html.escape(str(value))


def _num(value: float, language: str, digits: int = 3) -> str:
    """A number in the report's language (`wording.numbers`), a dash when missing."""
    return numbers.number(value, language, digits)


def _pct(value: float, language: str) -> str:
    return numbers.percent(value, language, 1)


def _bounds(low: float, high: float, language: str, digits: int = 2) -> str:
    """An interval's bounds: « [0,80 ; 1,25] » in French, "[0.80, 1.25]" in English."""
    separator = " ; " if language == "fr" else ", "
    return f"[{_num(low, language, digits)}{separator}{_num(high, language, digits)}]"


def _level(value: float | None, language: str) -> str:
    """A test's (corrected) level, a percentage with two decimals."""
    return numbers.percent(value, language, 2)


def _interval(row: pd.Series, metric: str, language: str, percent: bool = True) -> str:
    def show(value: float) -> str:
        return _pct(value, language) if percent else _num(value, language, 3)

    separator = " ; " if language == "fr" else ", "
    return f"{show(row[metric])} <span class=small>[{show(row[metric + '_low'])}{separator}" \
           f"{show(row[metric + '_high'])}]</span>"  # fmt: skip


def _figure(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _summary(audit: FairnessAudit, language: str) -> str:
    band = f"{audit.config.band[0]}–{audit.config.band[1]}"
    parts = []
    recall = audit.out_of_band("recall")
    other = audit.disparities[(audit.disparities["metric"] != "recall")
                              & (audit.disparities["status"] == "out_of_band")]  # fmt: skip

    def listed(frame: pd.DataFrame, with_metric: bool) -> str:
        if frame.empty:
            return f"<p>{text('none_found', language)}</p>"
        items = []
        for row in frame.itertuples():
            certainty = text("ci_outside" if row.ci_outside_band else "ci_meets", language)
            metric = f"{label(METRIC_LABELS, row.metric, language)}, " if with_metric else ""
            items.append(
                f"<li><b>{_e(grouping_label(row.grouping, language))} : "
                f"{_e(group_label(row.group, language))}</b> — {_e(metric)}"
                f"{_num(row.ratio, language, 2)} "
                f"{_bounds(row.ratio_low, row.ratio_high, language)} "
                f"vs {_e(group_label(str(row.reference), language))} ({_e(certainty)})</li>"
            )
        return "<ul>" + "".join(items) + "</ul>"

    gate = audit.gate()
    css = "ok" if gate["passed"] else "alert"
    parts.append(
        f'<div class="box {css}"><b>'
        f"{_e(text('gate_pass' if gate['passed'] else 'gate_fail', language))}</b>"
        f"<p>{_e(_gate_rule(gate, language))}</p>{_corrected(gate['out_of_band'], language)}"
        f"<p>{_e(text('across_kinds', language, tests=gate['across_kinds']['tests']))}</p>"
        f"{_corrected(gate['across_kinds']['out_of_band'], language)}</div>"
    )
    parts.append(f"<h3>{_e(text('out_of_band_recall', language, band=band))}</h3>")
    parts.append(listed(recall, False))
    parts.append(f"<h3>{_e(text('out_of_band_other', language))}</h3>")
    parts.append(listed(other, True))
    published = published_metrics(audit)
    small = published[~published["judged"]]
    parts.append(f"<h3>{_e(text('too_small', language))} ({len(small)})</h3>")
    parts.append("<p class=small>" + _e(text("too_small_rule", language,
                 students=audit.config.min_students, positives=audit.config.min_positives,
                 establishments=audit.config.min_establishments))
                 + "</p>")  # fmt: skip
    if len(small):
        names = [f"{grouping_label(r.grouping, language)} : {group_label(r.group, language)} "
                 f"({_count(r.students)}, {_count(r.positive_students)})"
                 for r in small.itertuples()]  # fmt: skip
        parts.append("<p>" + _e(" · ".join(names)) + "</p>")
    parts.append(f"<h3>{_e(text('proxies_found', language))}</h3>")
    found = audit.proxies_found()
    if found.empty:
        parts.append(f"<p>{text('none_found', language)}</p>")
    else:
        parts.append("<ul>" + "".join(
            f"<li>{_e(text('proxy_line', language, target=label(PROXY_TARGETS, r.target, language), auc=_num(r.auc, language, 2), features=r.carried_by))}</li>"  # noqa: E501
            for r in found.itertuples()) + "</ul>")  # fmt: skip
    return "\n".join(parts)


def _gate_rule(gate: dict[str, Any], language: str) -> str:
    level = gate["adjusted_level"]
    rule = text(
        f"gate_rule_{gate['correction']}", language, tests=gate["tests"],
        alpha=_num(gate["alpha"], language, 2), level=_level(level, language),
        band=f"{gate['band'][0]}–{gate['band'][1]}",
    )  # fmt: skip
    return (
        rule if gate["scope"] != "all_kinds_pooled" else f"{rule} " + text("gate_pooled", language)
    )


def _corrected(items: list[dict[str, Any]], language: str) -> str:
    if not items:
        return f"<p>{text('none_found', language)}</p>"
    lines = []
    for item in items:
        kind = f"{group_label(item['kind'], language)} · " if item.get("kind") else ""
        level = text("at_level", language, level=_level(item["level"], language))
        lines.append(
            f"<li>{_e(kind)}<b>{_e(grouping_label(item['grouping'], language))} : "
            f"{_e(group_label(item['group'], language))}</b> — {_num(item['ratio'], language, 2)} "
            f"{_bounds(item['ratio_low'], item['ratio_high'], language)} "
            f"({_e(level)}) "
            f"vs {_e(group_label(str(item['reference']), language))}</li>"
        )
    return "<ul>" + "".join(lines) + "</ul>"


def _within_tables(audit: FairnessAudit, language: str) -> str:
    """The recall ratios of the sensitive groupings inside each kind of establishment."""
    table = audit.within_disparities
    if table.empty:
        return f"<p>{text('none_found', language)}</p>"
    published = published_metrics(audit, within=True).set_index(["kind", "grouping", "group"])
    recall = table[table["metric"] == "recall"]
    head = "".join(f"<th>{_e(text(key, language))}</th>" for key in
                   ("kind", "group", "students", "dropouts"))  # fmt: skip
    head += (f"<th>{_e(label(METRIC_LABELS, 'recall', language))}</th>"
             f"<th>{_e(text('ratio_recall', language))}</th>"
             f"<th>{_e(text('corrected_interval', language))}</th>"
             f"<th>{_e(text('status', language))}</th>")  # fmt: skip
    rows = []
    for row in recall.itertuples():
        sizes = published.loc[(row.kind, row.grouping, row.group)]
        status = str(row.status)
        if status == "out_of_band" and not row.out_of_band_corrected:
            status = "within_band_corrected"
        corrected = (
            "–"
            if pd.isna(row.ratio_low_adjusted)
            else f"{_bounds(row.ratio_low_adjusted, row.ratio_high_adjusted, language)}"
            f" <span class=small>{_level(row.adjusted_level, language)}</span>"
        )
        ratio_text = ("1 (ref.)" if status == "reference" else
                      f"{_num(row.ratio, language, 2)} <span class=small>"
                      f"{_bounds(row.ratio_low, row.ratio_high, language)}</span>")  # fmt: skip
        css = "out_of_band" if row.out_of_band_corrected else status
        rows.append(
            f"<tr><td>{_e(group_label(str(row.kind), language))}</td>"
            f"<td>{_e(grouping_label(row.grouping, language))} : "
            f"{_e(group_label(row.group, language))}</td>"
            f"<td>{_count(sizes['students'])}</td><td>{_count(sizes['positive_students'])}</td>"
            f"<td>{_interval(sizes, 'recall', language)}</td>"
            f"<td>{ratio_text}</td><td>{corrected}</td>"
            f"<td class={css}>{_e(label(STATUS_LABELS, status, language))}</td></tr>"
        )
    return f"<table><tr>{head}</tr>" + "".join(rows) + "</table>"


def _group_tables(audit: FairnessAudit, language: str) -> str:
    ratios = audit.disparities[audit.disparities["metric"] == "recall"].set_index(
        ["grouping", "group"]
    )
    metrics = ["selection_rate", "recall", "false_positive_rate", "precision",
               "false_discovery_rate"]  # fmt: skip
    blocks = []
    published = published_metrics(audit)
    for grouping in GROUPING_NAMES:
        part = published[published["grouping"] == grouping]
        if part.empty:
            continue
        head = "".join(f"<th>{_e(label(METRIC_LABELS, m, language))}</th>" for m in metrics)
        rows = []
        for _, row in part.iterrows():
            ratio = ratios.loc[(grouping, row["group"])]
            status = str(ratio["status"])
            cells = "".join(f"<td>{_interval(row, m, language)}</td>" for m in metrics)
            ratio_text = ("1 (ref.)" if status == "reference" else
                          f"{_num(ratio['ratio'], language, 2)} <span class=small>"
                          f"{_bounds(ratio['ratio_low'], ratio['ratio_high'], language)}"
                          "</span>")  # fmt: skip
            rows.append(
                f"<tr><td>{_e(group_label(row['group'], language))}</td>"
                f"<td>{_count(row['students'])}</td><td>{_count(row['positive_students'])}</td>"
                f"{cells}"
                f"<td>{ratio_text}</td><td class={status}>"
                f"{_e(label(STATUS_LABELS, status, language))}</td></tr>"
            )
        blocks.append(
            f"<h3>{_e(grouping_label(grouping, language))}</h3><table><tr>"
            f"<th>{_e(text('group', language))}</th><th>{_e(text('students', language))}</th>"
            f"<th>{_e(text('dropouts', language))}</th>{head}"
            f"<th>{_e(text('ratio_recall', language))}</th>"
            f"<th>{_e(text('status', language))}</th></tr>" + "".join(rows) + "</table>"
        )
    return "\n".join(blocks)


def _calibration_table(audit: FairnessAudit, language: str) -> str:
    part = audit.metrics[audit.metrics["judged"]]
    rows = "".join(
        f"<tr><td>{_e(grouping_label(r['grouping'], language))} : "
        f"{_e(group_label(r['group'], language))}</td>"
        f"<td>{_interval(r, 'mean_predicted', language)}</td>"
        f"<td>{_interval(r, 'observed_rate', language)}</td>"
        f"<td>{_interval(r, 'ece', language, False)}</td></tr>"
        for _, r in part.iterrows()
    )
    return (f"<table><tr><th>{_e(text('group', language))}</th>"
            f"<th>{_e(label(METRIC_LABELS, 'mean_predicted', language))}</th>"
            f"<th>{_e(label(METRIC_LABELS, 'observed_rate', language))}</th><th>ECE</th></tr>"
            f"{rows}</table>")  # fmt: skip


def _differences_table(audit: FairnessAudit, language: str) -> str:
    rows = "".join(
        f"<tr><td>{_e(grouping_label(r.grouping, language))}</td><td>{_e(r.feature)}</td>"
        f"<td>{_e(label(FAMILY_LABELS, r.family, language))}</td>"
        f"<td>{_num(r.spread, language)}</td>"
        f"<td>{_e(group_label(r.highest_group, language))} ({_num(r.highest, language)})</td>"
        f"<td>{_e(group_label(r.lowest_group, language))} ({_num(r.lowest, language)})</td></tr>"
        for r in audit.differences.itertuples()
    )
    head = "".join(f"<th>{_e(text(key, language))}</th>" for key in
                   ("group", "feature", "family", "spread", "highest", "lowest"))  # fmt: skip
    return f"<table><tr>{head}</tr>{rows}</table>"


def _proxies_table(audit: FairnessAudit, language: str) -> str:
    rows = "".join(
        f"<tr><td>{_e(label(PROXY_TARGETS, r.target, language))}</td>"
        f"<td>{_num(r.auc, language)}</td>"
        f"<td class={'out_of_band' if r.flagged else 'within_band'}>"
        f"{_e(text('yes' if r.flagged else 'no', language))}</td><td>{_e(r.carried_by)}</td></tr>"
        for r in audit.proxies.itertuples()
    )
    head = "".join(f"<th>{_e(text(key, language))}</th>" for key in ("target",))
    return (f"<table><tr>{head}<th>AUC</th><th>{_e(text('flagged', language))}</th>"
            f"<th>{_e(text('carried_by', language))}</th></tr>{rows}</table>")  # fmt: skip


def _signature(language: str) -> str:
    choices = "".join(f"<p>☐ {_e(text(key, language))}</p>"
                      for key in ("approve", "approve_reserve", "refuse"))  # fmt: skip
    return (
        f'<div class="sign"><h2>{_e(text("signature", language))}</h2>'
        f"<p>{_e(text('inspector', language))}</p><div class=line></div>"
        f"<p>{_e(text('date', language))}</p><div class=line></div>"
        f"<p>{_e(text('decision', language))}</p>{choices}"
        f"<p>{_e(text('comments', language))}</p><div class='line tall'></div>"
        f"<p>{_e(text('sign', language))}</p><div class='line tall'></div></div>"
    )


def render_html(audit: FairnessAudit, figures: dict[str, bytes], language: str = "fr") -> str:
    """The whole report as one HTML page (`figures` from `figures.all_figures`)."""
    context = audit.context
    config = audit.config
    band = f"{config.band[0]}–{config.band[1]}"
    scope = text(
        "scope", language, rows=f"{context.get('tested_rows', 0):,}".replace(",", " "),
        students=context.get("tested_students"), dropouts=context.get("tested_dropouts"),
        establishments=context.get("establishments"), weeks=context.get("as_of_dates"),
        years=", ".join(context.get("school_years", [])),
    )  # fmt: skip
    model = context.get("model_uri") or context.get("model_hash") or "–"
    sections = [
        f"<!DOCTYPE html><html lang={language}><head><meta charset=utf-8>"
        f"<title>{_e(text('title', language))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(text('title', language))}</h1>",
        f"<p class=meta>{_e(text('run', language))} : {_e(context.get('run_id', '–'))} · "
        f"{_e(text('generated', language))} {_e(context.get('generated_at', ''))}</p>",
        f"<p>{_e(scope)}</p>",
        f"<h2>{_e(text('summary', language))}</h2>",
        _summary(audit, language),
        f"<h2>{_e(text('lists', language))}</h2><p>{_e(text('lists_intro', language))}</p>",
        _figure(figures["recall_disparities.png"], text("figure_recall", language, band=band)),
        _group_tables(audit, language),
        f"<h2>{_e(text('within_kinds', language))}</h2>"
        f"<p>{_e(text('within_kinds_intro', language))}</p>",
        _within_tables(audit, language),
        _figure(figures["selection_rates.png"], text("figure_selection", language)),
        f"<h2>{_e(text('calibration', language))}</h2>"
        f"<p>{_e(text('calibration_intro', language))}</p>",
        _figure(figures["calibration.png"], text("figure_calibration", language)),
        _calibration_table(audit, language),
        f"<h2>{_e(text('explanations', language))}</h2>"
        f"<p>{_e(text('explanations_intro', language, rows=context.get('sample_rows')))}</p>",
        _differences_table(audit, language),
        f"<p>{_e(text('families_intro', language))}</p>",
        _figure(figures["reason_families.png"], text("figure_families", language)),
        f"<h2>{_e(text('proxies', language))}</h2>"
        f"<p>{_e(text('proxies_intro', language, threshold=config.proxy_auc_threshold))}</p>",
        _proxies_table(audit, language),
        _figure(figures["proxies.png"], text("figure_proxies", language)),
        f"<h2>{_e(text('method', language))}</h2><p class=small>"
        + _e(
            text(
                "method_text",
                language,
                model=model,
                students=config.min_students,
                positives=config.min_positives,
                band=band,
                n_boot=config.n_boot,
                seed=config.seed,
                correction=config.correction,
            )
        )
        + "</p>",
        _signature(language),
        "</body></html>",
    ]
    return "\n".join(sections)
