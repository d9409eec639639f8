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
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot import texts
from bot.config import Config
from bot.services.directives import (
    DirectiveDraft,
    DirectiveReport,
    DirectiveService,
    DirectiveStateError,
    InvalidDirectiveError,
    ScheduleKind,
    Urgency,
    file_key,
    read_changes,
    read_draft,
)
from bot.services.people import Actor, PermissionDeniedError
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
  reminder_minutes = [30, 120]  nhắc người chưa xác nhận sau chừng ấy phút (tối đa 6 lần, mỗi lần
                           không quá 7 ngày); mặc định [directives] reminder_minutes; [] = không nhắc
  escalate_after = 1       sau chừng ấy lần nhắc thì báo lãnh đạo đơn vị (0 = không báo);
                           mặc định [directives] escalate_after
  image_url = "https://..."  link_url = "https://..."
  at = 2026-12-01T07:30:00+07:00            gửi lúc này (không có múi giờ = giờ Việt Nam)
  cron = "30 7 * * 1"      định kỳ theo cú pháp crontab (0/7 = Chủ nhật), hoặc "thứ hai hằng tuần 07:30"
                           (không có at và cron: gửi ngay)
  [audience]               ít nhất một mục
  units = ["Bộ phận một cửa", 2]    đơn vị theo tên hoặc số (xem: motcua unit list); gửi tới từng
                           người của đơn vị và vào các nhóm chat đã đăng ký cho đơn vị bằng /nhom
  unit_groups = false      chỉ nhắn riêng từng người, không gửi vào nhóm của đơn vị
  groups = ["Nhóm Bộ phận một cửa", 3]  nhóm theo tên hoặc số (xem: motcua group list)
  tags = ["tiep dan"]      people = [5, 7]      người theo số (xem: motcua people list)
Mã thoát: 0 xong; 1 tệp hợp lệ nhưng bị từ chối (khóa sai, không có quyền, không tìm thấy); 2 tệp hỏng
hoặc lỗi cấu hình."""

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
    """The TOML table in ``path``; OSError when it cannot be read or parsed."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OSError(f"không tìm thấy {path}") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise OSError(str(exc)) from None


def _refusal(exc: InvalidDirectiveError) -> str:
    return MSG_KEY.format(key=file_key(exc.field), reason=texts.directive_reason(exc.reason, exc.value))


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
    """Read, validate, create and publish in one go; print what was queued or armed."""
    out, err = out or sys.stdout, err or sys.stderr
    actor = Actor.system("cli")
    try:
        raw = _read_toml(path)
    except OSError as exc:
        print(MSG_FILE.format(error=exc), file=err)
        return EXIT_SETUP
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = service_for(sessions, config)
        try:
            draft = await service.writing.resolve(read_draft(raw, config.timezone))
            submitted = await service.writing.submit(actor, draft)
        except InvalidDirectiveError as exc:
            print(_refusal(exc), file=err)
            return EXIT_REFUSED
        except (PermissionDeniedError, DirectiveStateError) as exc:
            print(str(exc), file=err)
            return EXIT_REFUSED
    created, result = submitted.directive, submitted.result
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
        raw = _read_toml(path)
    except OSError as exc:
        print(MSG_FILE.format(error=exc), file=err)
        return EXIT_SETUP
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = service_for(sessions, config)
        try:
            changes = await service.writing.resolve_changes(read_changes(raw, config.timezone))
            before = await service.reports.get(actor, directive_id)
            after = await service.writing.change(actor, directive_id, changes)
            result = None
            # The CLI publishes what it creates: a recurring directive changed to a one-off goes out.
            if before.status.value == "scheduled" and after.status.value == "draft":
                result = await service.publishing.publish(actor, directive_id)
        except InvalidDirectiveError as exc:
            print(_refusal(exc), file=err)
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
    print(MSG_CHANGED.format(id=directive_id, fields=", ".join(file_key(f) for f in fields)), file=out)
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
        views = await service_for(sessions, config).reports.recent(Actor.system("cli"), limit=max(1, limit))
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
            stopped = await service_for(sessions, config).publishing.cancel(Actor.system("cli"), directive_id)
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
            report = await service_for(sessions, config).reports.report(
                Actor.system("cli"), directive_id, occurrence
            )
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
