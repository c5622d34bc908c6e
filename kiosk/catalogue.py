"""The procedure catalogue the kiosk guides citizens with: which papers to bring, how long it takes, what it costs.

Loaded once at start from ``kiosk/data/procedures.json`` (written by ``kiosk/tools/convert_procedures.py``) and
validated entry by entry, so a typo in the data stops the kiosk with a message naming the entry and the field
instead of a blank guidance screen in front of a citizen. All text is NFC, whatever the file holds.

>>> catalogue = load_catalogue()
>>> catalogue.search("dang ky khai sinh")[0].name
'Thủ tục đăng ký khai sinh'
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kiosk.search import SearchIndex
from kiosk.text import nfc
from queue_server.contract.errors import MotcuaError

logger = logging.getLogger(__name__)
CATALOGUE_VERSION = 1
DEFAULT_PATH = Path(__file__).parent / "data" / "procedures.json"


@dataclass(frozen=True)
class Issue:
    """One bad field, structured so an interface can say it in its own language (the admin upload page)."""

    row: int | None
    """0-based index in ``procedures``; None for the document itself (its version, a missing list)."""
    field: str
    kind: str
    """Pydantic's error type (``missing``, ``string_pattern_mismatch``...), or ``duplicate`` / ``version``."""
    message: str
    """The English explanation, as in ``CatalogueError.problems``."""
    code: str | None = None
    duplicate_of: int | None = None


class CatalogueError(MotcuaError, ValueError):
    """The catalogue file is unreadable or has bad entries; ``problems`` lists one line per bad field."""

    def __init__(self, problems: Sequence[str], issues: Sequence[Issue] = ()) -> None:
        super().__init__("invalid procedure catalogue:\n  " + "\n  ".join(problems))
        self.problems = tuple(problems)
        self.issues = tuple(issues)


def _nfc_any(value: Any) -> Any:
    if isinstance(value, str):
        return nfc(value).strip()
    if isinstance(value, list | tuple):
        return [_nfc_any(v) for v in value]
    return value


class Procedure(BaseModel):
    """One administrative procedure (thủ tục hành chính) as the kiosk shows it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(pattern=r"^\d\.\d{6}$", description="National procedure code, e.g. 1.001193")
    name: str = Field(min_length=3)
    field: str = Field(min_length=2, description="Lĩnh vực as named nationally, e.g. 'Hộ tịch'")
    service_id: str | None = Field(default=None, pattern=r"^[a-z0-9-]+$", description="The office's queue")
    level: str | None = None
    papers: tuple[str, ...] = ()
    result: str | None = None
    time_limit: str | None = Field(default=None, description="As published; None when the portal has none")
    time_limit_note: str | None = None
    fee: str | None = None
    fee_note: str | None = None
    notes: tuple[str, ...] = ()
    publishing_decision: str | None = None
    source: str = Field(min_length=5)

    @field_validator("*", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        return _nfc_any(value)

    @field_validator("papers", "notes")
    @classmethod
    def _no_blank_items(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not item for item in value):
            raise ValueError("blank item")
        return value


class _Document(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int
    about: str = ""
    procedures: list[Any]


def _where(error: Any) -> str:
    return ".".join(str(part) for part in error["loc"]) or "(entry)"


def _describe(error: Any) -> str:
    return f"field {_where(error)!r}: {error['msg']}"


def _issue(error: Any, row: int | None = None, code: str | None = None) -> Issue:
    return Issue(row, _where(error), str(error["type"]), str(error["msg"]), code)


def validate_document(document: Any) -> list[Procedure]:
    """Validate a whole catalogue document; raise one :class:`CatalogueError` listing every bad entry."""
    try:
        doc = _Document.model_validate(document)
    except ValidationError as exc:
        raise CatalogueError([_describe(e) for e in exc.errors()], [_issue(e) for e in exc.errors()]) from None
    if doc.version != CATALOGUE_VERSION:
        message = f"version {doc.version} is not supported (expected {CATALOGUE_VERSION})"
        raise CatalogueError([message], [Issue(None, "version", "version", message)])
    procedures: list[Procedure] = []
    problems: list[str] = []
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(doc.procedures):
        code = raw.get("code", "?") if isinstance(raw, dict) else "?"
        try:
            procedure = Procedure.model_validate(raw)
        except ValidationError as exc:
            problems.extend(f"procedure #{index} (code {code}): {_describe(e)}" for e in exc.errors())
            issues.extend(_issue(e, index, str(code)) for e in exc.errors())
            continue
        if procedure.code in seen:
            problems.append(f"procedure #{index} (code {code}): field 'code': duplicate of #{seen[procedure.code]}")
            issues.append(Issue(index, "code", "duplicate", "duplicate", procedure.code, seen[procedure.code]))
        seen.setdefault(procedure.code, index)
        procedures.append(procedure)
    if problems:
        raise CatalogueError(problems, issues)
    return procedures


class Catalogue:
    """The validated procedures plus a search index built once (the search runs on every keystroke)."""

    def __init__(self, procedures: Sequence[Procedure]) -> None:
        self.procedures = tuple(procedures)
        self._by_code = {p.code: p for p in self.procedures}
        self._index = SearchIndex([(p.name, p.field + " " + p.code, " ".join(p.papers)) for p in self.procedures])

    def __len__(self) -> int:
        return len(self.procedures)

    def __iter__(self) -> Iterator[Procedure]:
        return iter(self.procedures)

    def get(self, code: str) -> Procedure | None:
        return self._by_code.get(code)

    def fields(self) -> list[str]:
        """Field names in first-seen order, for the kiosk's first screen."""
        return list(dict.fromkeys(p.field for p in self.procedures))

    def in_field(self, field: str) -> list[Procedure]:
        return [p for p in self.procedures if p.field == field]

    def search(self, query: str, limit: int | None = None) -> list[Procedure]:
        """Procedures matching every word of ``query`` (diacritics and case ignored), best first."""
        return [self.procedures[i] for i in self._index.search(query, limit)]


def load_catalogue(path: Path | str = DEFAULT_PATH) -> Catalogue:
    """Read and validate the catalogue file; raise :class:`CatalogueError` naming each bad entry and field."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogueError([f"cannot read {path}: {exc}"]) from exc
    procedures = validate_document(document)
    logger.info("loaded %d procedures from %s", len(procedures), path)
    return Catalogue(procedures)
