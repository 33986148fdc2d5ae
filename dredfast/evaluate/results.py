"""The results CSV of an evaluation: rows appended as tasks finish, read back to resume."""
from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Dict, Iterable, List, Sequence, Set, Tuple

from .tasks import COLUMNS, KEY


class ResultsFile:
    """``results.csv`` (one row per finished run, :data:`COLUMNS`) and ``errors.jsonl``
    (one line per failed task) in ``folder``.

    Each row goes to disk as it comes (one ``write`` of a whole line, flushed and synced),
    so a run killed at any point keeps every finished row; a last line cut short by the
    kill is dropped when the file is opened again (that run is redone).  Failed tasks are
    not written to the CSV: a resumed run tries them again.
    """

    def __init__(self, folder: os.PathLike, name: str = "results.csv", columns: Sequence[str] = COLUMNS,
                 key: Sequence[str] = KEY, errors: str = "errors.jsonl"):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.columns, self.key = tuple(columns), tuple(key)
        self.path = self.folder / name
        self.errors_path = self.folder / errors
        self._repair()
        new = not self.path.exists() or self.path.stat().st_size == 0
        self._f = open(self.path, "a", newline="")
        if new:
            self._write(",".join(self.columns) + "\n")

    def _repair(self) -> None:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return
        data = self.path.read_bytes()
        header = data.split(b"\n", 1)[0].decode().strip()
        if header != ",".join(self.columns):
            raise ValueError(f"{self.path}: its columns are not this version's ({header[:80]}...); "
                             "use another output folder")
        if not data.endswith(b"\n"):
            # A row cut short by a kill: drop it (that run is redone).
            with open(self.path, "r+b") as f:
                f.truncate(data.rfind(b"\n") + 1)

    def _write(self, text: str) -> None:
        self._f.write(text)
        self._f.flush()
        os.fsync(self._f.fileno())

    def done_keys(self) -> Set[Tuple[str, ...]]:
        return {tuple(r[k] for k in self.key) for r in self.rows()}

    def rows(self) -> List[Dict[str, str]]:
        return read_rows(self.path, self.key)

    def append(self, row: Dict) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([row.get(k, "") for k in self.columns])
        self._write(buf.getvalue())

    def error(self, key: Iterable[str], message: str) -> None:
        with open(self.errors_path, "a") as f:
            f.write(json.dumps({"key": list(key), "error": message}) + "\n")

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> "ResultsFile":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_rows(path: os.PathLike, key: Sequence[str] = KEY) -> List[Dict[str, str]]:
    """The complete rows of a results CSV (a trailing partial line is ignored)."""
    p = Path(path)
    if not p.exists():
        return []
    text = p.read_text()
    if not text.endswith("\n"):
        text = text[: text.rfind("\n") + 1]
    return [r for r in csv.DictReader(io.StringIO(text)) if None not in r and all(r.get(k) for k in key)]
