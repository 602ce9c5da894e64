"""Streams one ResultFile from its presigned URL to disk, checking size and SHA-256.

Bytes go from the response through a hash into ``<name>.part``; the file takes its real name only once
size and digest match, so an interrupted or corrupt download never looks like a finished one.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import ChecksumMismatchError, UnreachableError, error_for

#: progress(file, bytes_so_far, total_bytes), called after every chunk.
Progress = Callable[[dict[str, Any], int, int], None]

_CHUNK_BYTES = 1024 * 1024


def destination_for(directory: str | os.PathLike[str], unit_key: str, path: str) -> Path:
    """``<directory>/<unitKey>/<path>``, refusing anything that would land outside ``directory``."""
    root = Path(directory).resolve()
    target = (root / unit_key / path).resolve()
    if target == root or root not in target.parents:
        raise ValueError(f"refusing to write {unit_key}/{path}: it would land outside {root}")
    return target


def has_content(file: Path, size: int, sha256: str) -> bool:
    """True when ``file`` exists with exactly this size and SHA-256."""
    if not file.is_file() or file.stat().st_size != size:
        return False
    digest = hashlib.sha256()
    with file.open("rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def download_verified(
    file: dict[str, Any], url: str, destination: Path, *, timeout: float, progress: Progress | None = None
) -> None:
    """Downloads ``file`` (a ResultFile: unitKey, path, size, sha256) from ``url`` to ``destination``."""
    name = f"{file['unitKey']}/{file['path']}"
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    digest = hashlib.sha256()
    received = 0
    try:
        # A presigned URL carries its own authorization: no bearer token goes to the object store.
        with urllib.request.urlopen(urllib.request.Request(url), timeout=timeout) as response, partial.open("wb") as out:
            for chunk in iter(lambda: response.read(_CHUNK_BYTES), b""):
                digest.update(chunk)
                out.write(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(file, received, int(file["size"]))
    except urllib.error.HTTPError as error:
        partial.unlink(missing_ok=True)
        body = error.read().decode("utf-8", errors="replace")[:300]
        raise error_for(None, f"cannot download {name}: HTTP {error.code} {body}".rstrip(), status=error.code) from None
    except (urllib.error.URLError, OSError) as error:
        partial.unlink(missing_ok=True)
        raise UnreachableError(f"download of {name} broke off: {getattr(error, 'reason', error)}") from error
    if received != int(file["size"]) or digest.hexdigest() != file["sha256"]:
        partial.unlink(missing_ok=True)
        raise ChecksumMismatchError(
            f"{name}: received {received} bytes with SHA-256 {digest.hexdigest()}, "
            f"expected {file['size']} bytes with {file['sha256']}; discarded"
        )
    partial.replace(destination)


def absolute_url(base: str, url: str) -> str:
    """Signed URLs are absolute; one that is not is taken relative to the server."""
    return urllib.parse.urljoin(base + "/", url)
