"""Which encoding a CSV file is written in: UTF-8 (with or without BOM) or Windows-1252.

Pure: the file's bytes in (as chunks, never all at once), a Python codec name or a
`FormatAmbiguity` out. UTF-8 when every byte is valid UTF-8 (a BOM is noted); else
Windows-1252 when the text is plausible as such (no byte cp1252 leaves undefined, no control
character, no run of 4 or more non-ASCII bytes as other multi-byte encodings write, no UTF-8
"é" beside invalid bytes, which is a file mixing two encodings); else refused. An encoding
given in `csv_formats.toml` is checked instead of guessed.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable

from features.csv_dialect import OVERRIDES_FILE, FormatAmbiguity

__all__ = ["detect_encoding"]

_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]{4,}")
# "é", "è", "à", "ç"... as UTF-8 writes them: beside bytes invalid in UTF-8, two encodings mixed.
_UTF8_LATIN = re.compile(rb"\xc3[\x80-\xbf]")
_CARRY = 3  # bytes kept from one chunk to the next so that a pattern across them is seen


def _first_cp1252_doubt(window: bytes) -> tuple[int, str] | None:
    """The first offset in `window` that makes Windows-1252 implausible, and why."""
    doubts = []
    undefined = [window.find(bytes([byte])) for byte in _CP1252_UNDEFINED]
    undefined = [offset for offset in undefined if offset >= 0]
    if undefined:
        doubts.append((min(undefined), "a byte that Windows-1252 leaves undefined"))
    for pattern, why in (
        (_CONTROL, "a control character"),
        (_NON_ASCII_RUN, "a run of bytes that French text in Windows-1252 does not have"),
    ):
        match = pattern.search(window)
        if match:
            doubts.append((match.start(), why))
    return min(doubts) if doubts else None


def _read_as(chunks: Iterable[bytes], encoding: str) -> str:
    """`encoding` when it reads every byte; "utf-8-sig" for UTF-8 with a BOM."""
    decoder = codecs.getincrementaldecoder(encoding)()
    position, prefix = 0, b""
    for chunk in chunks:
        prefix = (prefix + chunk[: len(codecs.BOM_UTF8)])[: len(codecs.BOM_UTF8)]
        try:
            decoder.decode(chunk, final=False)
        except UnicodeDecodeError as error:
            raise FormatAmbiguity(
                "encoding",
                f"a byte is not {encoding} text although {OVERRIDES_FILE} says so; fix the "
                "file or the encoding given",
                offset=position + error.start,
            ) from None
        position += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise FormatAmbiguity(
            "encoding", f"the file ends inside a {encoding} character", offset=position
        ) from None
    return "utf-8-sig" if encoding == "utf-8" and prefix == codecs.BOM_UTF8 else encoding


class _Cp1252Plausibility:
    """Reasons to doubt that a file's bytes, fed in order, are Windows-1252."""

    def __init__(self) -> None:
        self.doubt: tuple[int, str] | None = None
        self.utf8_latin: int | None = None
        self._tail = b""

    def feed(self, chunk: bytes, start: int) -> None:
        window = self._tail + chunk
        origin = start - len(self._tail)
        if self.doubt is None and (doubt := _first_cp1252_doubt(window)) is not None:
            self.doubt = (origin + doubt[0], doubt[1])
        if self.utf8_latin is None and (match := _UTF8_LATIN.search(window)):
            self.utf8_latin = origin + match.start()
        self._tail = window[-_CARRY:]


def _first_utf8_error(chunks: Iterable[bytes]) -> tuple[int | None, bool]:
    """The offset of the first byte invalid in UTF-8 (None if all are valid), and whether the
    file starts with a UTF-8 BOM. Decodes at C speed, keeping nothing."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    position, prefix = 0, b""
    for chunk in chunks:
        prefix = (prefix + chunk[: len(codecs.BOM_UTF8)])[: len(codecs.BOM_UTF8)]
        try:
            decoder.decode(chunk, final=False)
        except UnicodeDecodeError as error:
            return position + error.start, False
        position += len(chunk)
    pending = decoder.getstate()[0]
    if pending:
        return position - len(pending), False  # the file ends inside a character
    return None, prefix == codecs.BOM_UTF8


def detect_encoding(read_chunks: Callable[[], Iterable[bytes]], override: str | None = None) -> str:
    """The Python codec that reads the whole file; `read_chunks()` gives its bytes in order.

    UTF-8 first ("utf-8-sig" with a BOM); else Windows-1252 when plausible; `override` (a codec
    of `ENCODINGS`) is checked instead of guessed. Raises FormatAmbiguity with the byte offset
    of the first byte that cannot be read, or that makes the guess implausible. A UTF-8 file is
    read once; a file that is not is read a second time for the plausibility checks.
    """
    if override:
        return _read_as(read_chunks(), override)
    utf8_error, has_bom = _first_utf8_error(read_chunks())
    if utf8_error is None:
        return "utf-8-sig" if has_bom else "utf-8"
    plausibility = _Cp1252Plausibility()
    position = 0
    for chunk in read_chunks():
        plausibility.feed(chunk, position)
        position += len(chunk)
    if plausibility.utf8_latin is not None:
        raise FormatAmbiguity(
            "encoding",
            "the file mixes UTF-8 and another encoding (accents written both ways); export it "
            "again in one encoding (UTF-8 preferred)",
            offset=utf8_error,
        )
    if plausibility.doubt is not None:
        offset, why = plausibility.doubt
        raise FormatAmbiguity(
            "encoding",
            f"the encoding cannot be told: not UTF-8, and {why} rules out Windows-1252; export "
            f'the file as "CSV UTF-8", or add encoding = "..." to {OVERRIDES_FILE}',
            offset=offset,
        )
    return "cp1252"
