"""Invitees: importing the list from CSV (with a per-row report), and who has signed which version."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from registry.core import name_search
from registry.core.categories import category_of, spellings
from registry.core.errors import N_, IkrarError
from registry.core.names import name_key
from registry.extensions import db
from registry.models import Commitment, CommitmentVersion, Invitee, SignatureRecord
from registry.services import checkpoints, commitments, log, sealed, walk_ins
from registry.services.errors import InvalidInput, NotFound
from registry.services.text import clean_text

MAX_CSV_BYTES = 512 * 1024  # about 5,000 rows of 100 bytes; under the 1 MiB request limit
MAX_ROWS = 5000
MAX_FIELD = 200
BOM = b"\xef\xbb\xbf"

# Column names accepted in the header row (English, or the Indonesian a spreadsheet may carry).
COLUMNS = {
    "name": "name",
    "nama": "name",
    "position": "position",
    "jabatan": "position",
    "institution": "institution",
    "instansi": "institution",
    "category": "category",
    "kategori": "category",
}
REQUIRED = ("name", "position", "institution", "category")
# Organisers' spreadsheets often carry a contact column. Ikrar never uses contacts, so it does
# not collect them (data minimisation, UU 27/2022): the column is accepted and its cells are
# never read, not even validated.
CONTACT_COLUMNS = ("contact", "kontak")
CONTACT_IGNORED = N_(
    "the contact column was ignored: Ikrar does not store contacts (data minimisation, UU 27/2022)"
)


# Column labels, translated with the messages that name them.
LABELS = (N_("name"), N_("position"), N_("institution"), N_("category"))


def _problem(template: str, **params: object) -> IkrarError:
    """A reason kept as an English template and parameters, so each reader gets it in their language."""
    return IkrarError(template, **params)


@dataclass(frozen=True)
class RowProblem:
    """One row of the file, rejected or accepted with a note; ``line`` counts the header as line 1."""

    line: int
    name: str
    error: IkrarError

    @property
    def reason(self) -> str:
        return str(self.error)


@dataclass
class ImportReport:
    """What an import did. ``fatal`` set means nothing at all was imported."""

    fatal: IkrarError | None = None
    delimiter: str = ","
    bom: bool = False
    rows: int = 0
    imported: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    # Rows naming someone the list already holds (a re-import): not errors, reported apart.
    already_listed: list[RowProblem] = field(default_factory=list)
    # The file was not UTF-8 and was read as Windows-1252 (Excel's "CSV (Comma delimited)").
    legacy_encoding: bool = False
    notes: list[RowProblem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # Notices about the whole file (at most one each), e.g. that its contact column was dropped.
    notices: list[IkrarError] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    line: int
    name: str
    position: str
    institution: str
    category: str


def _key(name: str, institution: str) -> tuple[str, str]:
    """Two rows are the same person when both keys match (registry/core/names.py name_key)."""
    return (name_key(name), name_key(institution))


def _decode(data: bytes, report: ImportReport) -> str | None:
    if len(data) > MAX_CSV_BYTES:
        report.fatal = _problem(
            N_(
                "the file is %(kib)d KiB; at most %(max)d KiB can be imported at once — "
                "split it into smaller files"
            ),
            kib=len(data) // 1024,
            max=MAX_CSV_BYTES // 1024,
        )
        return None
    if data.startswith(BOM):
        report.bom, data = True, data[len(BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        legacy = _legacy_text(data)
        if legacy is None:
            report.fatal = _problem(NOT_UTF8)
            return None
        text, report.legacy_encoding = legacy, True
    if not text.strip():
        report.fatal = _problem(N_("the file is empty"))
        return None
    return text


NOT_UTF8 = N_("the file is not UTF-8: save it again from Excel as “CSV UTF-8 (Comma delimited)”")


def _legacy_text(data: bytes) -> str | None:
    """The file read as Windows-1252, as Excel's plain "CSV" writes it, or None when it is not that.

    A zero byte means UTF-16 ("Unicode text") or a binary file, and the five bytes Windows-1252
    leaves undefined mean neither: guessing would store mangled names, so those files are refused
    with the plain message.
    """
    if b"\x00" in data:
        return None
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    return text


def _delimiter(header_line: str) -> str:
    """Excel in an Indonesian locale writes ``;`` because ``,`` is the decimal separator there."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _columns(header: list[str], report: ImportReport) -> dict[str, int] | None:
    """Where each known column is in the header row; None (``report.fatal`` set) when unusable."""
    columns: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = unicodedata.normalize("NFC", raw).strip().casefold()
        known = COLUMNS.get(name)
        if name in CONTACT_COLUMNS:
            if not report.notices:
                report.notices.append(_problem(CONTACT_IGNORED))
        elif known is None:
            if raw.strip():
                report.ignored_columns.append(raw.strip()[:40])
        elif known in columns:
            report.fatal = _problem(N_("the column %(label)s appears twice in the header row"), label=known)
            return None
        else:
            columns[known] = index
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        report.fatal = _problem(
            N_(
                "the header row lacks the column(s) %(missing)s; "
                "expected: name, position, institution and category"
            ),
            missing=", ".join(missing),
        )
        return None
    return columns


@dataclass
class _RowReader:
    """Reads the rows after the header: each becomes an invitee or a problem in ``report``."""

    header: list[str]
    columns: dict[str, int]
    categories: list[dict[str, str]]
    report: ImportReport
    seen: dict[tuple[str, str], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_id = {c["id"]: c["id"] for c in self.categories}
        self.spelled = spellings(self.categories)

    def _reject(self, line: int, name: str, error: IkrarError) -> None:
        self.report.rejected.append(RowProblem(line, name, error))

    def read(self, values: list[str], line: int) -> _Row | None:
        """The row as an invitee, or None when it is rejected (the reason is in the report)."""
        columns, width = self.columns, len(self.header)
        raw_name = values[columns["name"]] if columns["name"] < len(values) else ""
        label = raw_name.strip()
        if len(values) < width and all(columns[c] < len(values) for c in REQUIRED):
            values = values + [""] * (width - len(values))  # trailing optional cells left out
        if len(values) != width:
            problem = _problem(
                N_("%(got)d columns where the header has %(want)d"), got=len(values), want=width
            )
            self._reject(line, _printable(label), problem)
            return None
        try:
            cleaned = {
                key: clean_text(values[columns[key]], key, max_length=MAX_FIELD, printed=True)
                for key in ("name", "position", "institution")
            }
            category_raw = clean_text(values[columns["category"]], "category", max_length=120)
        except InvalidInput as exc:
            self._reject(line, _printable(label), exc)
            return None
        category = self.by_id.get(category_raw) or category_of(category_raw, self.spelled)
        if category is None:
            problem = _problem(
                N_("unknown category %(given)s; use one of %(choices)s"),
                given=repr(category_raw[:60]),
                choices=", ".join(self.by_id),
            )
            self._reject(line, cleaned["name"], problem)
            return None
        key = _key(cleaned["name"], cleaned["institution"])
        if key in self.seen:
            problem = _problem(N_("duplicate of line %(line)d in this file"), line=self.seen[key])
            self._reject(line, cleaned["name"], problem)
            return None
        self.seen[key] = line
        if any(unicodedata.normalize("NFC", values[i]) != values[i] for i in columns.values()):
            self.report.notes.append(
                RowProblem(line, cleaned["name"], _problem(N_("text normalised to NFC")))
            )
        return _Row(line, cleaned["name"], cleaned["position"], cleaned["institution"], category)


def _parse(text: str, categories: list[dict[str, str]], report: ImportReport) -> list[_Row]:
    first_line = text.split("\n", 1)[0]
    report.delimiter = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=report.delimiter, strict=True)
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as exc:
        report.fatal = _problem(N_("the header row cannot be read: %(problem)s"), problem=str(exc))
        return []
    columns = _columns(header, report)
    if columns is None:
        return []
    rows_of = _RowReader(header, columns, categories, report)
    rows: list[_Row] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            report.rows += 1
            if report.rows > MAX_ROWS:
                report.fatal = _problem(
                    N_("the file has more than %(n)d rows; split it into smaller files"), n=MAX_ROWS
                )
                return []
            row = rows_of.read(values, reader.line_num)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        report.fatal = _problem(
            N_("line %(line)d cannot be read as CSV: %(problem)s"), line=reader.line_num, problem=str(exc)
        )
        return []
    if report.rows == 0:
        report.fatal = _problem(N_("the file has a header row but no invitees"))
    return rows


def _printable(text: str) -> str:
    """A rejected name as the report may show it: control characters replaced by U+FFFD, shortened."""
    shown = "".join("\ufffd" if unicodedata.category(ch) in ("Cc", "Cs", "Cf") else ch for ch in text)
    return shown if len(shown) <= 60 else shown[:59] + "…"


def import_csv(slug: str, data: bytes) -> ImportReport:
    """Add the valid rows of a CSV file to a commitment's invitees, all in one transaction.

    Rows that cannot be imported are reported with their line and the reason; a file that cannot
    be read at all (too large, not UTF-8, no header) imports nothing. The log entry carries counts
    only: names and positions are personal data and stay out of the public log. A contact column is
    ignored (reported once in ``notices``): Ikrar does not collect contacts.
    """
    decoded = ImportReport()
    text = _decode(data, decoded)
    if text is None:
        return decoded

    def work(writer: log.LogWriter) -> ImportReport:
        report = ImportReport(
            bom=decoded.bom, legacy_encoding=decoded.legacy_encoding
        )  # fresh on every attempt: work may be re-run
        version = commitments.get_version(slug)
        rows = _parse(text, version.categories, report)
        if report.fatal:
            return report
        existing = {
            (name, institution)
            for name, institution in db.session.execute(
                select(Invitee.name_key, Invitee.institution_key).where(
                    Invitee.commitment_id == version.commitment_id
                )
            )
        }
        added = 0
        for row in rows:
            if _key(row.name, row.institution) in existing:
                report.already_listed.append(
                    RowProblem(row.line, row.name, _problem(N_("already on the invitee list")))
                )
                continue
            db.session.add(
                Invitee(
                    commitment_id=version.commitment_id,
                    name=row.name,
                    position=row.position,
                    institution=row.institution,
                    category=row.category,
                    walk_in=False,
                )
            )
            added += 1
        report.rejected.sort(key=lambda p: p.line)
        report.imported = added
        if added:
            writer.append(
                "invitee:import",
                # Rows already listed count as not imported, as before they were reported apart.
                {
                    "commitment": slug,
                    "imported": added,
                    "rejected": len(report.rejected) + len(report.already_listed),
                },
            )
        return report

    return log.append_transaction(checkpoints.sealer(), work)


@dataclass(frozen=True)
class InviteeStatus:
    invitee: Invitee
    record: SignatureRecord | None


@dataclass(frozen=True)
class Progress:
    version: CommitmentVersion
    signed: list[sealed.Sealed]  # each re-checked: names shown come from the signed bytes
    invited: list[InviteeStatus]
    walk_ins: int
    withdrawn: int
    # Standing walk-in signatures whose name is a listed invitee's: record id -> listed names.
    namesakes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def integrity_errors(self) -> int:
        return sum(1 for s in self.signed if not s.ok and not s.erased)

    @property
    def invited_signed(self) -> int:
        return sum(1 for s in self.invited if s.record is not None)

    @property
    def not_signed(self) -> list[Invitee]:
        return [s.invitee for s in self.invited if s.record is None]


def progress(slug: str, version_number: int) -> Progress:
    """Who signed one version of a commitment (invited and walk-ins), and which invitees have not."""
    version = commitments.get_version(slug, version_number)
    records = list(
        db.session.execute(
            select(SignatureRecord)
            .where(SignatureRecord.commitment_version_id == version.id)
            .order_by(SignatureRecord.signed_at, SignatureRecord.id)
        )
        .unique()
        .scalars()
    )
    invitees = list(
        db.session.execute(
            select(Invitee)
            .where(Invitee.commitment_id == version.commitment_id)
            .order_by(Invitee.name, Invitee.id)
        ).scalars()
    )
    # An invitee counts as signed by a signature still standing: after a withdrawal (a signature
    # made in error) they may sign again, and until they do they are "not signed yet".
    by_invitee = {
        r.invitee_id: r
        for r in records
        if r.invitee_id is not None and r.withdrawal is None and r.erasure is None
    }
    walk_in_ids = {i.id for i in invitees if i.walk_in}
    checked = sealed.check_many(records)
    listed_names = walk_ins.namesakes_by_person(invitees)
    namesakes = {
        s.row.id: listed_names[key]
        for s in checked
        if s.status == "valid" and (s.row.invitee_id is None or s.row.invitee_id in walk_in_ids)
        if (key := name_search.person_key(s.signatory["name"])) in listed_names
    }
    return Progress(
        version=version,
        signed=checked,
        invited=sorted(
            (InviteeStatus(i, by_invitee.get(i.id)) for i in invitees if not i.walk_in),
            key=lambda s: name_search.sort_key(s.invitee.name),
        ),
        walk_ins=sum(1 for r in records if r.invitee_id in walk_in_ids),
        withdrawn=sum(1 for s in checked if s.status == "withdrawn"),
        namesakes=namesakes,
    )


def commitment(slug: str) -> Commitment:
    found = db.session.execute(select(Commitment).where(Commitment.slug == slug)).scalar_one_or_none()
    if found is None:
        raise NotFound(N_("there is no commitment %(slug)r"), slug=slug)
    return found


def listed(commitment: Commitment) -> list[Invitee]:
    """A commitment's invitees from the imported list (walk-ins left out), in the kiosk's name order."""
    people = list(
        db.session.execute(
            select(Invitee)
            .where(Invitee.commitment_id == commitment.id, Invitee.walk_in.is_(False))
            .order_by(Invitee.name)
        ).scalars()
    )
    people.sort(key=lambda i: name_search.sort_key(i.name))
    return people


def last_signed_at(records: list[sealed.Sealed]) -> datetime | None:
    return max((s.row.signed_at for s in records if s.ok), default=None)
