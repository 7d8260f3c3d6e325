"""Text from data (names, notes, reasons, usernames, error messages) shown as plain text in
Streamlit's Markdown elements (`st.title`, `st.markdown`, `st.caption`, `st.table` cells,
alerts...), which would otherwise render it: an image (`![x](http://host/leak.png)` makes the
browser fetch the URL), a link, an autolinked URL, emphasis, a colour or LaTeX directive.

Every ASCII punctuation character gets a backslash (CommonMark allows escaping any of them;
the escape shows the character itself), so no Markdown construct, HTML tag, directive or
survives; line breaks are kept as hard breaks. GFM's autolinks are found in the text after
the escapes are resolved (a transform of the tree, in Streamlit's remark-gfm), so escaping
does not stop them: an invisible WORD JOINER (U+2060) is put inside `://`, after `www` and
before `@`, which the autolink patterns then do not match (`unlinked`; the text reads the
same, a copy of it holds the joiner). What remains are emoji shortcodes (`:smile:` still
shows an emoji): cosmetic, no request, no link.

`Markdown` marks text already safe to render (`runtime.t`'s labels), so it is not escaped
twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

__all__ = ["WORD_JOINER", "Markdown", "plain", "plain_frame", "unlinked"]

WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_AUTOLINK = re.compile(r"(:)(//)|(www)(\.)|()(@)", re.IGNORECASE)


class Markdown(str):
    """Text that is Markdown on purpose (a label with values already escaped)."""


def plain(value: object) -> str:
    """`value` as Markdown that renders as exactly its text."""
    if isinstance(value, Markdown):
        return value
    text = _PUNCTUATION.sub(r"\\\1", unlinked("" if value is None else str(value)))
    return _LINE_BREAK.sub("  \n", text)


def unlinked(text: str) -> str:
    """`text` with a word joiner where GFM would start an autolink (`://`, `www.`, `@`)."""
    return _AUTOLINK.sub(
        lambda m: (
            "".join(part or "" for part in m.groups()[::2])
            + WORD_JOINER
            + "".join(part or "" for part in m.groups()[1::2])
        ),
        text,
    )


def plain_frame(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """A copy of `frame` whose text cells in `columns` (those from data) are escaped, for
    `st.table`, which renders Markdown in cells (`st.dataframe` shows text as is)."""
    escaped = frame.copy()
    for column in columns:
        escaped[column] = escaped[column].map(
            lambda cell: plain(cell) if isinstance(cell, str) else cell
        )
    return escaped
