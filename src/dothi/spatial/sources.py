"""Opening files to import: paths, zip archives, Shapefile parts, CSV, legacy text.

Everything here turns a user's path into something GDAL (through pyogrio) can read, or
refuses it with a message saying what is wrong and what to do.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import pyogrio

from dothi.errors import InvalidInput
from dothi.geo import encodings

_CSV_OPTIONS = {
    "X_POSSIBLE_NAMES": "lon,lng,long,longitude,x,kinh_do,kinhdo",
    "Y_POSSIBLE_NAMES": "lat,latitude,y,vi_do,vido",
    "GEOM_POSSIBLE_NAMES": "wkt,geometry,geom,the_geom",
    "KEEP_GEOM_COLUMNS": "NO",
    "AUTODETECT_TYPE": "YES",
}
_ZIP_MAX_MEMBERS = 10_000


def _is_junk(parts: tuple[str, ...]) -> bool:
    """Files that archivers add beside the data: macOS resource forks (``__MACOSX/``,
    ``._x.shp``) and folder settings (``.DS_Store``, ``Thumbs.db``)."""
    return (
        "__MACOSX" in parts
        or parts[-1].startswith("._")
        or parts[-1] in (".DS_Store", "Thumbs.db", "desktop.ini")
    )


@dataclass
class Source:
    """A readable dataset: the path GDAL opens, its layer and how to decode its text."""

    path: Path
    layer: str | None
    driver: str
    #: Encoding name for pyogrio (None: let GDAL decide) and the legacy encoding to undo.
    gdal_encoding: str | None = None
    legacy: str | None = None
    detect: bool = False
    options: dict[str, str] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


def check_allowed(path: Path, allowed: tuple[Path, ...]) -> Path:
    """Resolve ``path`` and refuse it if it lies outside the allowed folders."""
    resolved = path.expanduser().resolve()
    if allowed and not any(resolved.is_relative_to(a) for a in allowed):
        folders = ", ".join(str(a) for a in allowed)
        raise InvalidInput(
            f"Đường dẫn {resolved} nằm ngoài các thư mục được phép ({folders}).",
            f"The path {resolved} is outside the allowed folders ({folders}).",
            code="PathNotAllowed",
        )
    return resolved


def _extract_zip(path: Path, dest: Path, limit: int) -> None:
    if not zipfile.is_zipfile(path):
        raise InvalidInput(
            f"Tệp {path.name} không phải tệp zip hợp lệ (có thể bị hỏng hoặc tải thiếu).",
            f"{path.name} is not a valid zip file (it may be damaged or truncated).",
        )
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
            if len(members) > _ZIP_MAX_MEMBERS:
                raise InvalidInput(
                    f"Tệp zip có quá nhiều tệp ({len(members)}).",
                    f"The zip holds too many files ({len(members)}).",
                )
            written = 0
            for m in members:
                name = PurePosixPath(m.filename)
                if name.is_absolute() or ".." in name.parts:
                    raise InvalidInput(
                        f"Tệp zip chứa đường dẫn không an toàn: {m.filename}",
                        f"The zip contains an unsafe path: {m.filename}",
                    )
                if m.is_dir() or _is_junk(name.parts):
                    continue
                target = dest / name
                target.parent.mkdir(parents=True, exist_ok=True)
                # Count the bytes really written: a zip's declared sizes can lie.
                with zf.open(m) as src, open(target, "wb") as out:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        if written > limit:
                            raise InvalidInput(
                                f"Tệp zip giải nén vượt quá giới hạn {limit // 2**20} MiB.",
                                f"The zip expands beyond the limit of {limit // 2**20} MiB.",
                                code="ZipTooLarge",
                            )
                        out.write(chunk)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InvalidInput(
            f"Không đọc được tệp zip {path.name}: {exc}",
            f"Cannot read the zip file {path.name}: {exc}",
        ) from None


def _find_dataset(folder: Path, original: Path) -> Path:
    """The one dataset in a folder (Shapefile first, then other single files)."""
    files = [p for p in folder.rglob("*") if not _is_junk(p.relative_to(folder).parts)]
    shps = sorted(p for p in files if p.suffix.lower() == ".shp")
    if len(shps) == 1:
        return shps[0]
    if len(shps) > 1:
        names = ", ".join(p.name for p in shps[:10])
        raise InvalidInput(
            f"{original.name} chứa nhiều Shapefile ({names}); hãy nhập từng tệp một.",
            f"{original.name} holds several Shapefiles ({names}); import them one at a time.",
        )
    others = sorted(
        p
        for p in files
        if p.suffix.lower() in (".gpkg", ".geojson", ".json", ".csv", ".fgb", ".kml", ".gml")
    )
    if len(others) == 1:
        return others[0]
    raise InvalidInput(
        f"Không tìm thấy Shapefile (.shp) hay tệp dữ liệu duy nhất trong {original.name}.",
        f"No Shapefile (.shp) or single data file found in {original.name}.",
    )


def _check_shapefile(shp: Path) -> None:
    stem = shp.with_suffix("")
    siblings = {p.suffix.lower(): p for p in shp.parent.glob(stem.name + ".*")}
    missing = [ext for ext in (".shx", ".dbf") if ext not in siblings]
    if missing:
        raise InvalidInput(
            f"Shapefile {shp.name} thiếu tệp {', '.join(missing)} đi kèm.",
            f"Shapefile {shp.name} is missing its {', '.join(missing)} file(s).",
        )


def _cpg_encoding(shp: Path) -> str | None:
    for p in shp.parent.glob(shp.stem + ".*"):
        if p.suffix.lower() == ".cpg":
            text = p.read_text(encoding="ascii", errors="replace").strip().upper()
            return text or None
    return None


def _transcode_csv(path: Path, workdir: Path, encoding: str) -> Path:
    """Write a UTF-8 copy of a legacy-encoded CSV (GDAL's Arrow reader needs UTF-8)."""
    raw = path.read_bytes()
    if encoding == "auto":
        try:
            raw.decode("utf-8")
            return path
        except UnicodeDecodeError:
            lines = [ln for ln in raw.splitlines()[:5000] if any(b > 127 for b in ln)]
            encoding = encodings.detect_encoding(lines)
    if encoding == "utf-8":
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(
                f"{path.name} không phải UTF-8 (byte lỗi ở vị trí {exc.start}); "
                "thử --encoding auto, tcvn3, vni hoặc cp1258.",
                f"{path.name} is not UTF-8 (bad byte at offset {exc.start}); "
                "try --encoding auto, tcvn3, vni or cp1258.",
            ) from None
        return path
    out = workdir / (path.stem + ".utf8.csv")
    out.write_text(encodings.decode_bytes(raw, encoding), encoding="utf-8")
    return out


@contextmanager
def open_source(
    path: Path,
    *,
    encoding: str = "auto",
    source_layer: str | None = None,
    max_unzip_bytes: int,
) -> Iterator[Source]:
    """Prepare ``path`` for reading; temporary files are removed on exit."""
    if encoding not in encodings.SUPPORTED:
        raise InvalidInput(
            f"Bảng mã «{encoding}» không hỗ trợ; chọn: {', '.join(encodings.SUPPORTED)}.",
            f"Unsupported encoding '{encoding}'; choose: {', '.join(encodings.SUPPORTED)}.",
        )
    if not path.exists():
        raise InvalidInput(f"Không tìm thấy tệp {path}.", f"File not found: {path}.")
    workdir = Path(tempfile.mkdtemp(prefix="dothi-import-"))
    try:
        target = path
        if path.is_file() and path.suffix.lower() == ".zip":
            _extract_zip(path, workdir / "zip", max_unzip_bytes)
            target = _find_dataset(workdir / "zip", path)
        elif path.is_dir():
            target = _find_dataset(path, path)
        yield _describe(target, workdir, encoding, source_layer)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _describe(target: Path, workdir: Path, encoding: str, source_layer: str | None) -> Source:
    suffix = target.suffix.lower()
    options: dict[str, str] = {}
    gdal_encoding: str | None = None
    legacy: str | None = None
    detect = False
    if suffix == ".shp":
        _check_shapefile(target)
        if encoding == "auto":
            cpg = (_cpg_encoding(target) or "").replace("-", "").replace("_", "")
            if cpg in ("1258", "CP1258", "WINDOWS1258"):
                gdal_encoding, legacy = "latin1", "cp1258"
            elif cpg not in ("UTF8", "65001"):
                # No code page, or a Western one that old Vietnamese files often carry
                # wrongly: read the raw bytes and recognise the encoding from the text.
                gdal_encoding, detect = "latin1", True
        elif encoding == "utf-8":
            gdal_encoding = "UTF-8"
        else:
            gdal_encoding, legacy = "latin1", encoding
    elif suffix == ".csv":
        target = _transcode_csv(target, workdir, encoding)
        options = dict(_CSV_OPTIONS)
    try:
        layers = pyogrio.list_layers(target)
    except Exception as exc:  # GDAL raises several error types for unreadable files
        raise InvalidInput(
            f"Không đọc được {target.name}: {_gdal_message(exc)}",
            f"Cannot read {target.name}: {_gdal_message(exc)}",
            code="UnreadableFile",
        ) from None
    names = [str(row[0]) for row in layers]
    if source_layer is not None:
        if source_layer not in names:
            raise InvalidInput(
                f"{target.name} không có lớp «{source_layer}»; các lớp: {', '.join(names)}.",
                f"{target.name} has no layer '{source_layer}'; layers: {', '.join(names)}.",
            )
        layer = source_layer
    elif len(names) == 1:
        layer = names[0]
    elif not names:
        raise InvalidInput(
            f"{target.name} không chứa lớp dữ liệu nào.", f"{target.name} contains no layer."
        )
    else:
        raise InvalidInput(
            f"{target.name} có nhiều lớp ({', '.join(names)}); chọn một bằng --source-layer.",
            f"{target.name} has several layers ({', '.join(names)}); pick one with --source-layer.",
        )
    try:
        info = pyogrio.read_info(target, layer=layer, encoding=gdal_encoding, **options)
    except Exception as exc:
        raise InvalidInput(
            f"Không đọc được {target.name}: {_gdal_message(exc)}",
            f"Cannot read {target.name}: {_gdal_message(exc)}",
            code="UnreadableFile",
        ) from None
    return Source(
        path=target,
        layer=layer,
        driver=str(info.get("driver", "")),
        gdal_encoding=gdal_encoding,
        legacy=legacy,
        detect=detect,
        options=options,
        info=info,
    )


def _gdal_message(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
