"""The structured procedure record every importer produces and every reader consumes."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Document:
    """One document in the dossier: what to bring, how many copies, which form."""

    name: str
    originals: int | None = None
    copies: int | None = None
    template: str = ""
    must_show: bool = False
    """True for papers only shown at the counter (giấy tờ phải xuất trình), not handed in."""
    section: str = ""
    """The case or group the row belongs to ("Trường hợp ủy quyền", ...); '' for the main list."""


@dataclass(frozen=True, slots=True)
class Channel:
    """One way to submit (in person, online, by post) with its own time limit and fee."""

    kind: str
    time_limit: str = ""
    fee: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """A legal document the procedure rests on."""

    title: str
    number: str = ""


@dataclass(frozen=True, slots=True)
class Procedure:
    """An administrative procedure (thủ tục hành chính) from the national catalogue or the demo set."""

    code: str
    name: str
    level: str = ""
    field: str = ""
    agency: str = ""
    issuer: str = ""
    audience: str = ""
    steps: tuple[str, ...] = ()
    documents: tuple[Document, ...] = ()
    channels: tuple[Channel, ...] = ()
    conditions: str = ""
    result: str = ""
    legal_basis: tuple[LegalBasis, ...] = ()
    url: str = ""
    source: str = ""
    """Where the record came from: ``dichvucong``, ``bqp``, ``xlsx`` or ``demo``."""
    demo: bool = False
    keywords: tuple[str, ...] = ()
    unparsed: dict[str, str] = dataclasses.field(default_factory=dict)
    """Raw text of fields the importer could not structure, by field name."""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the storage format)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Procedure:
        """Rebuild a procedure from :meth:`to_dict` output; unknown keys are ignored."""
        return cls(
            code=str(data["code"]),
            name=str(data["name"]),
            level=str(data.get("level", "")),
            field=str(data.get("field", "")),
            agency=str(data.get("agency", "")),
            issuer=str(data.get("issuer", "")),
            audience=str(data.get("audience", "")),
            steps=tuple(str(s) for s in data.get("steps", ())),
            documents=tuple(Document(**d) for d in data.get("documents", ())),
            channels=tuple(Channel(**c) for c in data.get("channels", ())),
            conditions=str(data.get("conditions", "")),
            result=str(data.get("result", "")),
            legal_basis=tuple(LegalBasis(**b) for b in data.get("legal_basis", ())),
            url=str(data.get("url", "")),
            source=str(data.get("source", "")),
            demo=bool(data.get("demo", False)),
            keywords=tuple(str(k) for k in data.get("keywords", ())),
            unparsed={str(k): str(v) for k, v in dict(data.get("unparsed", {})).items()},
        )
