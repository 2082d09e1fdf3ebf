"""The prediction and feedback log shared by every server and host: Parquet parts on the
artifact store, mirrored to and from each host's local log folder.

Why parts on the artifact store and not rows in the PostgreSQL store: the log is written
by every replica all the time and read by monitoring as column scans over a window; the
metadata store is the control plane every request's auth and every deploy goes through.
``benchmarks/scale.py --parts log`` measures both ways (docs/scaling.md has the figures).

How: a part is immutable and its name unique (writer id and segment, or a random tag),
so sharing is copying files. Each part is uploaded right after it is written locally
(``push``; an S3 PUT is atomic, so readers never see half a part); a reader first
downloads the parts of the deployment it reads that it does not have yet (``pull``), then
queries the local folder with DuckDB as on one machine. A part whose upload failed is
retried on the next push and on the next start (``push_missing``). The journal that
makes an answered request durable stays on the host's disk: a replica that dies is
recovered on that host, and its parts are uploaded then.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from lepton.store.artifacts import ArtifactStore

log = logging.getLogger("lepton.store.log_mirror")

PART_GLOB = "part-*.parquet"


class LogMirror:
    """``logs_root`` (local) ⇄ ``url`` (``<artifacts>/logs`` on object storage)."""

    def __init__(self, logs_root: Path, url: str) -> None:
        self.logs_root = logs_root
        self.url = url.rstrip("/")
        self._store: ArtifactStore | None = None
        self._pending: set[Path] = set()
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:  # to the log's writer process: no live client
        return {"logs_root": self.logs_root, "url": self.url}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["logs_root"], state["url"])  # type: ignore[misc]

    def _open(self) -> ArtifactStore:
        """The store's client, made on first use (and anew in the writer process)."""
        if self._store is None:
            self._store = ArtifactStore(self.url)
        return self._store

    @property
    def _fs(self) -> Any:
        return self._open().fs

    def _remote(self, relpath: Path | str) -> str:
        relative = Path(relpath).as_posix()
        root = self._open().root
        return root if relative in ("", ".") else f"{root}/{relative}"

    def push(self, part: Path) -> bool:
        """Upload ``part``, and every earlier part whose upload failed; whether all went.

        A failure is logged and kept for the next push, not raised: the part is safe on
        this host's disk, and the log's writer must go on.
        """
        with self._lock:
            self._pending.add(part)
            for path in sorted(self._pending):
                try:
                    self._upload(path)
                except FileNotFoundError:  # removed locally since (retention): nothing to share
                    pass
                except Exception as exc:
                    log.warning("uploading log part %s failed (%s); will retry", path.name, exc)
                    self._store = None  # the next try with a new client (endpoint, credentials)
                    continue
                self._pending.discard(path)
            return not self._pending

    def retry(self) -> bool:
        """Upload what earlier pushes could not; whether nothing is left pending."""
        with self._lock:
            pending = sorted(self._pending)
        return self.push(pending[0]) if pending else True  # push retries all of them

    def _upload(self, part: Path) -> None:
        self._fs.put_file(str(part), self._remote(part.relative_to(self.logs_root)))

    def pull(self, folder: Path) -> int:
        """Download the parts under ``folder`` (below ``logs_root``) this host lacks."""
        relative = folder.relative_to(self.logs_root)
        base = self._remote(relative)
        self._fs.invalidate_cache()  # object-store clients cache listings: see new parts
        try:
            remote = [p for p in self._fs.find(base) if Path(p).match(PART_GLOB)]
        except FileNotFoundError:
            return 0
        prefix = self._remote("")
        fetched = 0
        for path in remote:
            local = self.logs_root / path[len(prefix) :].lstrip("/")
            if local.exists():
                continue
            local.parent.mkdir(parents=True, exist_ok=True)
            tmp = local.parent / f".{local.name}.{uuid.uuid4().hex[:8]}.tmp"
            try:
                self._fs.get_file(path, str(tmp))
                os.replace(tmp, local)
            finally:
                tmp.unlink(missing_ok=True)
            fetched += 1
        return fetched

    def push_missing(self) -> int:
        """Upload every local part the artifact store lacks (after a failed upload or a
        crash); returns how many."""
        if not self.logs_root.exists():
            return 0
        prefix = self._remote("")
        self._fs.invalidate_cache()
        try:
            remote = {p[len(prefix) :].lstrip("/") for p in self._fs.find(prefix)}
        except FileNotFoundError:
            remote = set()
        missing = [
            p
            for p in self.logs_root.rglob(PART_GLOB)
            if "journal" not in p.parts and p.relative_to(self.logs_root).as_posix() not in remote
        ]
        for part in missing:
            self.push(part)
        if missing:
            log.warning("uploaded %d log parts the artifact store was missing", len(missing))
        return len(missing)
