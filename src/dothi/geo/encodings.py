"""Legacy Vietnamese text encodings found in old Shapefiles, converted to Unicode.

Old Vietnamese ``.dbf`` files rarely hold UTF-8. Most were written by MapInfo, ArcView or
Excel on machines using one of three 8-bit encodings:

``tcvn3``
    TCVN 5712:1993 (the "ABC" fonts such as .VnTime). One byte per letter. The ABC
    subset (VN3) that people actually typed only has *lowercase* toned letters, at
    0xB5-0xFE, plus đ/ă/â/ê/ô/ơ/ư at 0xA8-0xAE and their capitals Ă Â Ê Ô Ơ Ư Đ at
    0xA1-0xA7. Toned capitals were shown with the separate "H" fonts (.VnTimeH), which
    draw capital glyphs at the *lowercase* positions, so in the bytes a heading such as
    "ĐƯỜNG" is stored as Đ, Ư, ờ, N, G. The full standard (VN1) also gives every toned
    capital its own byte, in 0x80-0x9F, in gaps of the upper half and in twelve C0
    control positions (0x01, 0x02, 0x04-0x06, 0x11-0x17); 0xB0-0xB4 are combining tone
    marks. This module decodes all of VN1 and, for VN3 data, restores capitals in words
    typed in capitals (see :func:`decode_latin1_text`).
``vni``
    VNI-Windows. A vowel is its plain ASCII letter followed by one mark byte that carries
    the tone and/or the circumflex/breve. Lowercase letters take the marks at Latin-1
    lowercase positions, capitals the Latin-1 capital of the same byte::

        sắc ù/Ù  huyền ø/Ø  hỏi û/Û  ngã õ/Õ  nặng ï/Ï
        ^ â/Â  ^+sắc á/Á  ^+huyền à/À  ^+hỏi å/Å  ^+ngã ã/Ã  ^+nặng ä/Ä
        ˘ ê/Ê  ˘+sắc é/É  ˘+huyền è/È  ˘+hỏi ú/Ú  ˘+ngã ü/Ü  ˘+nặng ë/Ë

    A few letters are single bytes (lowercase/capital): ơ/Ơ = ô/Ô, ư/Ư = ö/Ö,
    đ/Đ = ñ/Ñ, í/Í = í/Í, ì/Ì = ì/Ì, ỉ/Ỉ = æ/Æ, ĩ/Ĩ = ó/Ó, ị/Ị = ò/Ò, ỵ/Ỵ = î/Î; ơ and ư
    take tone bytes like a base letter. So "ớ" is "ôù" and "ường" is "öôøng".
``cp1258``
    Windows-1258: Windows-1252 with ă â ê ô ơ ư đ and five combining tone marks, so
    most toned letters are a base letter followed by a combining mark.

GDAL is asked to read such files as ``latin1``, which turns every byte into the code point
of the same value; :func:`decode_latin1_text` turns those strings into NFC Unicode. Tables
are built once at import so that decoding is a ``str.translate`` plus NFC normalisation,
fast enough for millions of values.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from typing import Final

from dothi.errors import InvalidInput

LEGACY_ENCODINGS: Final[tuple[str, ...]] = ("tcvn3", "vni", "cp1258")
SUPPORTED: Final[tuple[str, ...]] = ("auto", "utf-8", "tcvn3", "vni", "cp1258")

# Spellings people type on the command line or find in .cpg files, mapped to our names.
_ALIASES: Final[dict[str, str]] = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "auto": "auto",
    "tcvn3": "tcvn3",
    "tcvn": "tcvn3",
    "tcvn-3": "tcvn3",
    "tcvn5712": "tcvn3",
    "abc": "tcvn3",
    "vni": "vni",
    "vni-windows": "vni",
    "cp1258": "cp1258",
    "cp-1258": "cp1258",
    "windows-1258": "cp1258",
}

# --------------------------------------------------------------------------------------
# Tables. Every row lists one vowel with no tone, then huyền, hỏi, ngã, sắc, nặng: the
# traditional Vietnamese order of the tones.

# TCVN3: letter row, bytes of the lowercase letters, bytes of the capitals. Lowercase
# positions are shared by VN1 and the ABC (VN3) subset; toned capitals exist only in VN1.
_TCVN3_ROWS: Final = (
    ("aàảãáạ", b"a\xb5\xb6\xb7\xb8\xb9", b"A\x80\x81\x82\x83\x84"),
    ("ăằẳẵắặ", b"\xa8\xbb\xbc\xbd\xbe\xc6", b"\xa1\xaf\xba\xbf\xc0\x85"),
    ("âầẩẫấậ", b"\xa9\xc7\xc8\xc9\xca\xcb", b"\xa2\xc1\xc2\xc3\xc4\x86"),
    ("eèẻẽéẹ", b"e\xcc\xce\xcf\xd0\xd1", b"E\x87\x88\x89\x8a\x8b"),
    ("êềểễếệ", b"\xaa\xd2\xd3\xd4\xd5\xd6", b"\xa3\xc5\xcd\xd9\xda\x8c"),
    ("iìỉĩíị", b"i\xd7\xd8\xdc\xdd\xde", b"I\x8d\x8e\x8f\x90\x91"),
    ("oòỏõóọ", b"o\xdf\xe1\xe2\xe3\xe4", b"O\x92\x93\x94\x95\x96"),
    ("ôồổỗốộ", b"\xab\xe5\xe6\xe7\xe8\xe9", b"\xa4\xdb\xe0\xf0\xff\x97"),
    ("ơờởỡớợ", b"\xac\xea\xeb\xec\xed\xee", b"\xa5\x98\x99\x9a\x9b\x9c"),
    ("uùủũúụ", b"u\xef\xf1\xf2\xf3\xf4", b"U\x9d\x9e\x9f\x01\x02"),
    ("ưừửữứự", b"\xad\xf5\xf6\xf7\xf8\xf9", b"\xa6\x04\x05\x06\x11\x12"),
    ("yỳỷỹýỵ", b"y\xfa\xfb\xfc\xfd\xfe", b"Y\x13\x14\x15\x16\x17"),
)
# đ, Đ, no-break space and the five combining tone marks of VN1.
_TCVN3_OTHERS: Final = ("đĐ\xa0\u0300\u0309\u0303\u0301\u0323", b"\xae\xa7\xa0\xb0\xb1\xb2\xb3\xb4")

# VNI-Windows: letter row and its byte sequences (as Latin-1 text), lowercase only; each
# capital is the Latin-1 upper case of the same sequence ("aù" -> "AÙ", "ö" -> "Ö").
_VNI_ROWS: Final = (
    ("aàảãáạ", "a aø aû aõ aù aï"),
    ("ăằẳẵắặ", "aê aè aú aü aé aë"),
    ("âầẩẫấậ", "aâ aà aå aã aá aä"),
    ("eèẻẽéẹ", "e eø eû eõ eù eï"),
    ("êềểễếệ", "eâ eà eå eã eá eä"),
    ("iìỉĩíị", "i ì æ ó í ò"),
    ("oòỏõóọ", "o oø oû oõ où oï"),
    ("ôồổỗốộ", "oâ oà oå oã oá oä"),
    ("ơờởỡớợ", "ô ôø ôû ôõ ôù ôï"),
    ("uùủũúụ", "u uø uû uõ uù uï"),
    ("ưừửữứự", "ö öø öû öõ öù öï"),
    ("yỳỷỹýỵ", "y yø yû yõ yù î"),
)
_VNI_D: Final = ("đ", "ñ")
# What each VNI mark byte adds to the letter before it, as Unicode combining marks.
# Decoding maps the byte to these and lets NFC compose, so no pair table is needed and a
# lowercase mark after a capital (or the reverse) still gives the intended letter.
_VNI_MARKS: Final[dict[str, str]] = {
    "ø": "\u0300",
    "û": "\u0309",
    "õ": "\u0303",
    "ù": "\u0301",
    "ï": "\u0323",
    "â": "\u0302",
    "à": "\u0302\u0300",
    "å": "\u0302\u0309",
    "ã": "\u0302\u0303",
    "á": "\u0302\u0301",
    "ä": "\u0302\u0323",
    "ê": "\u0306",
    "è": "\u0306\u0300",
    "ú": "\u0306\u0309",
    "ü": "\u0306\u0303",
    "é": "\u0306\u0301",
    "ë": "\u0306\u0323",
}

_TONE_MARKS: Final = "\u0300\u0309\u0303\u0301\u0323"  # huyền hỏi ngã sắc nặng


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _all_rows() -> list[str]:
    """Every letter row, lowercase then capitals."""
    lower = [row[0] for row in _TCVN3_ROWS]
    return lower + [row.upper() for row in lower]


# The 134 Vietnamese letters that are not plain ASCII, lowercase and capitals.
VIETNAMESE_LETTERS: Final[str] = (
    "".join(ch for row in _all_rows() for ch in row if not ch.isascii()) + "đĐ"
)


def _build_tcvn3() -> tuple[dict[int, str], dict[int, str]]:
    encode: dict[int, str] = {}
    for letters, lower, upper in _TCVN3_ROWS:
        for ch, byte in zip(letters, lower, strict=True):
            encode[ord(ch)] = chr(byte)
        for ch, byte in zip(letters.upper(), upper, strict=True):
            encode[ord(ch)] = chr(byte)
    for ch, byte in zip(*_TCVN3_OTHERS, strict=True):
        encode[ord(ch)] = chr(byte)
    decode = {ord(b): chr(u) for u, b in encode.items() if ord(b) != u}
    # ASCII stays itself except the control positions that VN1 gave to capitals.
    for code in range(0x80):
        if code not in decode:
            encode[code] = chr(code)
    return decode, encode


def _build_vni() -> tuple[dict[int, str], dict[int, str]]:
    encode: dict[int, str] = {}
    for letters, seqs in _VNI_ROWS:
        for ch, seq in zip(letters, seqs.split(), strict=True):
            encode[ord(ch)] = seq
            encode[ord(ch.upper())] = seq.upper()
    for ch, seq in (_VNI_D, (_VNI_D[0].upper(), _VNI_D[1].upper())):
        encode[ord(ch)] = seq
    decode: dict[int, str] = {}
    for code, seq in encode.items():
        if len(seq) == 1 and not seq.isascii():
            decode[ord(seq)] = chr(code)  # a precomposed letter such as ô -> ơ
    for mark, combining in _VNI_MARKS.items():
        decode[ord(mark)] = combining
        decode[ord(mark.upper())] = combining
    for code in (*range(0x80), 0xA0):
        encode[code] = chr(code)
    return decode, encode


def _build_cp1258() -> tuple[dict[int, str], dict[int, str]]:
    decode: dict[int, str] = {}
    encode: dict[int, str] = {}
    for code in range(0x100):
        try:
            ch = bytes([code]).decode("cp1258")
        except UnicodeDecodeError:
            continue  # undefined in cp1258: decoding keeps the Latin-1 character
        if ch != chr(code):
            decode[code] = ch
        encode[ord(ch)] = chr(code)
    # Letters with no byte of their own: base letter (with its ^ ˘ or horn) plus the
    # combining tone mark, which is how Windows itself writes them.
    for ch in VIETNAMESE_LETTERS:
        if ord(ch) in encode:
            continue
        parts = unicodedata.normalize("NFD", ch)
        tone = "".join(c for c in parts if c in _TONE_MARKS)
        base = _nfc("".join(c for c in parts if c not in _TONE_MARKS))
        encode[ord(ch)] = encode[ord(base)] + encode[ord(tone)]
    return decode, encode


# Decoding tables are 256-entry tuples rather than dicts: str.translate indexes them about
# twice as fast, and characters above U+00FF raise IndexError, which leaves them as they are.
_DECODE: Final[dict[str, tuple[str, ...]]] = {}
_ENCODE: Final[dict[str, dict[int, str]]] = {}
for _name, _build in (("tcvn3", _build_tcvn3), ("vni", _build_vni), ("cp1258", _build_cp1258)):
    _decode, _ENCODE[_name] = _build()
    _DECODE[_name] = tuple(_decode.get(code, chr(code)) for code in range(0x100))


def _char_class(chars: Iterable[str], negate: bool = False) -> str:
    body = "".join(f"\\u{ord(c):04x}" for c in sorted(set(chars)))
    return f"[{'^' if negate else ''}{body}]"


# First character that an encoding cannot write, for encode_text's error message.
_UNREPRESENTABLE: Final[dict[str, re.Pattern[str]]] = {
    name: re.compile(_char_class((chr(c) for c in table), negate=True))
    for name, table in _ENCODE.items()
}

# --------------------------------------------------------------------------------------
# Restoring capitals in TCVN3 (VN3) text; see decode_latin1_text.

_TONED_LOWER: Final = "".join(
    ch for row in _all_rows()[:12] for ch in row[1:]
)  # the 60 toned lowercase letters, the only ones VN3 cannot write as capitals
_TONED_UPPER: Final = _TONED_LOWER.upper()
_VN3_UPPER: Final = "A-ZĂÂÊÔƠƯĐ"
# Letters that prove a word is really in lowercase: VN3 could have written their capitals.
_TRUE_LOWER: Final = "a-zăâêôơưđ"
_NOT_TRUE_LOWER: Final = rf"[^\W\d_{_TRUE_LOWER}]"
_HAS_TONED_LOWER: Final = re.compile(f"[{_TONED_LOWER}]")
_HAS_TONED_UPPER: Final = re.compile(f"[{_TONED_UPPER}]")
_HAS_TRUE_LOWER: Final = re.compile(f"[{_TRUE_LOWER}]")
# A word typed in capitals: two or more capitals, some toned lowercase (capitals VN3 could
# not write) and no letter that is certainly lowercase.
_CAPS_WORD: Final = re.compile(
    rf"(?<![^\W\d_])"
    rf"(?={_NOT_TRUE_LOWER}*?[{_VN3_UPPER}]{_NOT_TRUE_LOWER}*?[{_VN3_UPPER}])"
    rf"(?={_NOT_TRUE_LOWER}*?[{_TONED_LOWER}])"
    rf"{_NOT_TRUE_LOWER}+(?![^\W\d_])"
)


def _restore_vn3_capitals(text: str) -> str:
    if not _HAS_TONED_LOWER.search(text) or _HAS_TONED_UPPER.search(text):
        # No lowercase-only letters, or the writer used VN1 capitals, so lowercase
        # bytes really are lowercase.
        return text
    if not _CAPS_WORD.search(text):
        return text
    if not _HAS_TRUE_LOWER.search(text):
        return text.upper()  # the whole value was typed in capitals ("HÀ NỘI")
    return _CAPS_WORD.sub(lambda m: m.group().upper(), text)


# --------------------------------------------------------------------------------------
# Public API


def _canonical(encoding: str, accepted: tuple[str, ...]) -> str:
    name = _ALIASES.get(encoding.strip().lower().replace("_", "-"))
    if name is None or name not in accepted:
        values = ", ".join(accepted)
        raise InvalidInput(
            f"Bảng mã không hợp lệ: {encoding!r}. Các giá trị được chấp nhận: {values}.",
            f"Unknown encoding {encoding!r}. Accepted values: {values}.",
        )
    return name


def _decode_utf8(data: bytes) -> str:
    try:
        return _nfc(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        others = ", ".join(LEGACY_ENCODINGS)
        raise InvalidInput(
            f"Dữ liệu không phải UTF-8 hợp lệ (byte {exc.start}); "
            f"hãy chọn bảng mã khác ({others}) hoặc auto.",
            f"The data is not valid UTF-8 (byte {exc.start}); "
            f"choose another encoding ({others}) or auto.",
        ) from None


def _decode_legacy(text: str, encoding: str) -> str:
    out = _nfc(text.translate(_DECODE[encoding]))
    if encoding == "tcvn3":
        out = _restore_vn3_capitals(out)
    return out


def decode_latin1_text(text: str, encoding: str) -> str:
    """Convert ``text``, whose code points U+0000-U+00FF stand for raw bytes, to Unicode.

    ``encoding`` is one of :data:`SUPPORTED` (case-insensitive; a few aliases such as
    ``utf8`` and ``windows-1258`` are accepted). The result is NFC. ``"auto"`` detects the
    encoding of this one value with :func:`detect_encoding`; for a whole file detect once
    on a sample and pass the result instead, which is both faster and more reliable.

    Characters above U+00FF cannot come from a byte, so they are taken as already decoded
    and kept. Bytes that an encoding leaves undefined keep their Latin-1 meaning.

    For ``tcvn3``, lowercase toned letters are returned as lowercase except in words that
    were evidently typed in capitals with the VN3 "H" fonts: a word with two or more
    capitals, some toned lowercase letters and no letter VN3 could have written as a
    capital (ASCII a-z, ă â ê ô ơ ư đ), e.g. bytes for "ĐƯờNG" give "ĐƯỜNG"; if the whole
    value has no such lowercase letter, it is upper-cased entirely ("Hà NộI" -> "HÀ NỘI").
    Values containing a VN1 toned capital are never changed this way. Text typed entirely
    in lowercase bytes for display in an "H" font cannot be told apart and stays lowercase.

    Raises :class:`~dothi.errors.InvalidInput` for an unknown encoding, and for
    ``utf-8`` when the bytes are not valid UTF-8.
    """
    name = _canonical(encoding, SUPPORTED)
    if text.isascii() and (name != "tcvn3" or text.isprintable()):
        return text  # the common case; pure printable ASCII means the same everywhere
    if name == "auto":
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            return _nfc(text)
        name = detect_encoding([raw])
    if name == "utf-8":
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            return _nfc(text)
        return _decode_utf8(raw)
    return _decode_legacy(text, name)


def decode_bytes(data: bytes, encoding: str) -> str:
    """Decode raw bytes in ``encoding`` (one of :data:`SUPPORTED`) to NFC Unicode.

    Same rules as :func:`decode_latin1_text`.
    """
    name = _canonical(encoding, SUPPORTED)
    if name == "utf-8":
        return _decode_utf8(data)
    return decode_latin1_text(data.decode("latin-1"), name)


def encode_text(text: str, encoding: str) -> bytes:
    """Encode Unicode ``text`` as ``utf-8`` or one of :data:`LEGACY_ENCODINGS`.

    The text is NFC-normalised first. ``tcvn3`` writes toned capitals at their VN1
    positions (so the text decodes back unchanged), which the ABC .VnTime fonts do not
    display; ``cp1258`` writes a toned letter as one byte when Windows-1258 has it and as
    base letter plus combining tone mark otherwise.

    Raises :class:`~dothi.errors.InvalidInput` for an unknown encoding (``auto`` is not
    an output encoding) or a character the encoding cannot represent.
    """
    name = _canonical(encoding, ("utf-8", *LEGACY_ENCODINGS))
    text = _nfc(text)
    if name == "utf-8":
        return text.encode("utf-8")
    bad = _UNREPRESENTABLE[name].search(text)
    if bad is not None:
        ch = bad.group()
        raise InvalidInput(
            f"Ký tự {ch!r} (U+{ord(ch):04X}) ở vị trí {bad.start()} "
            f"không biểu diễn được trong bảng mã {name}.",
            f"Character {ch!r} (U+{ord(ch):04X}) at position {bad.start()} "
            f"cannot be represented in {name}.",
        )
    return text.translate(_ENCODE[name]).encode("latin-1")


# --------------------------------------------------------------------------------------
# Detection

# Toned letter -> the same letter without its tone.
_STRIP_TONE: Final[dict[int, str]] = {ord(ch): row[0] for row in _all_rows() for ch in row[1:]}
# Rimes that end in a glide (or in a, after i/u/ư) take no final consonant ...
_OPEN_NUCLEI: Final = (
    "oai oay oeo uây uôi ươi ươu uya uyu iêu yêu "
    "ai ao au ay âu ây eo êu iu oi ôi ơi ui ưi ưu ia ua ưa uơ"
)
# ... the others may.
_CLOSED_NUCLEI: Final = "uyê iê yê uô ươ oa oă oe uâ uê uy a ă â e ê i o ô ơ u ư y"
# A toneless lowercase syllable. Onset clusters are allowed loosely (kr, dr ...) because
# minority place names (Krông Búk, Đắk Lắk) use them; the rime is strict, since that is
# where a wrong decoding shows.
_SYLLABLE: Final = re.compile(
    r"(?:qu|gi|[bcdđfghjklmnprstvwxz]{1,3})?"
    rf"(?:(?:{'|'.join(_OPEN_NUCLEI.split())})"
    rf"|(?:{'|'.join(_CLOSED_NUCLEI.split())})(?:ch|nh|ng|[cmnptk])?"
    r"|oo(?:ng|c))"
)
# Words: runs of anything but whitespace, digits, ASCII punctuation and typographic
# dashes, quotes and ellipsis (which real cp1258 or UTF-8 text has), so that the stray
# symbols and control characters of a wrong decoding end up inside words.
_WORD: Final = re.compile(r"[^\s0-9!-/:-@\[-`{-~\u2013\u2014\u2018\u2019\u201c\u201d\u2026]+")
# Bytes under 0x20 that TCVN3 reads as capitals; other ASCII reads the same everywhere.
_TCVN3_LOW_BYTES: Final = re.compile(rb"[\x01\x02\x04-\x06\x11-\x17]")


def _is_syllable(word: str) -> bool:
    """Whether ``word`` is a plausible Vietnamese syllable: Vietnamese letters only,
    at most one tone mark and a valid onset + rime."""
    lower = word.lower()
    toneless = lower.translate(_STRIP_TONE)
    tones = sum(1 for a, b in zip(lower, toneless, strict=True) if a != b)
    return tones <= 1 and _SYLLABLE.fullmatch(toneless) is not None


def _scorer() -> Callable[[str], int]:
    cache: dict[str, bool] = {}

    def score(text: str) -> int:
        total = 0
        for word in _WORD.findall(text):
            if word.isascii() and word.isalpha():
                continue  # reads the same in every encoding: no evidence either way
            ok = cache.get(word)
            if ok is None:
                ok = cache[word] = _is_syllable(word)
            total += 1 if ok else -1
        return total

    return score


def detect_encoding(samples: Iterable[bytes]) -> str:
    """Guess the encoding of raw byte strings, e.g. the first few thousand text values.

    Returns ``"utf-8"`` when every sample is valid UTF-8 (pure ASCII, and no samples at
    all, count as UTF-8). Otherwise each of :data:`LEGACY_ENCODINGS` decodes the samples
    and earns a point for every word with non-ASCII content that is a plausible
    Vietnamese syllable (Vietnamese letters only, at most one tone mark, a valid rime)
    and loses one for every other such word (stray symbols, control characters,
    combining marks, two tones). The highest total wins; ties go to ``tcvn3``, then
    ``vni``, then ``cp1258``. A result is always one of these names, even when no
    encoding is plausible, so callers wanting certainty should show the user a preview.
    """
    data = [bytes(s) for s in samples]
    try:
        for sample in data:
            sample.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    interesting = [s for s in data if not s.isascii() or _TCVN3_LOW_BYTES.search(s)]
    scores: dict[str, int] = {}
    for name in LEGACY_ENCODINGS:
        score = _scorer()
        table = _DECODE[name]
        scores[name] = sum(score(_nfc(s.decode("latin-1").translate(table))) for s in interesting)
    return max(LEGACY_ENCODINGS, key=lambda name: scores[name])
