"""The skeleton of a printable document: one self-contained HTML page (no script, no external
asset: fonts, styles and images are the browser's own) with print rules for A4. Every text
from data goes through `escape`; the callers assemble escaped fragments only."""

from __future__ import annotations

import html
from collections.abc import Iterable

__all__ = ["A4_STYLE", "escape", "items", "page"]

# Sized for one A4 page at the browser's default print scale: small type, tight margins.
A4_STYLE = (
    "@page{size:A4;margin:12mm 14mm}"
    "html{font-family:system-ui,'Segoe UI',Arial,sans-serif;font-size:10pt;line-height:1.3;"
    "color:#000}"
    "body{max-width:182mm;margin:0 auto}"
    "h1{font-size:14pt;margin:0 0 2mm}h2{font-size:11pt;margin:3mm 0 1mm}"
    "p,ul{margin:0 0 1.5mm}ul{padding-left:5mm}li{margin:0 0 .5mm}"
    ".meta{color:#333;font-size:9pt}"
    "table{border-collapse:collapse;width:100%;margin:0 0 2mm;font-size:9pt}"
    "th,td{border:1px solid #999;padding:1mm 1.5mm;text-align:left;vertical-align:top}"
    "th{background:#eee}"
    "@media print{h2{break-after:avoid}section{break-inside:avoid}}"
)


def escape(value: object) -> str:
    """`value` as HTML text (quotes included): a name holding markup reads as text."""
    return html.escape(str(value), quote=True)


def items(texts: Iterable[str]) -> str:
    """An unordered list of texts (escaped here)."""
    return "<ul>" + "".join(f"<li>{escape(text)}</li>" for text in texts) + "</ul>"


def page(title: str, language: str, body: str) -> str:
    """The whole document: `title` (escaped here) and `body` (HTML already escaped)."""
    return (
        f'<!doctype html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{A4_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
