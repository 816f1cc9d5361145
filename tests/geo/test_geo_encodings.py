"""Tests for dothi.geo.encodings: legacy Vietnamese encodings of old .dbf files."""

from __future__ import annotations

import unicodedata

import pytest

from dothi.errors import InvalidInput
from dothi.geo.encodings import (
    LEGACY_ENCODINGS,
    SUPPORTED,
    VIETNAMESE_LETTERS,
    decode_bytes,
    decode_latin1_text,
    detect_encoding,
    encode_text,
)

PHRASES = [
    "Phường Bến Nghé",
    "Thành phố Hồ Chí Minh",
    "Đường Nguyễn Huệ",
    "Quận Hoàn Kiếm",
    "Ủy ban nhân dân",
    "ĐƯỜNG LÊ LỢI",
    "Tỉnh Đắk Lắk, huyện Krông Búk",
    "Khu phố 3, phường Tân Định",
]

# Place and street names as they appear in attribute tables, ASCII ones included.
PLACE_NAMES = [
    "Phường Tân Định",
    "Xã Đông Thạnh",
    "Huyện Củ Chi",
    "Đường Lê Lợi",
    "Phố Hàng Bạc",
    "Thị trấn Cần Giờ",
    "Quận Ba Đình",
    "Đường Trần Hưng Đạo",
    "Cầu Chương Dương",
    "Chợ Bến Thành",
    "Sông Sài Gòn",
    "Hồ Tây",
    "Đường Võ Văn Kiệt",
    "Phường Nguyễn Cư Trinh",
    "Nguyen Trai",
    "QL1A",
    "Khu phố 4",
    "Trường THPT Lê Quý Đôn",
    "Bệnh viện Chợ Rẫy",
    "Ngõ 12 phố Huế",
]

TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")  # none, huyền, hỏi, ngã, sắc, nặng


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def has_combining(text: str) -> bool:
    return any(unicodedata.combining(ch) for ch in text)


# --- the letter set ---------------------------------------------------------------------


def test_letter_set_is_the_134_vietnamese_letters() -> None:
    assert len(VIETNAMESE_LETTERS) == 134
    assert len(set(VIETNAMESE_LETTERS)) == 134
    assert all(nfc(ch) == ch and not ch.isascii() for ch in VIETNAMESE_LETTERS)
    # Rebuild the set from first principles: 12 vowels x 5 tones x 2 cases, the 6 toneless
    # vowels with ^ ˘ or horn in both cases, and đ Đ.
    vowels = ["a", "a\u0306", "a\u0302", "e", "e\u0302", "i", "o", "o\u0302", "o\u031b"]
    vowels += ["u", "u\u031b", "y"]
    expected = {nfc(v + t) for v in vowels for t in TONES} - set("aeiouy")
    expected |= {ch.upper() for ch in expected} | {"đ", "Đ"}
    assert set(VIETNAMESE_LETTERS) == expected


# --- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", [*LEGACY_ENCODINGS, "utf-8"])
def test_every_letter_round_trips(encoding: str) -> None:
    for letter in VIETNAMESE_LETTERS:
        data = encode_text(letter, encoding)
        assert decode_bytes(data, encoding) == letter, (letter, data)
        assert decode_latin1_text(data.decode("latin-1"), encoding) == letter
    everything = VIETNAMESE_LETTERS + " " + VIETNAMESE_LETTERS.lower()
    assert decode_bytes(encode_text(everything, encoding), encoding) == everything


@pytest.mark.parametrize("encoding", LEGACY_ENCODINGS)
@pytest.mark.parametrize("phrase", PHRASES)
def test_phrases_round_trip(encoding: str, phrase: str) -> None:
    data = encode_text(phrase, encoding)
    assert not data.isascii()
    as_gdal_reads_it = data.decode("latin-1")
    out = decode_latin1_text(as_gdal_reads_it, encoding)
    assert out == phrase
    assert unicodedata.is_normalized("NFC", out)
    assert decode_bytes(data, encoding) == phrase


@pytest.mark.parametrize("encoding", LEGACY_ENCODINGS)
def test_decomposed_input_is_encoded_like_precomposed(encoding: str) -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Thị Minh Khai")
    assert encode_text(decomposed, encoding) == encode_text("Nguyễn Thị Minh Khai", encoding)


# --- published table values ------------------------------------------------------------


def test_tcvn3_bytes_match_the_published_table() -> None:
    expected = {
        "à": b"\xb5",
        "á": b"\xb8",
        "ạ": b"\xb9",
        "ă": b"\xa8",
        "ắ": b"\xbe",
        "ặ": b"\xc6",
        "â": b"\xa9",
        "ê": b"\xaa",
        "ô": b"\xab",
        "ơ": b"\xac",
        "ư": b"\xad",
        "đ": b"\xae",
        "Ă": b"\xa1",
        "Â": b"\xa2",
        "Ê": b"\xa3",
        "Ô": b"\xa4",
        "Ơ": b"\xa5",
        "Ư": b"\xa6",
        "Đ": b"\xa7",
        "ĩ": b"\xdc",
        "ỏ": b"\xe1",
        "ờ": b"\xea",
        "ủ": b"\xf1",
        "ỵ": b"\xfe",
        # Toned capitals: TCVN 5712 VN1 positions, some in the C0 control range.
        "À": b"\x80",
        "Ú": b"\x01",
        "Ụ": b"\x02",
        "Ỵ": b"\x17",
        "Ố": b"\xff",
        "Ằ": b"\xaf",
    }
    for letter, byte in expected.items():
        assert encode_text(letter, "tcvn3") == byte, letter
    assert encode_text("Phường Bến Nghé", "tcvn3") == b"Ph\xad\xeang B\xd5n Ngh\xd0"
    # Every letter is one byte and no two letters share one.
    codes = [encode_text(ch, "tcvn3") for ch in VIETNAMESE_LETTERS]
    assert all(len(c) == 1 for c in codes)
    assert len(set(codes)) == 134


def test_tcvn3_abc_text_with_lowercase_only_toned_letters() -> None:
    # ABC (VN3) software had no toned capitals, so a capital Ủ was stored as ủ.
    assert decode_bytes(b"\xf1y ban nh\xa9n d\xa9n", "tcvn3") == "ủy ban nhân dân"
    assert decode_bytes(b"Ph\xad\xeang B\xd5n Ngh\xd0", "tcvn3") == "Phường Bến Nghé"


def test_tcvn3_restores_capitals_in_words_typed_in_capitals() -> None:
    # "ĐƯỜNG LÊ LỢI" typed in VN3: Đ, Ư and Ê have capitals, ờ and ợ do not.
    assert decode_bytes(b"\xa7\xa6\xeaNG L\xa3 L\xeeI", "tcvn3") == "ĐƯỜNG LÊ LỢI"
    assert decode_bytes(b"H\xb5 N\xe9I", "tcvn3") == "HÀ NỘI"
    # Title case and lowercase stay as they are.
    assert decode_bytes(b"H\xb5 N\xe9i", "tcvn3") == "Hà Nội"
    assert decode_bytes(b"TT. H\xb5", "tcvn3") == "TT. Hà"
    assert decode_bytes(b"UBND ph\xad\xeang 5", "tcvn3") == "UBND phường 5"
    # Only the capitalised word changes in a mixed value.
    assert decode_bytes(b"Tr\xad\xeang TR\xa6NG V\xa6\xeaNG", "tcvn3") == "Trường TRƯNG VƯỜNG"
    # ư has a capital (0xA6) in VN3, so a word containing it really is mixed case.
    assert decode_bytes(b"V\xad\xeaNG", "tcvn3") == "VườNG"
    # A value that uses VN1 capitals says its lowercase bytes are lowercase.
    assert decode_bytes(b"PH\xa6\x98NG \xa7\xb5", "tcvn3") == "PHƯỜNG Đà"


def test_tcvn3_combining_tone_bytes() -> None:
    assert decode_bytes(b"a\xb3", "tcvn3") == "á"
    assert decode_bytes(b"\xa9\xb4", "tcvn3") == "ậ"


def test_vni_bytes_match_the_published_table() -> None:
    expected = {
        "á": b"a\xf9",
        "à": b"a\xf8",
        "ả": b"a\xfb",
        "ã": b"a\xf5",
        "ạ": b"a\xef",
        "Á": b"A\xd9",
        "â": b"a\xe2",
        "ấ": b"a\xe1",
        "ậ": b"a\xe4",
        "Ậ": b"A\xc4",
        "ă": b"a\xea",
        "ắ": b"a\xe9",
        "ẳ": b"a\xfa",
        "ẵ": b"a\xfc",
        "ặ": b"a\xeb",
        "ơ": b"\xf4",
        "Ơ": b"\xd4",
        "ớ": b"\xf4\xf9",
        "ư": b"\xf6",
        "Ư": b"\xd6",
        "ự": b"\xf6\xef",
        "đ": b"\xf1",
        "Đ": b"\xd1",
        "í": b"\xed",
        "ì": b"\xec",
        "ỉ": b"\xe6",
        "ĩ": b"\xf3",
        "ị": b"\xf2",
        "Ị": b"\xd2",
        "ỵ": b"\xee",
        "Ỵ": b"\xce",
        "ý": b"y\xf9",
    }
    for letter, data in expected.items():
        assert encode_text(letter, "vni") == data, letter
    assert encode_text("Phường Bến Nghé", "vni") == b"Ph\xf6\xf4\xf8ng Be\xe1n Nghe\xf9"


def test_vni_mark_case_mismatch_still_decodes() -> None:
    assert decode_bytes(b"A\xf9", "vni") == "Á"
    assert decode_bytes(b"a\xd9", "vni") == "á"


def test_cp1258_agrees_with_the_python_codec() -> None:
    for phrase in PHRASES:
        data = encode_text(phrase, "cp1258")
        assert nfc(data.decode("cp1258")) == phrase
        assert decode_bytes(data, "cp1258") == phrase
    # Windows writes ệ as ê + combining dot below (0xF2).
    assert encode_text("ệ", "cp1258") == b"\xea\xf2"
    assert encode_text("à", "cp1258") == b"\xe0"


def test_cp1258_output_has_no_combining_marks() -> None:
    out = decode_bytes(b"Nguy\xea\xden Hu\xea\xf2", "cp1258")
    assert out == "Nguyễn Huệ"
    assert not has_combining(out)


def test_undefined_bytes_keep_their_latin1_meaning() -> None:
    assert decode_bytes(b"a\x81b", "cp1258") == "a\x81b"
    assert decode_bytes(b"x\xb5y", "vni") == "x\xb5y"


def test_characters_above_latin1_are_kept() -> None:
    assert decode_latin1_text("Hà Nội", "utf-8") == "Hà Nội"
    # ộ (U+1ED9) cannot be a byte; 0xB5 can, and is à in TCVN3.
    assert decode_latin1_text("Nội \xb5", "tcvn3") == "Nội à"


# --- UTF-8 ------------------------------------------------------------------------------


def test_utf8_is_redecoded_and_normalised() -> None:
    data = unicodedata.normalize("NFD", "Đường Nguyễn Huệ").encode("utf-8")
    out = decode_latin1_text(data.decode("latin-1"), "utf-8")
    assert out == "Đường Nguyễn Huệ"
    assert not has_combining(out)
    assert decode_bytes(data, "UTF8") == "Đường Nguyễn Huệ"


def test_invalid_utf8_raises() -> None:
    with pytest.raises(InvalidInput) as info:
        decode_bytes(b"Ph\xad\xeang", "utf-8")
    assert "UTF-8" in info.value.en and "UTF-8" in info.value.vi


# --- encoding names and errors --------------------------------------------------------


def test_aliases() -> None:
    data = encode_text("Huế", "cp1258")
    assert encode_text("Huế", "Windows-1258") == data
    assert decode_bytes(data, "WINDOWS_1258") == "Huế"
    assert encode_text("Huế", "TCVN3") == encode_text("Huế", "tcvn3")


@pytest.mark.parametrize("call", ["decode_bytes", "decode_latin1_text", "encode_text"])
def test_unknown_encoding_raises_with_both_messages(call: str) -> None:
    with pytest.raises(InvalidInput) as info:
        if call == "decode_bytes":
            decode_bytes(b"abc", "latin9")
        elif call == "decode_latin1_text":
            decode_latin1_text("abc", "latin9")
        else:
            encode_text("abc", "latin9")
    err = info.value
    assert "latin9" in err.en and "latin9" in err.vi
    assert "Accepted values" in err.en
    assert "Bảng mã không hợp lệ" in err.vi
    for name in ("utf-8", "tcvn3", "vni", "cp1258"):
        assert name in err.en and name in err.vi
    assert err.message("en") == err.en and err.message("vi") == err.vi


def test_auto_is_not_an_output_encoding() -> None:
    with pytest.raises(InvalidInput) as info:
        encode_text("abc", "auto")
    assert "auto" not in info.value.en.split("Accepted values")[1]


@pytest.mark.parametrize(
    ("text", "encoding", "char"),
    [("Señor", "tcvn3", "ñ"), ("5 €", "vni", "€"), ("Đường 中", "cp1258", "中")],
)
def test_unrepresentable_characters_raise(text: str, encoding: str, char: str) -> None:
    with pytest.raises(InvalidInput) as info:
        encode_text(text, encoding)
    code = f"U+{ord(char):04X}"
    assert code in info.value.en and code in info.value.vi


def test_tcvn3_cannot_encode_the_control_bytes_it_uses_for_capitals() -> None:
    with pytest.raises(InvalidInput):
        encode_text("a\x01b", "tcvn3")
    assert encode_text("a\tb\n", "tcvn3") == b"a\tb\n"


# --- detection ------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", [*LEGACY_ENCODINGS, "utf-8"])
def test_detects_each_encoding_on_place_names(encoding: str) -> None:
    samples = [encode_text(name, encoding) for name in PLACE_NAMES]
    assert detect_encoding(samples) == encoding
    assert detect_encoding(iter(samples)) == encoding  # one pass over an iterator is enough


@pytest.mark.parametrize("encoding", LEGACY_ENCODINGS)
def test_detects_each_encoding_on_phrases(encoding: str) -> None:
    assert detect_encoding(encode_text(p, encoding) for p in PHRASES) == encoding


@pytest.mark.parametrize("encoding", LEGACY_ENCODINGS)
@pytest.mark.parametrize("name", ["Phường Bến Nghé", "Quận Hoàn Kiếm", "Đường Nguyễn Huệ"])
def test_detects_a_single_value(encoding: str, name: str) -> None:
    assert detect_encoding([encode_text(name, encoding)]) == encoding


def test_detection_of_ascii_and_empty_input() -> None:
    assert detect_encoding([b"Nguyen Trai", b"QL1A", b""]) == "utf-8"
    assert detect_encoding([]) == "utf-8"


def test_detection_with_mostly_ascii_values() -> None:
    samples = [b"Nguyen Trai"] * 500 + [encode_text("Phường Bến Nghé", "vni")]
    assert detect_encoding(samples) == "vni"


def test_detection_returns_a_legacy_name_for_garbage() -> None:
    assert detect_encoding([b"\xff\xfe\x00\x81\x9d"]) in LEGACY_ENCODINGS


@pytest.mark.parametrize("encoding", LEGACY_ENCODINGS)
def test_auto_decodes_a_value(encoding: str) -> None:
    data = encode_text("Thành phố Hồ Chí Minh", encoding)
    assert decode_bytes(data, "auto") == "Thành phố Hồ Chí Minh"
    assert decode_latin1_text(data.decode("latin-1"), "auto") == "Thành phố Hồ Chí Minh"
    assert decode_bytes("Thành phố".encode(), "auto") == "Thành phố"


def test_supported_lists() -> None:
    assert SUPPORTED == ("auto", "utf-8", "tcvn3", "vni", "cp1258")
    assert LEGACY_ENCODINGS == ("tcvn3", "vni", "cp1258")
