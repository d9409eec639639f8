"""``motcua directive``: create a directive from a TOML file, list, cancel, and report on one.

The command line acts as the system (an admin, audited as "cli"). A created directive is published at
once: sent now, queued for its time, or armed for its recurring rule; the running bot's outbox worker
delivers it and its minute sync picks up new schedules and cancellations.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.services.directives import (
    Audience,
    DirectiveDraft,
    DirectiveReport,
    DirectiveService,
    DirectiveStateError,
    InvalidDirectiveError,
    ScheduleKind,
    Urgency,
)
from bot.services.people import Actor, PeopleService, PermissionDeniedError
from bot.services.schedule import zone
from bot.storage import SessionFactory
from bot.storage.migrate import current_sessions

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_SETUP = 2

CREATE_EPILOG = """\
Khóa của tệp TOML:
  title = "..."            bắt buộc, tối đa 255 ký tự
  body = "..."             bắt buộc, tối đa 3500 ký tự
  urgency = "thuong"       "thuong" (thường, chờ qua giờ yên lặng) hoặc "khan" (khẩn, gửi ngay)
  ack_required = true      cần xác nhận "Đã nhận"
  ack_deadline = 2026-12-01T17:00:00+07:00
                           hạn xác nhận; mặc định [directives] ack_deadline_hours sau khi gửi
  ack_within_minutes = 120 (chỉ đạo định kỳ) mỗi lần phải xác nhận trong chừng ấy phút
  image_url = "https://..."  link_url = "https://..."
  at = 2026-12-01T07:30:00+07:00            gửi lúc này (không có múi giờ = giờ Việt Nam)
  cron = "30 7 * * 1"      định kỳ theo cú pháp crontab (0/7 = Chủ nhật), hoặc "thứ hai hằng tuần 07:30"
                           (không có at và cron: gửi ngay)
  [audience]               ít nhất một mục
  units = ["Bộ phận một cửa", 2]    đơn vị theo tên hoặc số
  tags = ["tiep dan"]      groups = [1, 2]      people = [5, 7]
Mã thoát: 0 xong; 1 tệp hợp lệ nhưng bị từ chối (khóa sai, không có quyền, không tìm thấy); 2 tệp hỏng
hoặc lỗi cấu hình."""

KEYS = {
    "title",
    "body",
    "urgency",
    "ack_required",
    "ack_deadline",
    "ack_within_minutes",
    "image_url",
    "link_url",
    "at",
    "cron",
    "audience",
}
URGENCY = {"khan": Urgency.KHAN, "khẩn": Urgency.KHAN, "thuong": Urgency.THUONG, "thường": Urgency.THUONG}

MSG_FILE = "tệp không đọc được: {error}"
MSG_KEY = "{key}: {reason}"
MSG_CREATED = "Đã tạo chỉ đạo #{id}: {title}"
MSG_QUEUED = (
    "Đưa vào hàng đợi {queued} tin tới {chats} cuộc trò chuyện, gửi từ {due}; "
    "{unreachable} người chưa liên kết."
)
MSG_ARMED = "Chỉ đạo định kỳ ({cron}), lần tới: {due}"
MSG_NONE = "Chưa có chỉ đạo nào."
MSG_CANCELLED = "Đã hủy chỉ đạo #{id}; {stopped} tin chưa gửi được dừng lại."
MSG_NOT_FOUND = "không có chỉ đạo #{id}"
MSG_CHANGED = "Đã sửa chỉ đạo #{id}: {fields}"
MSG_UNCHANGED = "Chỉ đạo #{id} không có gì thay đổi."
MSG_NOT_CHANGEABLE = "không sửa được chỉ đạo #{id}: đã gửi hoặc đã hủy"
LIST_HEADERS = ("#", "Tiêu đề", "Mức độ", "Lịch", "Trạng thái", "Lần tới / tạo lúc")
STATUS_TEXT = {
    "delivered": "đã gửi",
    "failed": "lỗi",
    "pending": "đang chờ",
    "unreachable": "chưa liên kết",
}
CSV_HEADERS = (
    "directive_id",
    "occurrence",
    "row",
    "unit",
    "name",
    "platform",
    "chat_id",
    "status",
    "reason",
    "sent_at",
    "attempts",
    "possible_duplicate",
    "acknowledged_at",
    "how",
)


class DirectiveFileError(ValueError):
    """A directive file that cannot be used; the message names the key."""


def register(subparsers: Any) -> None:
    """Add ``directive`` to the ``motcua`` command."""
    directive = subparsers.add_parser("directive", help="directives to staff: create, list, cancel, report")
    commands = directive.add_subparsers(title="directive commands", metavar="COMMAND")
    create = commands.add_parser(
        "create",
        help="create and publish a directive from a TOML file",
        description="Create a directive from a TOML file and publish it (now, at a time, or recurring).",
        epilog=CREATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    create.add_argument("--file", required=True, type=Path, metavar="FILE")
    create.set_defaults(handler=cmd_directive_create)
    change = commands.add_parser(
        "change",
        help="change a directive not yet sent (a draft, or a recurring one before its first run)",
        description=(
            "Change a directive nothing of which was sent yet, from a TOML file with the keys of "
            "'create', all optional. A recurring directive is re-armed for its new rule."
        ),
        epilog=CREATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    change.add_argument("id", type=int, metavar="ID")
    change.add_argument("--file", required=True, type=Path, metavar="FILE")
    change.set_defaults(handler=cmd_directive_change)
    listing = commands.add_parser("list", help="the newest directives")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(handler=cmd_directive_list)
    cancel = commands.add_parser("cancel", help="cancel a directive (waiting messages are not sent)")
    cancel.add_argument("id", type=int, metavar="ID")
    cancel.set_defaults(handler=cmd_directive_cancel)
    report = commands.add_parser(
        "report",
        help="per recipient and per unit: delivered / failed / acknowledged / pending, duplicates",
    )
    report.add_argument("id", type=int, metavar="ID")
    report.add_argument("--occurrence", default=None, help="an occurrence of a recurring directive")
    report.add_argument("--csv", action="store_true", help="print CSV (one row per chat and per person)")
    report.set_defaults(handler=cmd_directive_report)


def service_for(sessions: SessionFactory, config: Config) -> DirectiveService:
    """The directive service exactly as the running bot builds it (renderers, cron reader, quiet hours)."""
    from bot.app import build_directives

    return build_directives(config, sessions)[1]


# --- the file -----------------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    """The TOML table in ``path``, with only the keys ``create`` knows (the first unknown one is named)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OSError(f"không tìm thấy {path}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise OSError(str(exc)) from None
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise DirectiveFileError(MSG_KEY.format(key=unknown[0], reason="khóa không được hỗ trợ"))
    return raw


def read_directive_file(path: Path, config: Config, now: datetime) -> tuple[DirectiveDraft, list[str | int]]:
    """The draft in a TOML file and its units as written (names or ids); errors name the key."""
    raw = _read_toml(path)
    tz = ZoneInfo(config.timezone)
    title = _text(raw, "title", required=True)
    body = _text(raw, "body", required=True)
    urgency_text = _text(raw, "urgency") or "thuong"
    if urgency_text.casefold() not in URGENCY:
        raise DirectiveFileError(MSG_KEY.format(key="urgency", reason='"khan" hoặc "thuong"'))
    ack_required = raw.get("ack_required", False)
    if not isinstance(ack_required, bool):
        raise DirectiveFileError(MSG_KEY.format(key="ack_required", reason="true hoặc false"))
    at = _moment(raw, "at", tz)
    cron = _text(raw, "cron")
    if at is not None and cron:
        raise DirectiveFileError(MSG_KEY.format(key="cron", reason="chỉ một trong at và cron"))
    kind = ScheduleKind.CRON if cron else ScheduleKind.AT if at is not None else ScheduleKind.NOW
    deadline = _moment(raw, "ack_deadline", tz)
    if deadline is None and ack_required and kind is not ScheduleKind.CRON:
        deadline = (at or now) + timedelta(hours=config.directives.ack_deadline_hours)
    within = raw.get("ack_within_minutes")
    if within is not None and (isinstance(within, bool) or not isinstance(within, int)):
        raise DirectiveFileError(MSG_KEY.format(key="ack_within_minutes", reason="cần một số nguyên"))
    audience_raw = raw.get("audience", {})
    if not isinstance(audience_raw, dict):
        raise DirectiveFileError(MSG_KEY.format(key="audience", reason="cần một bảng [audience]"))
    units = audience_raw.get("units", [])
    if not isinstance(units, list) or not all(
        isinstance(u, str | int) and not isinstance(u, bool) for u in units
    ):
        raise DirectiveFileError(MSG_KEY.format(key="audience.units", reason="danh sách tên hoặc số"))
    rest = {k: v for k, v in audience_raw.items() if k != "units"}
    try:
        audience = Audience.from_json(rest)
    except InvalidDirectiveError as exc:
        raise DirectiveFileError(MSG_KEY.format(key="audience", reason=exc.reason)) from None
    draft = DirectiveDraft(
        title=title,
        body=body,
        audience=audience,
        urgency=URGENCY[urgency_text.casefold()],
        image_url=_text(raw, "image_url"),
        link_url=_text(raw, "link_url"),
        ack_required=ack_required,
        ack_deadline=deadline,
        ack_within_minutes=within,
        schedule_kind=kind,
        schedule_at=at,
        cron=cron,
        timezone=config.timezone,
    )
    return draft, list(units)


def _text(raw: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise DirectiveFileError(MSG_KEY.format(key=key, reason="cần một chuỗi"))
    if required and not value.strip():
        raise DirectiveFileError(MSG_KEY.format(key=key, reason="bắt buộc"))
    return value


def _moment(raw: dict[str, Any], key: str, tz: ZoneInfo) -> datetime | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise DirectiveFileError(MSG_KEY.format(key=key, reason="cần thời điểm ISO 8601")) from None
    if isinstance(value, date) and not isinstance(value, datetime):
        raise DirectiveFileError(MSG_KEY.format(key=key, reason="cần cả giờ, không chỉ ngày"))
    if not isinstance(value, datetime):
        raise DirectiveFileError(MSG_KEY.format(key=key, reason="cần thời điểm ISO 8601"))
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


# --- commands -----------------------------------------------------------------------------------------


def cmd_directive_create(args: argparse.Namespace, config: Config) -> int:
    """``motcua directive create --file FILE``."""
    return asyncio.run(run_create(config, args.file))


async def run_create(
    config: Config,
    path: Path,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Read, validate, create and publish; print what was queued or armed."""
    out, err = out or sys.stdout, err or sys.stderr
    actor = Actor.system("cli")
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = service_for(sessions, config)
        try:
            draft, unit_keys = read_directive_file(path, config, datetime.now(ZoneInfo(config.timezone)))
        except OSError as exc:
            print(MSG_FILE.format(error=exc), file=err)
            return EXIT_SETUP
        except DirectiveFileError as exc:
            print(str(exc), file=err)
            return EXIT_REFUSED
        people = PeopleService(sessions)
        unit_ids = []
        for key in unit_keys:
            found = await (people.unit(key) if isinstance(key, int) else people.unit_by_name(key))
            if found is None:
                print(MSG_KEY.format(key="audience.units", reason=f"không có đơn vị {key!r}"), file=err)
                return EXIT_REFUSED
            unit_ids.append(found.id)
        audience = Audience(
            tuple(sorted(set(unit_ids))), draft.audience.tags, draft.audience.groups, draft.audience.people
        )
        draft = DirectiveDraft(**{**_fields(draft), "audience": audience})
        try:
            created = await service.create(actor, draft)
            result = await service.publish(actor, created.id)
        except InvalidDirectiveError as exc:
            print(MSG_KEY.format(key=_file_key(exc.field), reason=exc.reason), file=err)
            return EXIT_REFUSED
        except (PermissionDeniedError, DirectiveStateError) as exc:
            print(str(exc), file=err)
            return EXIT_REFUSED
    tz = zone(config.timezone)
    print(MSG_CREATED.format(id=created.id, title=created.title), file=out)
    due = result.due_at.astimezone(tz).strftime("%H:%M %d/%m/%Y") if result.due_at else "-"
    if created.schedule_kind is ScheduleKind.CRON:
        print(MSG_ARMED.format(cron=created.cron, due=due), file=out)
    else:
        print(
            MSG_QUEUED.format(
                queued=result.queued, chats=result.chats, due=due, unreachable=result.unreachable
            ),
            file=out,
        )
    return EXIT_OK


def _fields(draft: DirectiveDraft) -> dict[str, Any]:
    return {name: getattr(draft, name) for name in DirectiveDraft.__dataclass_fields__}


def _file_key(field: str) -> str:
    return {"schedule_at": "at", "schedule_kind": "at/cron"}.get(field, field)


def read_changes_file(path: Path, config: Config) -> tuple[dict[str, Any], list[str | int] | None]:
    """The changes in a TOML file (the keys of ``create``, all optional) and its units as written."""
    raw = _read_toml(path)
    tz = ZoneInfo(config.timezone)
    changes: dict[str, Any] = {}
    for key in ("title", "body", "image_url", "link_url"):
        if key in raw:
            changes[key] = _text(raw, key, required=key in ("title", "body"))
    if "urgency" in raw:
        urgency_text = _text(raw, "urgency")
        if urgency_text.casefold() not in URGENCY:
            raise DirectiveFileError(MSG_KEY.format(key="urgency", reason='"khan" hoặc "thuong"'))
        changes["urgency"] = URGENCY[urgency_text.casefold()]
    if "ack_required" in raw:
        if not isinstance(raw["ack_required"], bool):
            raise DirectiveFileError(MSG_KEY.format(key="ack_required", reason="true hoặc false"))
        changes["ack_required"] = raw["ack_required"]
    if "ack_deadline" in raw:
        changes["ack_deadline"] = _moment(raw, "ack_deadline", tz)
    if "ack_within_minutes" in raw:
        within = raw["ack_within_minutes"]
        if isinstance(within, bool) or not isinstance(within, int):
            raise DirectiveFileError(MSG_KEY.format(key="ack_within_minutes", reason="cần một số nguyên"))
        changes["ack_within_minutes"] = within
    if "at" in raw and "cron" in raw:
        raise DirectiveFileError(MSG_KEY.format(key="cron", reason="chỉ một trong at và cron"))
    if "at" in raw:
        changes["schedule_kind"], changes["schedule_at"] = ScheduleKind.AT, _moment(raw, "at", tz)
    if "cron" in raw:
        cron = _text(raw, "cron")
        changes["schedule_kind"] = ScheduleKind.CRON if cron.strip() else ScheduleKind.NOW
        changes["cron"] = cron
    units: list[str | int] | None = None
    if "audience" in raw:
        audience_raw = raw["audience"]
        if not isinstance(audience_raw, dict):
            raise DirectiveFileError(MSG_KEY.format(key="audience", reason="cần một bảng [audience]"))
        raw_units = audience_raw.get("units", [])
        if not isinstance(raw_units, list) or not all(
            isinstance(u, str | int) and not isinstance(u, bool) for u in raw_units
        ):
            raise DirectiveFileError(MSG_KEY.format(key="audience.units", reason="danh sách tên hoặc số"))
        units = list(raw_units)
        try:
            changes["audience"] = Audience.from_json({k: v for k, v in audience_raw.items() if k != "units"})
        except InvalidDirectiveError as exc:
            raise DirectiveFileError(MSG_KEY.format(key="audience", reason=exc.reason)) from None
    return changes, units


def cmd_directive_change(args: argparse.Namespace, config: Config) -> int:
    """``motcua directive change ID --file FILE``."""
    return asyncio.run(run_change(config, args.id, args.file))


async def run_change(
    config: Config,
    directive_id: int,
    path: Path,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Read the changes, apply them (audited), and print what changed and when it goes out."""
    out, err = out or sys.stdout, err or sys.stderr
    actor = Actor.system("cli")
    try:
        changes, unit_keys = read_changes_file(path, config)
    except OSError as exc:
        print(MSG_FILE.format(error=exc), file=err)
        return EXIT_SETUP
    except DirectiveFileError as exc:
        print(str(exc), file=err)
        return EXIT_REFUSED
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = service_for(sessions, config)
        if unit_keys is not None:
            people = PeopleService(sessions)
            unit_ids = []
            for key in unit_keys:
                found = await (people.unit(key) if isinstance(key, int) else people.unit_by_name(key))
                if found is None:
                    print(MSG_KEY.format(key="audience.units", reason=f"không có đơn vị {key!r}"), file=err)
                    return EXIT_REFUSED
                unit_ids.append(found.id)
            audience = changes["audience"]
            changes["audience"] = Audience(
                tuple(sorted(set(unit_ids))), audience.tags, audience.groups, audience.people
            )
        try:
            before = await service.get(actor, directive_id)
            after = await service.change(actor, directive_id, changes)
            result = None
            # The CLI publishes what it creates: a recurring directive changed to a one-off goes out.
            if before.status.value == "scheduled" and after.status.value == "draft":
                result = await service.publish(actor, directive_id)
        except InvalidDirectiveError as exc:
            print(MSG_KEY.format(key=_file_key(exc.field), reason=exc.reason), file=err)
            return EXIT_REFUSED
        except DirectiveStateError as exc:
            text = MSG_NOT_FOUND if str(exc) == "no such directive" else MSG_NOT_CHANGEABLE
            print(text.format(id=directive_id), file=err)
            return EXIT_REFUSED
        except PermissionDeniedError as exc:
            print(str(exc), file=err)
            return EXIT_REFUSED
    fields = [
        name
        for name in DirectiveDraft.__dataclass_fields__
        if getattr(before, name, None) != getattr(after, name, None)
    ]
    if not fields:
        print(MSG_UNCHANGED.format(id=directive_id), file=out)
        return EXIT_OK
    print(MSG_CHANGED.format(id=directive_id, fields=", ".join(_file_key(f) for f in fields)), file=out)
    tz = zone(config.timezone)
    if after.schedule_kind is ScheduleKind.CRON and after.next_run_at is not None:
        print(
            MSG_ARMED.format(
                cron=after.cron, due=after.next_run_at.astimezone(tz).strftime("%H:%M %d/%m/%Y")
            ),
            file=out,
        )
    elif result is not None:
        due = result.due_at.astimezone(tz).strftime("%H:%M %d/%m/%Y") if result.due_at else "-"
        print(
            MSG_QUEUED.format(
                queued=result.queued, chats=result.chats, due=due, unreachable=result.unreachable
            ),
            file=out,
        )
    return EXIT_OK


def cmd_directive_list(args: argparse.Namespace, config: Config) -> int:
    """``motcua directive list``."""
    return asyncio.run(run_list(config, args.limit))


async def run_list(config: Config, limit: int = 50, *, out: TextIO | None = None) -> int:
    """Print the newest directives."""
    out = out or sys.stdout
    tz = zone(config.timezone)
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        views = await service_for(sessions, config).recent(Actor.system("cli"), limit=max(1, limit))
    if not views:
        print(MSG_NONE, file=out)
        return EXIT_OK
    rows = []
    for view in views:
        when = view.next_run_at or view.schedule_at or view.created_at
        schedule = view.cron or (view.schedule_kind.value)
        rows.append(
            (
                str(view.id),
                view.title[:40],
                "khẩn" if view.urgency is Urgency.KHAN else "thường",
                schedule,
                view.status.value,
                when.astimezone(tz).strftime("%H:%M %d/%m/%Y"),
            )
        )
    from bot.cli_people import table

    out.write(table(LIST_HEADERS, rows))
    return EXIT_OK


def cmd_directive_cancel(args: argparse.Namespace, config: Config) -> int:
    """``motcua directive cancel ID``."""
    return asyncio.run(run_cancel(config, args.id))


async def run_cancel(
    config: Config, directive_id: int, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Cancel a directive."""
    out, err = out or sys.stdout, err or sys.stderr
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        try:
            stopped = await service_for(sessions, config).cancel(Actor.system("cli"), directive_id)
        except DirectiveStateError:
            print(MSG_NOT_FOUND.format(id=directive_id), file=err)
            return EXIT_REFUSED
    print(MSG_CANCELLED.format(id=directive_id, stopped=stopped), file=out)
    return EXIT_OK


def cmd_directive_report(args: argparse.Namespace, config: Config) -> int:
    """``motcua directive report ID [--csv]``."""
    return asyncio.run(run_report(config, args.id, args.occurrence, as_csv=args.csv))


async def run_report(
    config: Config,
    directive_id: int,
    occurrence: str | None = None,
    *,
    as_csv: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the report of a directive (an occurrence; by default the latest)."""
    out, err = out or sys.stdout, err or sys.stderr
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        try:
            report = await service_for(sessions, config).report(Actor.system("cli"), directive_id, occurrence)
        except DirectiveStateError:
            print(MSG_NOT_FOUND.format(id=directive_id), file=err)
            return EXIT_REFUSED
    tz = zone(config.timezone)
    out.write(report_csv(report, tz) if as_csv else report_text(report, tz))
    return EXIT_OK


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M %d/%m/%Y") if moment is not None else ""


def report_text(report: DirectiveReport, tz: ZoneInfo) -> str:
    """The report as aligned tables: per unit, per chat, per person."""
    from bot.cli_people import table

    view = report.directive
    lines = [f"Chỉ đạo #{view.id}: {view.title} ({view.status.value}; lần {report.occurrence or '-'})"]
    stats = report.stats
    lines.append(
        f"Tin: {stats.sent} đã gửi, {stats.failed} lỗi, {stats.pending + stats.sending} đang chờ; "
        f"có thể trùng: {stats.possible_duplicates}"
    )
    lines.append("")
    unit_rows = [
        (
            u.name or "(không đơn vị)",
            str(u.delivered),
            str(u.failed),
            str(u.pending),
            str(u.unreachable),
            f"{u.acknowledged}/{u.expected_acks}",
        )
        for u in report.units
    ]
    headers = ("Đơn vị", "Đã gửi", "Lỗi", "Đang chờ", "Chưa liên kết", "Đã nhận")
    lines.append(table(headers, unit_rows).rstrip("\n"))
    lines.append("")
    chat_rows = [
        (
            r.name or "-",
            f"{r.chat.platform.value}:{r.chat.chat_id}" if r.chat is not None else "-",
            STATUS_TEXT.get(r.status, r.status) + (" (có thể trùng)" if r.possible_duplicate else ""),
            r.reason,
            _when(r.sent_at, tz),
        )
        for r in report.recipients
    ]
    lines.append(
        table(("Người nhận", "Cuộc trò chuyện", "Trạng thái", "Lý do", "Gửi lúc"), chat_rows).rstrip("\n")
    )
    if report.acks:
        lines.append("")
        ack_rows = [
            (a.name, f"đã nhận {_when(a.at, tz)} ({a.how})" if a.at is not None else "chưa nhận")
            for a in report.acks
        ]
        lines.append(table(("Người", "Xác nhận"), ack_rows).rstrip("\n"))
    return "\n".join(lines) + "\n"


def report_csv(report: DirectiveReport, tz: ZoneInfo) -> str:
    """The report as CSV: one row per chat, then one per person expected to acknowledge."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    units = {u.unit_id: u.name for u in report.units}
    view = report.directive
    for r in report.recipients:
        writer.writerow(
            (
                view.id,
                report.occurrence,
                "chat",
                units.get(r.unit_id, ""),
                r.name,
                r.chat.platform.value if r.chat is not None else "",
                r.chat.chat_id if r.chat is not None else "",
                r.status,
                r.reason,
                r.sent_at.astimezone(tz).isoformat() if r.sent_at is not None else "",
                r.attempts,
                int(r.possible_duplicate),
                "",
                "",
            )
        )
    for a in report.acks:
        writer.writerow(
            (
                view.id,
                report.occurrence,
                "person",
                units.get(a.unit_id, ""),
                a.name,
                "",
                "",
                "acknowledged" if a.at is not None else "pending",
                "",
                "",
                "",
                "",
                a.at.astimezone(tz).isoformat() if a.at is not None else "",
                a.how,
            )
        )
    return buffer.getvalue()
