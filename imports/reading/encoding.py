"""Text encodings of CSV uploads: detection on a sample, labels, the bad-byte marker.

Detection order and its reasons are in :func:`detect_encoding`. The marker
error handler lets a re-read find exactly where strict decoding failed.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from imports.reading.base import FileReadError

DETECT_BYTES = 64 * 1024  # charset-normalizer is slow and no wiser on more

ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (with BOM)",
    "utf-16": "UTF-16 (with BOM)",
    "utf-16-le": "UTF-16 LE",
    "utf-16-be": "UTF-16 BE",
    "utf-32": "UTF-32 (with BOM)",
    "cp1252": "Windows-1252",
    "cp1250": "Windows-1250",
    "cp1251": "Windows-1251",
    "iso8859-1": "ISO-8859-1 (Latin-1)",
    "iso8859-15": "ISO-8859-15 (Latin-9)",
    "mac-roman": "Mac Roman",
}
# charset-normalizer cannot tell Western single-byte code pages apart on a
# CSV sample (it calls French Windows-1252 "cp1250" and German Latin-1
# "cp1250"): when its pick is one of these and Windows-1252 decodes the
# sample, Windows-1252 wins, being what Excel on Western Windows writes.
_LATIN_FAMILY = {
    "cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_1", "iso8859_2", "iso8859_3",
    "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15",
    "iso8859_16", "mac_roman", "mac_latin2", "mac_iceland", "mac_turkish", "cp437", "cp850",
    "cp852", "cp858", "cp775", "hp_roman8",
}  # fmt: skip


MARK_ERRORS = "penguinleads.reading.mark"


def _mark(error: UnicodeDecodeError) -> tuple[str, int]:
    # A lone surrogate never comes out of a strict decode, so it marks the bad
    # byte unambiguously (and carries its value) when the file is re-read.
    return chr(0xDC00 + error.object[error.start]), error.start + 1


codecs.register_error(MARK_ERRORS, _mark)
MARKED = re.compile("[\udc00-\udcff]")


def encoding_label(encoding: str) -> str:
    return ENCODING_LABELS.get(encoding, encoding)


def normalise_encoding(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise FileReadError(
            f'"{name}" is not an encoding we know. Choose one from the list, '
            f"for example UTF-8 or Windows-1252."
        ) from None


# -- encoding ----------------------------------------------------------------------


def detect_encoding(head: bytes, *, complete: bool) -> tuple[str, str]:
    """The codec for a CSV whose first bytes are ``head``, and a note saying how it was found.

    In order: a byte-order mark; UTF-16 without BOM from the pattern of NUL
    bytes; binary data (many control bytes) refused; UTF-8 when the sample
    decodes as UTF-8 or mostly does (so a stray bad byte is reported with its
    row rather than the whole file garbled as Windows-1252); otherwise
    charset-normalizer, preferring Windows-1252 over its Western look-alikes.
    ``complete`` says ``head`` is the whole file (no character cut at its end).
    """
    for bom, codec in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if head.startswith(bom):
            return codec, f"Encoding: {encoding_label(codec)}, from its byte-order mark."
    utf16 = _utf16_without_bom(head)
    if utf16:
        return utf16, f"Encoding detected: {encoding_label(utf16)} (no byte-order mark)."
    _refuse_binary(head)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
        return "utf-8", "Encoding detected: UTF-8."
    except UnicodeDecodeError:
        pass
    text = head.decode("utf-8", errors=MARK_ERRORS)
    bad = len(MARKED.findall(text))
    good = sum(1 for char in text if "\x7f" < char < "\udc00" or char > "\udcff")
    if good >= bad:
        return "utf-8", "Encoding detected: UTF-8 (some bytes are not valid UTF-8)."
    best = from_bytes(head[:DETECT_BYTES]).best()
    if best is None:
        raise FileReadError(
            "This file is not text in any encoding we recognise: it may be a binary file "
            "renamed to .csv. Export the data again as CSV (UTF-8) or XLSX."
        )
    codec = normalise_encoding(best.encoding)
    if best.encoding in _LATIN_FAMILY:
        try:
            head.decode("cp1252")
            codec = "cp1252"
        except UnicodeDecodeError:
            pass
    return codec, f"Encoding detected: {encoding_label(codec)}."


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[:4096]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sample[0 : pairs * 2 : 2].count(0)
    odd = sample[1 : pairs * 2 : 2].count(0)
    if odd > pairs * 0.3 and even < pairs * 0.05:
        return "utf-16-le"
    if even > pairs * 0.3 and odd < pairs * 0.05:
        return "utf-16-be"
    return None


_CONTROL = bytes(set(range(32)) - {9, 10, 12, 13, 26, 27})


def _refuse_binary(head: bytes) -> None:
    sample = head[:DETECT_BYTES]
    control = len(sample) - len(sample.translate(None, _CONTROL))
    # A stray NUL in a text file is reported later with its row; binary data
    # is full of them.
    if control * 100 > len(sample) and control >= 16:
        raise FileReadError(
            "This file holds binary data, not text (it has NUL and control bytes): it may be "
            "a spreadsheet or another file renamed to .csv. Upload the .xlsx itself, or "
            "export the data again as CSV (UTF-8)."
        )


def complete_text(head: bytes, encoding: str, *, complete: bool) -> str:
    """The sample decoded leniently and cut after its last full line (unless it is the file)."""
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=complete)
    if complete:
        return text
    cut = max(text.rfind("\n"), text.rfind("\r"))
    return text[: cut + 1] if cut > 0 else text
