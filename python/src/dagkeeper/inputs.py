"""Input objects (docs/inputs.md): content of any size stored once per scope and referred to from networks.

A reference is ``{":input:": "<sha256>"}`` (or ``{":input-key:": "<client key>"}``). ``create_network``
offloads the same values the CLI does, by the same rules: each component (each value of a components
object, or the whole components when they are not an object) and each settings whose canonical JSON is
over 64 KiB becomes an input object holding that canonical JSON (UTF-8), gzip-compressed on the way when
that saves at least 10%; then more, largest first, while a components object or the request is over the
server's caps (offload_plan.py). Equal values hash equal, so a protein shared by many systems is stored once.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from typing import Any

from . import queries as q
from .canonical import canonical_json_pieces
from .downloads import absolute_url
from .errors import ChecksumMismatchError, DagkeeperError, NotFoundError, UnreachableError, error_for
from .offload_plan import DEFAULT_REQUEST_SIZE_LIMITS, KEY_FIELD, SHA256_FIELD, as_reference, places_of, plan_offload
from .transport import GraphQLTransport

#: Values larger than this (bytes of canonical JSON) travel as input objects.
OFFLOAD_THRESHOLD_BYTES = 64 * 1024
#: Content is sent gzip-compressed when that saves at least this fraction of its bytes.
MIN_GZIP_SAVING = 0.1
_CHUNK_BYTES = 1024 * 1024


def canonical_bytes(value: Any) -> bytes:
    """The content an input object holds for a JSON value: its canonical JSON, UTF-8."""
    return "".join(canonical_json_pieces(value)).encode("utf-8")


class InputObjects:
    """Uploads and downloads of one server's input objects (used by Client)."""

    def __init__(self, transport: GraphQLTransport, timeout: float) -> None:
        self._transport = transport
        self._timeout = timeout
        self._size_limits: dict[str, int] | None = None

    def size_limits(self) -> dict[str, int]:
        """The server's ``maxRequestBytes`` and ``maxJsonValueBytes``; its defaults when it predates them."""
        if self._size_limits is None:
            try:
                self._size_limits = self._transport.execute(q.REQUEST_SIZE_LIMITS)["requestSizeLimits"]
            except DagkeeperError as error:
                if error.code != "GRAPHQL_VALIDATION_FAILED":
                    raise
                self._size_limits = dict(DEFAULT_REQUEST_SIZE_LIMITS)
        return self._size_limits

    # --- upload -------------------------------------------------------------------------------------

    def upload(self, scope: str, content: bytes, key: str | None = None) -> dict[str, str]:
        """Stores ``content`` in ``scope`` (nothing is sent when the scope holds it already) and returns
        its reference; ``key`` names it for good (``inputObjectByKey``)."""
        sha256 = hashlib.sha256(content).hexdigest()
        compressed = gzip.compress(content, mtime=0) if len(content) >= OFFLOAD_THRESHOLD_BYTES else None
        use_gzip = compressed is not None and len(compressed) <= len(content) * (1 - MIN_GZIP_SAVING)
        body = compressed if use_gzip and compressed is not None else content
        announced: dict[str, Any] = {"scope": scope, "sha256": sha256, "size": len(content), "encoding": "GZIP" if use_gzip else "IDENTITY"}
        if use_gzip:
            announced["encodedSize"] = len(body)
        if key is not None:
            announced["key"] = key
        answer = self._transport.execute(q.CREATE_INPUT_UPLOAD, {"input": announced})["createInputUpload"]
        if answer["object"] is None:
            ticket = answer["upload"]
            parts = self._send(ticket, body)
            self._transport.execute(q.COMMIT_INPUT_UPLOAD, {"id": ticket["uploadId"], "parts": parts})
        return {SHA256_FIELD: sha256}

    def _send(self, ticket: dict[str, Any], body: bytes) -> list[dict[str, Any]]:
        """PUTs the body as the ticket says: one URL, or its parts in order (asking for more batches)."""
        if ticket["url"] is not None:
            _put(ticket["url"], body, self._transport.url, self._timeout)
            return []
        sent = []
        batch = ticket["parts"]
        while batch:
            for part in batch:
                chunk = body[part["offset"] : part["offset"] + part["size"]]
                sent.append({"partNumber": part["partNumber"], "etag": _put(part["url"], chunk, self._transport.url, self._timeout)})
            following = batch[-1]["partNumber"] + 1
            batch = (
                []
                if following > ticket["partCount"]
                else self._transport.execute(q.CONTINUE_INPUT_UPLOAD, {"id": ticket["uploadId"], "first": following})[
                    "continueInputUpload"
                ]["parts"]
            )
        return sent

    def offload_network(self, network: dict[str, Any], scope: str, threshold: int = OFFLOAD_THRESHOLD_BYTES) -> dict[str, Any]:
        """A copy of the network with its large values stored in ``scope`` and replaced by references, so that
        the request fits the server's caps (offload_plan.py); refused before anything is sent when it cannot."""
        if not isinstance(network.get("chemicalSystems"), list) or not isinstance(network.get("transformations"), list):
            return network  # the server refuses it by name
        copy, places, groups = places_of(network)
        references: dict[str, dict[str, str]] = {}  # by SHA-256: equal values from different objects sent once
        for planned in plan_offload(copy, places, groups, threshold, self.size_limits()):
            content = canonical_bytes(planned.value)
            sha256 = hashlib.sha256(content).hexdigest()
            if sha256 not in references:
                references[sha256] = self.upload(scope, content)
            for place in planned.places:
                place.container[place.key] = references[sha256]
        return copy

    # --- download -----------------------------------------------------------------------------------

    def find(self, scope: str, sha256: str | None = None, key: str | None = None) -> dict[str, Any]:
        """The input object (sha256, size, encoding, keys, downloadUrl) by content hash or client key."""
        if sha256 is not None:
            found = self._transport.execute(q.INPUT_OBJECT, {"scope": scope, "sha256": sha256})["inputObject"]
        else:
            found = self._transport.execute(q.INPUT_OBJECT_BY_KEY, {"scope": scope, "key": key})["inputObjectByKey"]
        if found is None:
            raise NotFoundError(f"scope {scope} holds no input object {sha256 if sha256 is not None else f'with key {key}'}")
        return found

    def content(self, found: dict[str, Any]) -> bytes:
        """The object's content, decoded and checked against its size and SHA-256."""
        url = absolute_url(self._transport.url, found["downloadUrl"])
        name = f"input object {found['sha256']}"
        try:
            with urllib.request.urlopen(urllib.request.Request(url), timeout=self._timeout) as response:
                stored = response.read()
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", errors="replace")[:300]
            raise error_for(None, f"cannot download {name}: HTTP {error.code} {body}".rstrip(), status=error.code) from None
        except (urllib.error.URLError, OSError) as error:
            raise UnreachableError(f"download of {name} broke off: {getattr(error, 'reason', error)}") from error
        if found["encoding"] == "GZIP":
            try:
                # max_length: a body that inflates past the promised size is refused, not held.
                inflater = zlib.decompressobj(wbits=31)
                content = inflater.decompress(stored, int(found["size"]) + 1)
            except zlib.error as error:
                raise ChecksumMismatchError(f"{name}: not valid gzip ({error})") from None
        else:
            content = stored
        digest = hashlib.sha256(content).hexdigest()
        if len(content) != int(found["size"]) or digest != found["sha256"]:
            raise ChecksumMismatchError(
                f"{name}: received {len(content)} bytes with SHA-256 {digest}, expected {found['size']} bytes with {found['sha256']}"
            )
        return content

    def expand(self, value: Any, scope: str) -> Any:
        """A copy of ``value`` with every reference replaced by its object's content, parsed as JSON (each
        object downloaded once). A reference whose content is not JSON (bytes a program uploaded for its
        units) is left as it is."""
        cache: dict[tuple[str, str], Any] = {}
        keep = object()

        def resolve(reference: dict[str, str]) -> Any:
            field = SHA256_FIELD if SHA256_FIELD in reference else KEY_FIELD
            wanted = (field, reference[field])
            if wanted not in cache:
                found = self.find(scope, sha256=reference[field]) if field == SHA256_FIELD else self.find(scope, key=reference[field])
                try:
                    cache[wanted] = json.loads(self.content(found).decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    cache[wanted] = keep
            return reference if cache[wanted] is keep else cache[wanted]

        return _map_references(value, resolve)


def _map_references(value: Any, replace: Callable[[dict[str, str]], Any]) -> Any:
    reference = as_reference(value)
    if reference is not None:
        return replace(reference)
    if isinstance(value, dict):
        return {name: _map_references(item, replace) for name, item in value.items()}
    if isinstance(value, list):
        return [_map_references(item, replace) for item in value]
    return value


def _put(url: str, body: bytes, base: str, timeout: float) -> str:
    """PUTs bytes to a signed URL (it carries its own authorization); returns the ETag answered."""
    request = urllib.request.Request(
        absolute_url(base, url), data=body, method="PUT", headers={"content-type": "application/octet-stream"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.headers.get("etag", "") or ""
    except urllib.error.HTTPError as error:
        text = error.read().decode("utf-8", errors="replace")[:300]
        raise error_for(None, f"upload answered HTTP {error.code}: {text}", status=error.code) from None
    except (urllib.error.URLError, OSError) as error:
        raise UnreachableError(f"upload broke off: {getattr(error, 'reason', error)}") from error

