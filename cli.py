"""The `cqtt` command line: parse options, call one job from `engine.jobs`, print the outcome.

Errors raised by the engine (`CqttError`) become a one-line `click.ClickException` (exit code 1);
bad options are click's usage errors (exit code 2). Everything printed is Vietnamese.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from engine.errors import CqttError, RuleFileError
from engine.text import terminal_safe

if TYPE_CHECKING:
    from engine import jobs as jobs_module
    from engine.rules import catalog as catalog_module
    from engine.rules.loader import LoadedCriteria
    from engine.scoring.compare import UnitChange
    from engine.store.history import DecisionView


class _Lazy:
    """A module imported on first use: `cqtt --help` and usage errors then never load openpyxl,
    pydantic or the rules engine, and answer at once."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self._name)
        self.__dict__.update(vars(module))
        return getattr(module, attr)


class _InputPath(click.Path):
    """An input file: a name typed in NFC finds the file stored in NFD (from a Mac or a zip), and
    the other way round (engine.intake.paths)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from engine.intake.paths import on_disk

        return on_disk(Path(os.fsdecode(super().convert(value, param, ctx))))


INPUT_PATH = _InputPath(path_type=Path)


class _WorkbookPath(click.Path):
    """An Excel workbook to write: a name ending in .csv or .json would get a workbook's bytes."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        path = Path(os.fsdecode(super().convert(value, param, ctx)))
        if path.suffix.lower() not in (".xlsx", ".xlsm"):
            self.fail(f"{path}: tệp Excel cần đuôi .xlsx (tệp này sẽ được ghi dạng Excel)", param, ctx)
        return path


WORKBOOK_PATH = _WorkbookPath(path_type=Path)


class _Year(click.ParamType):
    """An assessment year, 1990 to 2100 (a 20-digit year chose a rule set and scored)."""

    name = "năm"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, int):
            year = value
        else:
            text = str(value).strip()
            if not text.isdigit():
                self.fail(f"“{value}” không phải một năm (ghi ví dụ 2024)", param, ctx)
            year = int(text)
        if not 1990 <= year <= 2100:
            self.fail(f"{value}: năm cần từ 1990 đến 2100", param, ctx)
        return year


YEAR = _Year()

if TYPE_CHECKING:  # the checker sees the modules themselves; at run time they load on first use
    jobs = jobs_module
    catalog = catalog_module
else:
    jobs = _Lazy("engine.jobs")
    catalog = _Lazy("engine.rules.catalog")


def fmt(value: float) -> str:
    from engine.text import fmt as format_points

    return format_points(value)


PROGRESS_FROM = 500
SHOWN_PROBLEMS = 20


def _pct(x: float) -> str:
    from engine.text import percent

    return percent(x)


@contextmanager
def _errors() -> Iterator[None]:
    """Print every detail of a project error to stderr, then fail with its one-line reason."""
    from engine.intake.evidence import EvidenceError

    try:
        yield
    except RuleFileError as exc:
        for issue in exc.issues:
            click.echo(issue.format(), err=True)
        n = len(exc.errors)
        raise click.ClickException(f"tệp tiêu chí {exc.file} có {n} lỗi") from None
    except EvidenceError as exc:
        for problem in exc.issues:
            click.echo(problem.format(), err=True)
        raise click.ClickException(exc.summary) from None
    except CqttError as exc:
        raise click.ClickException(str(exc)) from None
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except Exception as exc:  # a bug, not bad input: one line, the traceback on request
        if os.environ.get("CQTT_DEBUG"):
            raise
        raise click.ClickException(
            f"lỗi không mong đợi ({type(exc).__name__}: {exc}); chạy lại với CQTT_DEBUG=1 để "
            "xem chi tiết và báo lỗi kèm các tệp đầu vào"
        ) from None


def example(*lines: str) -> str:
    """An epilog of example commands, kept as written (click rewraps other paragraphs)."""
    return "\b\nVí dụ:\n" + "\n".join(f"  {line}" for line in lines)


class _Formatter(click.HelpFormatter):
    """Help pages with Vietnamese headings."""

    HEADINGS = {"Options": "Tùy chọn", "Commands": "Lệnh", "Arguments": "Đối số"}

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix="Cách dùng: " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(self.HEADINGS.get(heading, heading))


class _Context(click.Context):
    formatter_class = _Formatter


class _Command(click.Command):
    context_class = _Context

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Hiện hướng dẫn này và thoát."
        return option


_USAGE_MESSAGES = [
    (r"^Missing option '(.+)'\.?$", r"Thiếu tùy chọn '\1'."),
    (r"^Missing argument '(.+)'\.?$", r"Thiếu đối số '\1'."),
    (r"^Missing parameter: (.+)$", r"Thiếu tham số \1."),
    (
        r"^Invalid value for '(.+)': '(.*)' is not a valid integer\.$",
        r"Giá trị '\2' của '\1' không phải số nguyên.",
    ),
    (r"^Invalid value for '(.+)': (.+)$", r"Giá trị không hợp lệ cho '\1': \2"),
    (r"^No such option: (.+)$", r"Không có tùy chọn \1."),
    (r"^No such option '(.+)'\. Did you mean '(.+)'\?$", r"Không có tùy chọn '\1'. Ý bạn là '\2'?"),
    (r"^No such option '(.+)'\.?$", r"Không có tùy chọn '\1'."),
    (r"^No such command '(.+)'\. Did you mean '(.+)'\?$", r"Không có lệnh '\1'. Ý bạn là '\2'?"),
    (r"^No such command '(.+)'\.$", r"Không có lệnh '\1'."),
    (r"^Option '(.+)' requires an argument\.$", r"Tùy chọn '\1' cần một giá trị."),
    (r"^Got unexpected extra arguments? \((.+)\)$", r"Thừa đối số: \1."),
]


def _vietnamese(message: str) -> str:
    """click's own usage errors, in Vietnamese (the tool's messages already are)."""
    for pattern, replacement in _USAGE_MESSAGES:
        if re.match(pattern, message):
            return re.sub(pattern, replacement, message)
    return message


def _exit_on_sigterm() -> None:
    """SIGTERM (a service stop, `kill`) exits like Ctrl-C does, through the code that removes
    half-written temporary files and rolls back a store transaction, instead of dying on the spot."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():

        def stop(signum: int, _frame: Any) -> None:
            click.echo("Đã dừng.", err=True)
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, stop)


class _Group(click.Group):
    command_class = _Command
    context_class = _Context

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """click's standalone handling, with Vietnamese error lines and the same exit codes."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        _exit_on_sigterm()
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            if exc.ctx is not None:
                click.echo(exc.ctx.get_usage(), err=True)
                click.echo(f"Xem '{exc.ctx.command_path} --help' để biết cách dùng.\n", err=True)
            click.echo(f"Lỗi: {_vietnamese(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"Lỗi: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Đã dừng.", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "Hiện hướng dẫn này và thoát."
        return option


_Group.group_class = _Group
HELP = {"help_option_names": ["-h", "--help"]}


def db_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--db [PATH|URL]: an SQLite file or a PostgreSQL URL; alone, CQTT_DB or the default file."""
    return click.option(
        "--db",
        "db",
        is_flag=False,
        flag_value="",
        default=None,
        metavar="[TỆP|URL]",
        help=help_text + " Không ghi giá trị: dùng biến môi trường CQTT_DB, nếu không có thì tệp mặc định "
        "~/.local/share/cqtt/lich-su.sqlite.",
    )


@click.group(
    cls=_Group,
    context_settings=HELP,
    epilog=example(
        "cqtt score samples/bac-giang-2024.xlsx --criteria bac-giang@2024 -o ket-qua.xlsx --json ket-qua.json"
    ),
)
@click.version_option(package_name="cqtt", message="%(prog)s %(version)s", help="Hiện phiên bản và thoát.")
@click.option(
    "--rules",
    "rules_dirs",
    multiple=True,
    metavar="THƯ-MỤC",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Thư mục bộ tiêu chí của tỉnh (mỗi bộ một thư mục con, như criteria/), tìm trước các bộ có sẵn; "
    "cũng đặt được bằng biến môi trường CQTT_RULES.",
)
def main(rules_dirs: tuple[Path, ...]) -> None:
    """Chấm điểm “Chính quyền thân thiện” cấp xã theo bộ tiêu chí YAML có phiên bản.

    Scores commune-level units for the friendly-government certification.
    """
    from engine.rules import registered

    registered.rules_folders[:] = list(rules_dirs)
    _ANNOUNCED.clear()
    if _announce not in registered.listeners:
        registered.listeners.append(_announce)


_ANNOUNCED: set[str] = set()


def _announce(loaded: LoadedCriteria) -> None:
    """Which rule file a command reads, once per file: its path and hash (a policy officer sees
    whether the copy they edited is the one used), and that a model set is not official."""
    key = f"{loaded.path}:{loaded.sha256}"
    if key in _ANNOUNCED:
        return
    _ANNOUNCED.add(key)
    path = Path(loaded.path)
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        shown = path
    model = "; BẢN MẪU — chưa phải bộ tiêu chí chính thức" if loaded.model.status == "model" else ""
    click.echo(f"Bộ tiêu chí {loaded.model.ref}: {shown} (sha256 {loaded.sha256[:12]}…){model}", err=True)
    from engine.rules.catalog import twin_of

    twin = twin_of(path)
    if twin is not None:
        click.echo(
            f"cảnh báo: {twin} cũng là {loaded.model.ref} nhưng nội dung khác; đang dùng {shown} "
            "(thư mục của tỉnh đặt bằng --rules hoặc CQTT_RULES được tìm trước bộ có sẵn)",
            err=True,
        )


@main.group(epilog=example("cqtt criteria validate criteria/", "cqtt criteria show bac-giang@2024"))
def criteria() -> None:
    """Kiểm tra, xem và so sánh các bộ tiêu chí (tệp YAML)."""


@criteria.command("list", epilog=example("cqtt criteria list"))
def criteria_list() -> None:
    """Liệt kê các bộ tiêu chí có sẵn và phiên bản của chúng."""
    for entry in catalog.entries():
        period = f"{entry.effective_from or '?'} – {entry.effective_to or '…'}"
        ref = f"{entry.set_id}@{entry.version}"
        click.echo(f"{ref:<20} hiệu lực {period:<26} {entry.path}")


@criteria.command(
    "validate",
    epilog=example(
        "cqtt criteria validate criteria/",
        "cqtt criteria validate --strict criteria/bac-giang/2024.yaml",
    ),
)
@click.argument("paths", nargs=-1, type=INPUT_PATH)
@click.option(
    "--strict",
    is_flag=True,
    help="Coi mọi cảnh báo là lỗi (ví dụ tiêu chí chưa ghi nguồn hay lý do đề xuất).",
)
def criteria_validate(paths: tuple[Path, ...], strict: bool) -> None:
    """Kiểm tra tệp tiêu chí: cấu trúc, tổng điểm, các bậc, mã trường, điều kiện công nhận, nguồn
    của từng tiêu chí, điểm liệt và yêu cầu.

    Không ghi PATHS thì kiểm tra các bộ tiêu chí có sẵn. Liệt kê mọi lỗi tìm thấy.
    """
    targets = list(paths) or [catalog.bundled_root()]
    with _errors():
        report = jobs.validate(targets, strict)
    for issue in report.warnings:
        click.echo(issue.format(), err=True)
    for issue in report.errors:
        click.echo(issue.format(), err=True)
    if not report.ok:
        raise click.ClickException(f"{len(report.errors)} lỗi trong {len(report.files)} tệp tiêu chí")
    for loaded in report.valid:
        click.echo(f"hợp lệ: {loaded.path} ({loaded.model.ref})")
    click.echo(f"{len(report.valid)} tệp tiêu chí hợp lệ, {len(report.warnings)} cảnh báo")


@criteria.command(
    "test", epilog=example("cqtt criteria test", "cqtt criteria test criteria/bac-giang/2024.yaml")
)
@click.argument("paths", nargs=-1, type=INPUT_PATH)
def criteria_test(paths: tuple[Path, ...]) -> None:
    """Chạy các ca kiểm thử (<phiên bản>.tests.yaml) đặt cạnh mỗi tệp tiêu chí."""
    targets = list(paths) or [catalog.bundled_root()]
    with _errors():
        reports = jobs.rule_tests(targets)
    passed = failed = 0
    for report in reports:
        click.echo(f"{report.rule_file}:")
        if report.error:
            failed += 1
            click.echo(f"  LỖI  {report.error}")
            continue
        for case in report.cases:
            if case.passed:
                passed += 1
                click.echo(f"  ĐẠT  {case.name}")
            else:
                failed += 1
                click.echo(f"  SAI  {case.name} ({report.tests_file}:{case.line})")
                for diff in case.differences:
                    click.echo(f"         {diff}")
    if not reports:
        raise click.ClickException("không tìm thấy tệp tiêu chí nào")
    click.echo(f"{passed} ca đạt, {failed} ca sai")
    if failed:
        raise click.ClickException(f"{failed} ca kiểm thử sai")


@criteria.command(
    "show",
    epilog=example(
        "cqtt criteria show bac-giang@2024", "cqtt criteria show bac-giang --year 2023 --xlsx huong-dan.xlsx"
    ),
)
@click.argument("ref")
@click.option("--year", type=YEAR, help="Năm đánh giá, để chọn phiên bản đang hiệu lực.")
@click.option("--xlsx", "xlsx", type=WORKBOOK_PATH, help="Ghi hướng dẫn chấm ra tệp Excel để in.")
@click.option("--force", is_flag=True, help="Ghi đè tệp đã có.")
def criteria_show(ref: str, year: int | None, xlsx: Path | None, force: bool) -> None:
    """In bộ tiêu chí thành bảng: nhóm, tiêu chí, điểm, cách chấm.

    REF là đường dẫn tệp YAML hoặc mã bộ tiêu chí (bac-giang@2024, bac-giang).
    """
    from engine.outputs.guide import text_table, write_guide
    from engine.outputs.output import check_target, write_atomic

    with _errors():
        loaded = jobs.load_ref(ref, year)
        if xlsx is not None:
            check_target(xlsx, force, jobs.rule_inputs(ref, year=year))
            write_atomic(xlsx, lambda h: write_guide(h, loaded.model, loaded.sha256))
    click.echo(text_table(loaded.model))
    if xlsx is not None:
        click.echo(f"\nĐã ghi hướng dẫn chấm: {xlsx}")


@criteria.command(
    "diff",
    epilog=example(
        "cqtt criteria diff bac-giang@2023 bac-giang@2024",
        "cqtt criteria diff bac-giang@2023 bac-giang@2024 --evidence samples/bac-giang-2024.xlsx",
        "cqtt criteria diff bac-giang@2023 bac-giang@2024 --evidence samples/bac-giang-2024.xlsx "
        "-o so-sanh.xlsx --json so-sanh.json",
    ),
)
@click.argument("old")
@click.argument("new")
@click.option(
    "--evidence",
    "evidence",
    multiple=True,
    type=INPUT_PATH,
    help="Chấm minh chứng này theo cả hai phiên bản và liệt kê đơn vị thay đổi, kèm lý do.",
)
@click.option("-o", "--output", "xlsx", type=WORKBOOK_PATH, help="Sổ so sánh (Excel).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Kết quả so sánh (JSON).")
@click.option("--force", is_flag=True, help="Ghi đè tệp kết quả đã có.")
@click.option("--all", "show_all", is_flag=True, help="In mọi đơn vị thay đổi (mặc định 20 đơn vị đầu).")
def criteria_diff(
    old: str,
    new: str,
    evidence: tuple[Path, ...],
    xlsx: Path | None,
    json_path: Path | None,
    force: bool,
    show_all: bool,
) -> None:
    """So sánh hai phiên bản bộ tiêu chí: nhóm, tiêu chí, điểm, bậc, nguồn, điều kiện công nhận.

    Với --evidence: trước hết nói trường minh chứng nào mỗi phiên bản cần mà tệp không có (và bao
    nhiêu đơn vị bị chặn vì thế), rồi liệt kê đơn vị đổi kết quả, lý do ở mỗi bên và các tiêu chí
    đổi điểm nhiều nhất, theo mức thay đổi.
    """
    with _errors():
        outcome = jobs.diff(old, new, list(evidence) or None, json_path, xlsx, force)
    d = outcome.diff
    if outcome.foreign is not None:
        click.echo(f"Cảnh báo: {outcome.foreign}")
    click.echo(f"So sánh {d.old} → {d.new}: {len(d.changes)} thay đổi")
    for change in d.changes:
        click.echo(f"  {change.format()}")
    if outcome.units is not None:
        for ref, fields in ((d.old, outcome.missing[0]), (d.new, outcome.missing[1])):
            if not fields:
                continue
            click.echo(f"\nTrường minh chứng {ref} cần mà tệp minh chứng không có:")
            for m in fields:
                click.echo(f"  {m.id} ({m.label}): {m.units_blocked} đơn vị thiếu minh chứng theo {ref}")
        if outcome.eligible:
            (a, n, target, met_a), (b, _, _, met_b) = outcome.eligible
            line = f"\nĐủ điều kiện công nhận: {a}/{n} ({_pct(a / n if n else 0)}) theo {d.old} → "
            line += f"{b}/{n} ({_pct(b / n if n else 0)}) theo {d.new}"
            if target is not None:
                verdict = {True: "đạt", False: "chưa đạt", None: "-"}
                line += f"; chỉ tiêu {_pct(target)}: {verdict[met_a]} → {verdict[met_b]}"
            click.echo(line)
        status = [u for u in outcome.units if u.status_changed]
        click.echo(
            f"\nĐơn vị thay đổi kết quả ({len(outcome.units)}/{outcome.scored}; "
            f"{len(status)} đổi trạng thái công nhận):"
        )
        shown = outcome.units if show_all else outcome.units[:SHOWN_PROBLEMS]
        for u in shown:
            click.echo(_unit_change_line(u))
            if u.status_changed:
                for ref, reasons, ok in (
                    (d.old, u.old_reasons, u.old_recognised),
                    (d.new, u.new_reasons, u.new_recognised),
                ):
                    if not ok and reasons:
                        click.echo(f"      theo {ref}: {'; '.join(reasons)}")
            if u.moved:
                moved = ", ".join(f"{m.id} {_pts(m.old)} → {_pts(m.new)}" for m in u.moved[:3])
                click.echo(f"      đổi điểm nhiều nhất: {moved}")
        if len(outcome.units) > len(shown):
            click.echo(
                f"  ... và {len(outcome.units) - len(shown)} đơn vị khác (--all, hoặc -o/--json để xem đủ)"
            )
    written = [str(p) for p in (xlsx, json_path) if p is not None]
    if written:
        click.echo(f"Đã ghi: {', '.join(written)}")


def _pts(value: float | None) -> str:
    return "-" if value is None else fmt(value)


def _unit_change_line(u: UnitChange) -> str:
    def st(v: bool | None) -> str:
        return "-" if v is None else ("đạt" if v else "chưa đạt")

    return (
        f"  {u.code:<8} {u.name:<28} {_pts(u.old_total):>6} → {_pts(u.new_total):<6} "
        f"{st(u.old_recognised)} → {st(u.new_recognised)}"
    )


def _progress_factory(holder: dict[str, Any]) -> Callable[[int], Callable[[int], None] | None]:
    def start(total: int) -> Callable[[int], None] | None:
        if total < PROGRESS_FROM:
            return None
        bar = click.progressbar(length=total, label=f"Đang chấm {total} đơn vị", file=sys.stderr)
        bar.__enter__()
        holder["bar"] = bar
        return bar.update

    return start


def _at_least_one(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise click.BadParameter(f"cần từ 1 trở lên (đang là {value})")
    return value


def _phase_printer(holder: dict[str, Any]) -> Callable[[str], None]:
    """Each phase of a long run on its own line (also without a terminal), the bar closed first."""

    def say(text: str) -> None:
        bar = holder.pop("bar", None)
        if bar is not None:
            bar.__exit__(None, None, None)
        click.echo(text, err=True)

    return say


@main.command(
    "score",
    epilog=example(
        "cqtt score samples/bac-giang-2024.xlsx --criteria bac-giang@2024 -o ket-qua.xlsx --json ket-qua.json"
    ),
)
@click.argument("evidence", nargs=-1, required=True, type=INPUT_PATH)
@click.option(
    "--criteria",
    "ref",
    required=True,
    help="Bộ tiêu chí: đường dẫn tệp YAML hoặc mã (bac-giang@2024, bac-giang).",
)
@click.option("--year", type=YEAR, help="Năm đánh giá, để chọn phiên bản khi REF không ghi phiên bản.")
@click.option(
    "-o",
    "--output",
    "xlsx",
    type=WORKBOOK_PATH,
    help="Tệp Excel kết quả (xếp hạng, cảnh báo, giải thích).",
)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Tệp JSON kết quả.")
@click.option("--force", is_flag=True, help="Ghi đè tệp kết quả đã có.")
@db_option("Ghi lần chấm vào cơ sở dữ liệu lịch sử và thêm cột so sánh với năm trước.")
@click.option(
    "--units",
    "units_path",
    type=INPUT_PATH,
    help="Danh sách đơn vị của tỉnh (CSV ma_don_vi, ten_don_vi, nhom_tham_dinh): đơn vị không có trong "
    "minh chứng là chưa nộp và vẫn tính trong mẫu số; chỉ khi đó tỷ lệ mới là “toàn tỉnh”.",
)
@click.option(
    "-j",
    "--jobs",
    "n_jobs",
    type=int,
    default=None,
    callback=lambda _ctx, _param, value: _at_least_one(value),
    help="Số tiến trình chấm song song (mặc định: số lõi CPU). Kết quả như nhau với mọi giá trị.",
)
def score(
    evidence: tuple[Path, ...],
    ref: str,
    year: int | None,
    xlsx: Path | None,
    json_path: Path | None,
    force: bool,
    db: str | None,
    units_path: Path | None,
    n_jobs: int | None,
) -> None:
    """Chấm điểm mọi đơn vị trong các tệp minh chứng (.xlsx, .csv, .yaml, .json).

    In tóm tắt và ghi kết quả ra Excel và/hoặc JSON.
    """
    if xlsx is None and json_path is None:
        raise click.UsageError("cần ít nhất một tệp kết quả: -o KET-QUA.xlsx hoặc --json KET-QUA.json")
    holder: dict[str, Any] = {}
    try:
        with _errors():
            outcome = jobs.score(
                list(evidence),
                ref,
                year,
                xlsx,
                json_path,
                force,
                progress=_progress_factory(holder),
                db=db,
                phase=_phase_printer(holder),
                jobs=n_jobs or os.cpu_count() or 1,
                units_path=units_path,
            )
    finally:
        if "bar" in holder:
            holder["bar"].__exit__(None, None, None)
    for warning in outcome.warnings:
        click.echo(f"cảnh báo: {warning}", err=True)
    problems = [i for i in outcome.evidence.issues if i.kind != "replaced"]  # replacements: counted below
    for issue in problems[:SHOWN_PROBLEMS]:
        click.echo(issue.format(), err=True)
    if len(problems) > SHOWN_PROBLEMS:
        click.echo(
            f"... và {len(problems) - SHOWN_PROBLEMS} lỗi minh chứng khác (xem sheet "
            "“Thông tin” hoặc mục evidence_problems trong JSON)",
            err=True,
        )
    _print_summary(outcome)
    if outcome.recorded is not None:
        _print_history(outcome)
    written = [str(p) for p in (xlsx, json_path) if p is not None]
    click.echo(f"Đã ghi: {', '.join(written)}")


def _print_history(outcome: jobs_module.ScoreOutcome) -> None:
    r, prior = outcome.recorded, outcome.run.history
    if r.created:
        click.echo(f"Đã lưu lần chấm số {r.run_id} ({r.units} đơn vị) vào {outcome.store}")
    else:
        click.echo(f"Lần chấm này đã có trong {outcome.store} (số {r.run_id}); không ghi thêm")
    if prior is None:
        return
    s = outcome.run.summary
    units = prior.units.values()
    if prior.previous_units:
        click.echo(
            f"So với năm {prior.year}: đủ điều kiện {_pct(prior.previous_share or 0)} → "
            f"{_pct(s.recognised_share)}; đã công nhận năm {prior.year}: {prior.previous_recognised}"
        )
    this = f"{outcome.run.criteria.id}@{outcome.run.criteria.version}"
    before = sorted({u.criteria for u in units if u.criteria and u.criteria != this})
    if before:
        click.echo(
            f"  Năm {prior.year} chấm theo {', '.join(before)}, năm nay theo {this}: tổng điểm và thay đổi "
            "điểm so sánh hai bộ tiêu chí khác nhau"
        )
    pending = "" if any(u.decided_this_year for u in units) else " (chưa có quyết định năm nay)"
    rows = [
        ("Lần đầu đủ điều kiện công nhận", sum(u.first_recognition for u in units)),
        (
            f"Đã công nhận năm {prior.year}, năm nay chưa đạt",
            f"{sum(u.recognition_lost and u.decision is not None for u in units)}{pending}",
        ),
        (
            f"Đủ điều kiện năm {prior.year} (chưa có quyết định), năm nay chưa đạt",
            str(sum(u.recognition_lost and u.decision is None for u in units)),
        ),
    ]
    width = max(len(label) for label, _ in rows) + 2
    for label, n in rows:
        click.echo(f"  {label + ':':<{width}}{n}")
    candidates = sorted(code for code, u in prior.units.items() if u.withdrawal_candidate)
    if candidates:
        click.echo(
            f"Đề nghị xem xét thu hồi công nhận năm nay ({len(candidates)} đơn vị đã được công nhận nhưng "
            f"vi phạm điểm liệt): {', '.join(candidates)}"
        )


def _print_summary(outcome: jobs_module.ScoreOutcome) -> None:
    from engine.scoring.flags import FLAG_LABELS
    from engine.scoring.summary import population_text

    s, c = outcome.run.summary, outcome.run.criteria
    click.echo(f"Đã chấm {s.units} đơn vị theo {c.id}@{c.version} (sha256 {c.sha256[:12]}…)")
    waiting = outcome.run.not_submitted
    if waiting:
        shown = ", ".join(f"{w.code} {w.name}" for w in waiting[:20]) + ("…" if len(waiting) > 20 else "")
        click.echo(
            f"Chưa nộp hồ sơ: {len(waiting)} đơn vị (không chấm, không xếp hạng, vẫn tính trong mẫu số): "
            + shown
        )
    target = ""
    if s.target_share is not None:
        target = f"; chỉ tiêu {_pct(s.target_share)}: {'đạt' if s.meets_target else 'chưa đạt'}"
    rows = [
        ("Đề nghị công nhận", str(s.proposed)),
        (
            "Đủ điều kiện công nhận",
            f"{s.recognisable} {population_text(s)} ({_pct(s.recognised_share)}{target})",
        ),
        ("Đề nghị nhưng chưa đạt chuẩn", str(s.proposed_not_recognisable)),
        ("Sát ngưỡng công nhận", str(s.borderline)),
        (
            "Đơn vị thiếu hoặc sai minh chứng",
            f"{s.units_with_evidence_issues} ({s.evidence_issues} lỗi khi đọc)",
        ),
    ]
    if s.replaced_by_tallies:
        rows.append(("Đã thay bằng số kiểm đếm", f"{s.replaced_by_tallies} giá trị khảo sát gõ tay"))
    for label, value in rows:
        click.echo(f"  {label + ':':<34}{value}")
    if s.recognisable_as_typed is not None:
        changed = s.tallies_changed
        shown = ", ".join(changed[:20]) + ("…" if len(changed) > 20 else "")
        click.echo(
            f"Số kiểm đếm làm đổi kết quả của {len(changed)} đơn vị: đủ điều kiện {s.recognisable_as_typed} "
            f"(theo số gõ tay) → {s.recognisable} (theo số kiểm đếm)" + (f": {shown}" if changed else "")
        )
    if s.flags_by_code:
        click.echo("Cảnh báo theo loại:")
        for code, (_, label) in FLAG_LABELS.items():
            if code in s.flags_by_code:
                click.echo(f"  {label + ':':<42}{s.flags_by_code[code]}")


@main.command(
    "recheck",
    epilog=example(
        "cqtt recheck samples/bac-giang-2024-to-tham-dinh.xlsx -o phuc-tra.xlsx",
        "cqtt recheck samples/bac-giang-2024-to-tham-dinh.xlsx --evidence samples/bac-giang-2024.xlsx "
        "-o phuc-tra-lai.xlsx --json phuc-tra.json",
        "cqtt recheck samples/bac-giang-2024-to-tham-dinh.xlsx --field thuc-dia.xlsx -o phuc-tra-2.xlsx",
    ),
)
@click.argument("results", type=INPUT_PATH)
@click.option(
    "--evidence",
    "evidence",
    multiple=True,
    type=INPUT_PATH,
    help="Tệp minh chứng để chấm lại (mặc định: minh chứng trong chính sổ kết quả).",
)
@click.option(
    "--criteria",
    "ref",
    help="Bộ tiêu chí dùng để chấm lại, khi khác bộ mà kết quả ghi (mã băm khác được ghi là sai lệch).",
)
@click.option(
    "--field",
    "field_path",
    type=INPUT_PATH,
    help="Sổ kiểm tra thực địa đã điền: giá trị kiểm tra thay cho giá trị kê khai.",
)
@click.option("-o", "--output", "xlsx", type=WORKBOOK_PATH, help="Sổ phúc tra (Excel).")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Kết quả phúc tra (JSON).")
@click.option("--force", is_flag=True, help="Ghi đè tệp kết quả đã có.")
@db_option("Lưu kết quả phúc tra của tỉnh (điểm của tổ và của tỉnh, từng đơn vị) vào cơ sở dữ liệu lịch sử.")
@click.pass_context
def recheck(
    ctx: click.Context,
    results: Path,
    evidence: tuple[Path, ...],
    ref: str | None,
    field_path: Path | None,
    xlsx: Path | None,
    json_path: Path | None,
    force: bool,
    db: str | None,
) -> None:
    """Phúc tra kết quả của tổ thẩm định: chấm lại mọi đơn vị, liệt kê mọi sai lệch và sửa tay.

    RESULTS là sổ kết quả (.xlsx) hoặc tệp JSON do cqtt ghi. Mã thoát: 0 không có sai lệch;
    3 có sai lệch; 1 dữ liệu đầu vào sai.
    """
    from engine.review.recheck import describe

    if xlsx is None and json_path is None:
        raise click.UsageError("cần ít nhất một tệp kết quả: -o PHUC-TRA.xlsx hoặc --json PHUC-TRA.json")
    holder: dict[str, Any] = {}
    try:
        with _errors():
            outcome = jobs.recheck(
                results,
                list(evidence) or None,
                ref,
                field_path,
                xlsx,
                json_path,
                force,
                _progress_factory(holder),
                db,
            )
    finally:
        if "bar" in holder:
            holder["bar"].__exit__(None, None, None)
    for warning in outcome.warnings:
        click.echo(f"cảnh báo: {warning}", err=True)
    r = outcome.result
    found = r.discrepancies
    for d in found[:SHOWN_PROBLEMS]:
        click.echo(f"  {describe(d)}")
    if len(found) > SHOWN_PROBLEMS:
        click.echo(f"  ... và {len(found) - SHOWN_PROBLEMS} sai lệch khác (xem sheet “Sai lệch”)")
    if r.rounding:
        click.echo(
            f"Chênh lệch do cách làm tròn đã sửa ở phiên bản {r.rounding_fixed_in} ({r.team_tool} ghi sổ "
            f"này; không tính là sai lệch): {len(r.rounding)}"
        )
        for d in r.rounding[:SHOWN_PROBLEMS]:
            click.echo(f"  {describe(d)}")
        if len(r.rounding) > SHOWN_PROBLEMS:
            click.echo(f"  ... và {len(r.rounding) - SHOWN_PROBLEMS} chênh lệch khác (xem sheet “Làm tròn”)")
    seal = r.seal
    if not seal.present:
        seal_text = (
            "niêm phong đã bị xóa (sheet ẩn _cqtt); sửa tay không kiểm tra được"
            if seal.deleted
            else "không có niêm phong (sổ ghi trước định dạng phiên bản 2)"
        )
    else:
        seal_text = f"niêm phong: {seal.units_edited}/{seal.units_checked} đơn vị bị sửa tay"
        if seal.run_seal_ok is False:
            seal_text += "; bảng niêm phong đã bị sửa"
    changed = sum(g.recognition_changed for g in r.groups)
    totals = len({d.unit for d in found if d.kind == "total"})
    if r.rank_shifts:
        click.echo(
            f"{len(r.rank_shifts)} đơn vị chỉ đổi hạng vì đơn vị khác đổi điểm "
            "(không tính là sai lệch của tổ)"
        )
    click.echo(
        f"Đã phúc tra {len(r.units)} đơn vị theo {r.criteria.id}@{r.criteria.version}: "
        f"{len(found)} sai lệch ở {len({d.unit for d in found})} đơn vị; "
        f"{changed} đơn vị đổi kết quả công nhận, {totals} đơn vị đổi tổng điểm; {seal_text}"
        + (f"; {len(r.rounding)} chênh lệch do cách làm tròn (tính riêng)" if r.rounding else "")
    )
    written = [str(p) for p in (xlsx, json_path) if p is not None]
    click.echo(f"Đã ghi: {', '.join(written)}")
    if outcome.store:
        click.echo(f"Đã lưu kết quả phúc tra vào {outcome.store}")
    if found:
        ctx.exit(3)


@main.command(
    "records",
    epilog=example(
        "cqtt records ket-qua.xlsx --kind bien-ban-tham-dinh -o bien-ban/ --unit 07855",
        'cqtt records ket-qua.json --kind danh-sach-de-nghi -o danh-sach/ --dia-danh "Hiệp Hòa"',
        "cqtt records thuc-dia.xlsx --kind bien-ban-kiem-tra -o kiem-tra/",
        "cqtt records ket-qua.xlsx --kind bien-ban-tham-dinh -o in/ --one-file",
    ),
)
@click.argument("source", metavar="KẾT_QUẢ", type=INPUT_PATH)
@click.option(
    "--kind",
    required=True,
    type=click.Choice(["bien-ban-tham-dinh", "bien-ban-kiem-tra", "danh-sach-de-nghi"]),
    help="Loại văn bản: biên bản thẩm định (mỗi đơn vị một biên bản, từ sổ kết quả), biên bản kiểm tra "
    "thực địa (từ sổ kiểm tra thực địa đã ghi), danh sách đề nghị công nhận (mỗi nhóm thẩm định "
    "một danh sách).",
)
@click.option(
    "-o", "--output", "out_dir", required=True, type=click.Path(path_type=Path),
    help="Thư mục ghi các văn bản (.docx).",
)  # fmt: skip
@click.option("--criteria", "ref", help="Bộ tiêu chí, khi khác bộ mà kết quả ghi.")
@click.option(
    "--templates", type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục mẫu văn bản của tỉnh (tệp cùng tên với mẫu kèm theo thì dùng tệp của tỉnh).",
)  # fmt: skip
@click.option("--unit", "units", multiple=True, help="Chỉ lập cho đơn vị có mã này (ghi nhiều lần được).")
@click.option(
    "--co-quan-cap-tren", "issuer", default="", help="Cơ quan cấp trên (ví dụ “UBND HUYỆN HIỆP HÒA”)."
)
@click.option("--co-quan", "body", default="", help="Cơ quan ban hành (ví dụ “TỔ THẨM ĐỊNH”).")
@click.option("--dia-danh", "place", default="", help="Địa danh trước ngày tháng (ví dụ “Hiệp Hòa”).")
@click.option("--nam", "year", type=YEAR, help="Năm ký văn bản, khi khác năm đánh giá.")
@click.option(
    "--one-file", is_flag=True,
    help="Ghi mọi văn bản vào một tệp Word để in một lần (mỗi văn bản từ trang mới, trang đánh số riêng).",
)  # fmt: skip
@click.option("--force", is_flag=True, help="Ghi đè văn bản đã có.")
def records(
    source: Path,
    kind: str,
    out_dir: Path,
    ref: str | None,
    templates: Path | None,
    units: tuple[str, ...],
    issuer: str,
    body: str,
    place: str,
    year: int | None,
    one_file: bool,
    force: bool,
) -> None:
    """Lập văn bản để ký (Word .docx) từ kết quả của từng bước.

    Biên bản thẩm định và danh sách đề nghị lập từ minh chứng trong sổ kết quả, chấm lại theo chính
    bộ tiêu chí của sổ: sổ đã bị sửa tay thì không lập (xem bằng cqtt recheck). Mẫu văn bản kèm
    theo sửa được bằng Word; đặt tệp cùng tên trong thư mục --templates để dùng mẫu của tỉnh.
    """
    from engine.outputs.records.build import Letterhead

    head = Letterhead(issuer=issuer, body=body, place=place, year=year)
    with _errors():
        written = jobs.records(
            source, kind, out_dir, ref, templates, head, list(units) or None, force, one_file
        )
    if one_file and written:
        click.echo(f"Đã ghi các văn bản vào một tệp: {written[0]}")
    else:
        click.echo(f"Đã ghi {len(written)} văn bản vào {out_dir}")


@main.command(
    "sample",
    epilog=example(
        "cqtt sample samples/bac-giang-2024-to-tham-dinh.xlsx --n 10 --seed 2024 -o thuc-dia.xlsx"
    ),
)
@click.argument("results", type=INPUT_PATH)
@click.option("--n", "n", type=int, required=True, help="Số đơn vị cần chọn.")
@click.option("--seed", type=int, required=True, help="Hạt giống để chọn lại đúng như vậy.")
@click.option("--criteria", "ref", help="Bộ tiêu chí, khi khác bộ mà kết quả ghi.")
@click.option("-o", "--output", "xlsx", required=True, type=WORKBOOK_PATH, help="Sổ kiểm tra thực địa.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Danh sách chọn (JSON).")
@click.option("--force", is_flag=True, help="Ghi đè tệp kết quả đã có.")
@db_option("Cơ sở dữ liệu lịch sử: đơn vị lần đầu được đề nghị có trọng số cao hơn.")
def sample(
    results: Path,
    n: int,
    seed: int,
    ref: str | None,
    xlsx: Path,
    json_path: Path | None,
    force: bool,
    db: str | None,
) -> None:
    """Chọn đơn vị để kiểm tra thực địa, theo trọng số rủi ro, lặp lại được với cùng hạt giống.

    Chỉ chọn trong các đơn vị được đề nghị và đủ điều kiện công nhận; đơn vị sát ngưỡng, tự chấm
    cao, có nhóm vừa đủ mức tối thiểu, ít phiếu khảo sát hoặc (với --db) lần đầu được đề nghị có
    trọng số cao hơn.
    """
    with _errors():
        result = jobs.sample(results, ref, n, seed, xlsx, json_path, force, db)
    if result.edited:
        shown = ", ".join(result.edited[:20]) + ("…" if len(result.edited) > 20 else "")
        click.echo(
            f"cảnh báo: {len(result.edited)} đơn vị bị sửa tay sau khi ghi ({shown}); các đơn vị này được "
            "chọn theo kết quả chấm lại từ minh chứng trong sổ, không theo ô đã sửa",
            err=True,
        )
    click.echo(f"Đã chọn {len(result.units)}/{result.population} đơn vị (seed {seed}):")
    for i, u in enumerate(result.units, start=1):
        click.echo(f"  {i:>3}. {u.code:<8} {u.name:<28} trọng số {fmt(u.weight)}")
    written = [str(p) for p in (xlsx, json_path) if p is not None]
    click.echo(f"Đã ghi: {', '.join(written)}")


@main.command(
    "decisions",
    epilog=example(
        "cqtt decisions phuc-tra.xlsx --json quyet-dinh.json",
        "cqtt decisions samples/bac-giang-2023-quyet-dinh.json --db lich-su.sqlite",
        "cqtt decisions quyet-dinh.json --db postgresql://cqtt@may-chu/cqtt",
    ),
)
@click.argument("source", metavar="RECHECK.xlsx|DECISIONS.json", type=INPUT_PATH)
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Tệp JSON ghi các quyết định.")
@db_option("Lưu các quyết định vào cơ sở dữ liệu lịch sử.")
@click.option("--year", type=YEAR, help="Năm đánh giá cho các đơn vị mà sổ phúc tra không ghi năm.")
@click.option("--force", is_flag=True, help="Ghi đè tệp kết quả đã có.")
def decisions(source: Path, json_path: Path | None, db: str | None, year: int | None, force: bool) -> None:
    """Đọc sheet “Quyết định” đã điền của sổ phúc tra (hoặc tệp JSON quyết định), kiểm tra từng
    dòng, ghi ra JSON và/hoặc lưu vào cơ sở dữ liệu lịch sử.

    Nhập lại cùng một tệp không tạo bản ghi mới; quyết định đã đổi được lưu thành bản ghi mới
    thay cho bản ghi cũ (bản ghi cũ vẫn còn để tra cứu).
    """
    if json_path is None and db is None:
        raise click.UsageError("cần --json QUYET-DINH.json hoặc --db (hoặc cả hai)")
    with _errors():
        outcome = jobs.decisions_to_store(source, db, year, json_path, force)
    found = outcome.decisions
    counts: dict[str, int] = {}
    for d in found.decisions:
        counts[d.label] = counts.get(d.label, 0) + 1
    detail = ", ".join(f"{label}: {n}" for label, n in counts.items()) or "chưa có"
    click.echo(
        f"Đã đọc {len(found.decisions)} quyết định ({detail}); {len(found.undecided)} đơn vị chưa quyết định"
    )
    for d in found.decisions:
        if d.contradiction:
            click.echo(f"  cảnh báo: {d.unit} {d.name} — {d.label}: {d.contradiction}; lý do: {d.reason}")
    if db is not None:
        click.echo(
            f"Đã lưu vào {outcome.store}: {outcome.added} mới, {outcome.replaced} thay quyết định trước, "
            f"{outcome.unchanged} không đổi"
        )
    if json_path is not None:
        click.echo(f"Đã ghi: {json_path}")


@main.command(
    "revoke",
    epilog=example(
        "cqtt revoke 07207 --year 2023 --decision-number 45/QĐ-UBND --date 20/03/2024 "
        '--reason "Có điểm nóng về an ninh" --db'
    ),
)
@click.argument("unit")
@click.option("--year", type=YEAR, required=True, help="Năm đánh giá của quyết định công nhận bị thu hồi.")
@click.option("--decision-number", "number", required=True, help="Số quyết định thu hồi.")
@click.option("--date", "date", required=True, help="Ngày quyết định thu hồi (15/12/2024).")
@click.option("--reason", required=True, help="Lý do thu hồi.")
@click.option(
    "--correct",
    is_flag=True,
    help="Ghi lại lần thu hồi đã ghi sai (ngày, số): bản ghi mới thay bản ghi cũ, cả hai được giữ.",
)
@db_option("Cơ sở dữ liệu lịch sử.")
def revoke(unit: str, year: int, number: str, date: str, reason: str, correct: bool, db: str | None) -> None:
    """Ghi quyết định thu hồi công nhận của một đơn vị cho một năm (đơn vị phải đang được công nhận)."""
    with _errors():
        row, label = jobs.revoke(db, unit, year, number, date, reason, correct)
    click.echo(f"Đã ghi thu hồi công nhận năm {year} của đơn vị {unit} (bản ghi {row}) vào {label}")


@main.command(
    "history",
    epilog=example(
        "cqtt history 07243 --db lich-su.sqlite",
        'cqtt history "Xã Lan Mẫu" --db lich-su.sqlite',
        "cqtt history 07243 --db --json",
    ),
)
@click.argument("unit")
@db_option("Cơ sở dữ liệu lịch sử.")
@click.option("--json", "as_json", is_flag=True, help="In lịch sử dạng JSON (cho công cụ khác đọc).")
def history(unit: str, db: str | None, as_json: bool) -> None:
    """Lịch sử của một đơn vị qua các năm: bộ tiêu chí, tổng điểm, kết quả, quyết định, thu hồi,
    và thay đổi so với năm trước (kể cả dưới mã cũ trước khi sáp nhập)."""
    with _errors():
        found = jobs.history(db, unit)
    if as_json:
        click.echo(found.model_dump_json(indent=1))
        return
    click.echo(f"Lịch sử đơn vị {found.unit}{' — ' + found.name if found.name else ''}")
    for link in found.predecessors:
        click.echo(
            f"  hình thành từ {link.code}{' ' + link.name if link.name else ''} (từ {_day(link.effective)})"
        )
    for link in found.successors:
        click.echo(
            f"  đã sáp nhập vào {link.code}{' ' + link.name if link.name else ''} (từ {_day(link.effective)})"
        )
    for y in found.years:
        code = "" if y.code == found.unit else f" [mã {y.code}]"
        if y.total is not None:
            score_text = (
                f"{fmt(y.total)}/{fmt(y.max_total or 0)} điểm, "
                f"{'đủ điều kiện' if y.recognisable else 'chưa đạt'} theo {y.criteria}"
            )
            if y.runs > 1:
                score_text += f" (lần chấm thứ {y.runs})"
            if y.scored_in == "cổng":
                score_text += " (hồ sơ trên cổng)"
        else:
            score_text = "chưa có kết quả chấm trong cơ sở dữ liệu"
        click.echo(f"Năm {y.year if y.year is not None else '?'}{code}: {score_text}")
        if y.recheck is not None:
            r = y.recheck
            team = "-" if r.team_total is None else fmt(r.team_total)
            province = "-" if r.province_total is None else fmt(r.province_total)
            outcome = "đủ điều kiện" if r.province_recognised else "chưa đạt"
            disqualifier = "; có điểm liệt" if r.disqualified else ""
            where = " sau kiểm tra thực địa" if r.field_checked else ""
            click.echo(
                f"  phúc tra của tỉnh{where}: {province} điểm, {outcome}{disqualifier} (điểm của tổ: {team})"
            )
        for earlier in y.replaced:
            click.echo(f"  quyết định trước: {earlier.label}{_decision_ref(earlier)} — đã được thay")
        for a in y.appeals:
            state = {"open": "đang xem xét", "accepted": "tỉnh chấp nhận", "rejected": "tỉnh không chấp nhận"}
            answer = f" — {a.answer}" if a.answer else ""
            when = f"ngày {_day(a.filed_at)} (hạn {_day(a.deadline)})"
            click.echo(f"  kiến nghị của xã {when}: {state[a.state]}{answer}")
        if y.decision is not None:
            d = y.decision
            basis = ""
            if d.basis == "tinh":
                total = "" if d.basis_total is None else f" {fmt(d.basis_total)}"
                basis = f" — theo điểm phúc tra của tỉnh{total}"
            replaces = " — thay quyết định trước" if d.replaces else ""
            click.echo(f"  quyết định: {d.label}{_decision_ref(d)}{basis}{replaces}")
            if d.contradiction:
                click.echo(f"  CẢNH BÁO: quyết định {d.contradiction}; lý do ghi kèm: {d.reason}")
        else:
            click.echo("  quyết định: chưa có")
        if y.withdrawal is not None:
            w = y.withdrawal
            click.echo(f"  THU HỒI công nhận{_decision_ref(w)}")
        if y.blocking and not y.recognisable:
            click.echo(f"  lý do chưa đạt: {'; '.join(y.blocking)}")
        if y.changes:
            click.echo(f"  so với năm trước: {'; '.join(y.changes)}")


def _day(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


def _decision_ref(d: DecisionView) -> str:
    parts = []
    if d.number:
        parts.append(f"số {d.number}")
    if d.date:
        parts.append(f"ngày {_day(d.date)}")
    text = f" ({', '.join(parts)})" if parts else ""
    if d.reason:
        text += f"; lý do: {d.reason}"
    return text


@main.group(
    epilog=example(
        "cqtt survey tally samples/bac-giang-2024-phieu-khao-sat.csv --criteria bac-giang@2024 --year 2024 "
        "-o kiem-dem.xlsx --csv kiem-dem.csv"
    )
)
def survey() -> None:
    """Phiếu khảo sát mức độ hài lòng: kiểm đếm từ phiếu trả lời gốc."""


@survey.command(
    "tally",
    epilog=example(
        "cqtt survey tally samples/bac-giang-2024-phieu-khao-sat.csv --criteria bac-giang@2024 --year 2024 "
        "--units samples/units/bac-giang.csv -o kiem-dem.xlsx --csv kiem-dem.csv",
        "cqtt score samples/bac-giang-2024.xlsx kiem-dem.csv --criteria bac-giang@2024 -o kq-kiem-dem.xlsx",
    ),
)
@click.argument("responses", nargs=-1, required=True, type=INPUT_PATH)
@click.option("--criteria", "ref", required=True, help="Bộ tiêu chí có khai báo mẫu phiếu (`surveys:`).")
@click.option("--year", type=YEAR, help="Năm đánh giá: phiếu trả lời ngoài năm này bị bỏ qua và báo.")
@click.option(
    "--units",
    "units_path",
    type=INPUT_PATH,
    help="Danh sách đơn vị (CSV ma_don_vi, ten_don_vi, ...): mã không có trong danh sách bị báo.",
)
@click.option("-o", "--output", "xlsx", type=WORKBOOK_PATH, help="Sổ kiểm đếm (Excel).")
@click.option(
    "--csv", "csv_path", type=click.Path(path_type=Path), help="Kiểm đếm dạng CSV, để chấm cùng minh chứng."
)
@click.option("--force", is_flag=True, help="Ghi đè tệp kết quả đã có.")
def survey_tally(
    responses: tuple[Path, ...],
    ref: str,
    year: int | None,
    units_path: Path | None,
    xlsx: Path | None,
    csv_path: Path | None,
    force: bool,
) -> None:
    """Kiểm đếm phiếu trả lời gốc (.xlsx, .csv; mỗi dòng một người trả lời) thành số phiếu hài lòng
    và tổng số phiếu của từng đơn vị, từng mẫu phiếu; báo mọi phiếu đáng ngờ kèm tệp, dòng, cột.

    Đưa tệp CSV kiểm đếm vào `cqtt score` cùng tệp minh chứng: số kiểm đếm thay số gõ tay.
    """
    if xlsx is None and csv_path is None:
        raise click.UsageError("cần ít nhất một tệp kết quả: -o KIEM-DEM.xlsx hoặc --csv KIEM-DEM.csv")
    with _errors():
        result = jobs.survey_tally(list(responses), ref, year, units_path, xlsx, csv_path, force)
    for p in result.problems[:SHOWN_PROBLEMS]:
        click.echo(p.format(), err=True)
    if len(result.problems) > SHOWN_PROBLEMS:
        click.echo(
            f"... và {len(result.problems) - SHOWN_PROBLEMS} vấn đề khác (xem sheet “Vấn đề”)", err=True
        )
    kinds: dict[str, int] = {}
    for p in result.problems:
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    click.echo(
        f"Đã kiểm đếm {result.counted}/{result.rows} phiếu trả lời của {len(result.units())} đơn vị, "
        f"{len(result.forms)} mẫu phiếu"
    )
    from engine.outputs.tallybook import KINDS

    for kind, n in kinds.items():
        click.echo(f"  {KINDS.get(kind, kind) + ':':<30}{n}")
    written = [str(p) for p in (xlsx, csv_path) if p is not None]
    click.echo(f"Đã ghi: {', '.join(written)}")


@main.group(epilog=example("cqtt units succession samples/sap-nhap-vi-du-gia-dinh.csv --db"))
def units() -> None:
    """Danh sách đơn vị: sáp nhập, đổi mã."""


@units.command(
    "succession",
    epilog=example(
        "cqtt units succession samples/sap-nhap-vi-du-gia-dinh.csv --db lich-su.sqlite",
        "cqtt units succession --official --province 'Bắc Ninh' --db lich-su.sqlite",
    ),
)
@click.argument("path", type=INPUT_PATH, required=False)
@click.option(
    "--official",
    is_flag=True,
    help="Nạp bảng sắp xếp đơn vị hành chính 01/07/2025 kèm theo cqtt thay cho tệp.",
)
@click.option("--province", metavar="TỈNH", help="Với --official: chỉ các đơn vị mới của một tỉnh.")
@db_option("Cơ sở dữ liệu lịch sử.")
def units_succession(path: Path | None, official: bool, province: str | None, db: str | None) -> None:
    """Nạp tệp sáp nhập (mã mới, mã cũ, ngày hiệu lực) để lịch sử đi theo đơn vị sau sáp nhập.

    Tệp CSV (UTF-8) hoặc .xlsx, mỗi dòng một mã cũ: ma_moi, ten_moi, ma_cu, ten_cu, ngay_hieu_luc;
    hoặc --official: bảng sắp xếp 01/07/2025 của cả nước (hay một tỉnh với --province), đơn vị cũ
    bị chia cho nhiều đơn vị mới có mặt dưới mỗi đơn vị mới, kèm ghi chú.
    """
    if (path is None) == (not official):
        raise click.UsageError("ghi một tệp sáp nhập hoặc --official (không cả hai)")
    if province is not None and not official:
        raise click.UsageError("--province chỉ dùng với --official")
    with _errors():
        added, present, label, strangers = jobs.succession(db, path, official, province)
    if strangers and not official:  # the official table names every old unit of the country
        shown = ", ".join(strangers[:20]) + ("…" if len(strangers) > 20 else "")
        click.echo(
            f"cảnh báo: {len(strangers)} mã chưa có trong {label} (chưa từng được chấm hay nạp danh sách đơn "
            f"vị): {shown}; kiểm tra lại nếu không phải mã mới",
            err=True,
        )
    click.echo(f"Đã nạp {added} dòng sáp nhập vào {label} ({present} dòng đã có từ trước)")


@units.command(
    "load",
    epilog=example(
        "cqtt units load samples/units/bac-giang.csv --year 2024 --criteria bac-giang --db",
        "cqtt units load --official 'Bắc Ninh' --teams samples/units/bac-ninh-2025-to-tham-dinh.csv "
        "--year 2025 --criteria bac-giang@2024 --db",
    ),
)
@click.argument("path", type=INPUT_PATH, required=False)
@click.option(
    "--official",
    metavar="TỈNH",
    help="Nạp danh sách chính thức của một tỉnh sau 01/07/2025 (ví dụ 'Bắc Ninh') thay cho tệp.",
)
@click.option(
    "--teams",
    type=INPUT_PATH,
    help="Với --official: tệp CSV ma_don_vi, nhom_tham_dinh (tổ thẩm định của từng đơn vị).",
)
@click.option("--year", type=YEAR, required=True, help="Năm đánh giá.")
@click.option(
    "--criteria",
    "ref",
    help="Bộ tiêu chí của năm (mã: bản hiệu lực năm đó được chọn). Bỏ trống: giữ bộ đã nạp cho năm.",
)
@db_option("Cơ sở dữ liệu của cổng.")
def units_load(
    path: Path | None,
    official: str | None,
    teams: Path | None,
    year: int,
    ref: str | None,
    db: str | None,
) -> None:
    """Nạp danh sách đơn vị của tỉnh cho một năm (CSV: ma_don_vi, ten_don_vi, nhom_tham_dinh),
    hoặc danh sách chính thức của tỉnh sau 01/07/2025 (--official, tổ thẩm định theo --teams).

    Danh sách là mẫu số của mọi tỷ lệ và mọi danh sách “chưa nộp” trên cổng; nạp lại cho cùng
    năm thì thay danh sách cũ.
    """
    if (path is None) == (official is None):
        raise click.UsageError("ghi một tệp danh sách đơn vị hoặc --official TỈNH (không cả hai)")
    if teams is not None and official is None:
        raise click.UsageError("--teams chỉ dùng với --official")
    with _errors():
        loaded = jobs.units_load(db, path, year, ref, official, teams)
    from engine.era import group_word

    where = f" của {loaded.province}" if loaded.province else ""
    click.echo(
        f"Đã nạp {loaded.units} đơn vị{where} ({loaded.districts} {group_word(loaded.year)}) cho năm "
        f"{loaded.year}, chấm theo {loaded.criteria}"
    )
    if loaded.unassigned:
        shown = ", ".join(loaded.unassigned[:10]) + ("…" if len(loaded.unassigned) > 10 else "")
        click.echo(
            f"cảnh báo: {len(loaded.unassigned)} đơn vị chưa được phân tổ thẩm định: {shown}", err=True
        )
    if loaded.dropped_with_applications:
        shown = ", ".join(loaded.dropped_with_applications[:10])
        click.echo(f"cảnh báo: các đơn vị đã có hồ sơ nhưng không còn trong danh sách: {shown}", err=True)


@main.group(
    epilog=example(
        "cqtt users add quantri --role quan-tri --db",
        "cqtt users add lucnam --role huyen --district 'Huyện Lục Nam' --db",
    )
)
def users() -> None:
    """Tài khoản của cổng (cqtt web): thêm, liệt kê, khóa, cấp lại mật khẩu."""


ROLE_CHOICES = ["xa", "to-tham-dinh", "huyen", "tinh", "chinh-sach", "quan-tri"]
ROLE_ALIASES = {"to-tham-dinh": "huyen"}  # the appraisal team's role; "huyen" still accepted


@users.command("add", epilog=example("cqtt users add xa07207 --role xa --unit 07207 --db"))
@click.argument("login")
@click.option(
    "--role",
    type=click.Choice(ROLE_CHOICES),
    required=True,
    help="Vai trò (to-tham-dinh: tổ thẩm định, trước đây huyen — vẫn nhận).",
)
@click.option("--unit", help="Mã đơn vị (vai trò xa).")
@click.option("--district", help="Tổ thẩm định, hay huyện với các năm trước 2025 (vai trò to-tham-dinh).")
@click.option("--name", help="Họ tên người dùng.")
@click.option("--email", help="Địa chỉ thư nhận thông báo (khi cổng có máy chủ thư).")
@db_option("Cơ sở dữ liệu của cổng.")
def users_add(
    login: str,
    role: str,
    unit: str | None,
    district: str | None,
    name: str | None,
    email: str | None,
    db: str | None,
) -> None:
    """Thêm tài khoản; in mật khẩu dùng một lần (phải đổi ở lần đăng nhập đầu)."""
    role = ROLE_ALIASES.get(role, role)
    with _errors():
        account, password, label = jobs.users_add(db, login, role, unit, district, name, email)
    scope = account.unit_code or account.district or "toàn tỉnh"
    click.echo(f"Đã thêm tài khoản {account.login} ({account.role_label}, {scope}) vào {label}")
    click.echo(f"Mật khẩu dùng một lần: {password}")


@users.command("list", epilog=example("cqtt users list --db"))
@db_option("Cơ sở dữ liệu của cổng.")
def users_list(db: str | None) -> None:
    """Liệt kê tài khoản: vai trò, phạm vi, trạng thái."""
    with _errors():
        listed = jobs.users_list(db)
    for item in listed:
        a = item.account
        state = "đã khóa" if item.disabled else ("chờ đổi mật khẩu" if a.must_change else "đang dùng")
        click.echo(
            terminal_safe(
                f"{a.login:<20} {a.role_label:<24} {a.unit_code or a.district or 'toàn tỉnh':<24} {state}"
            )
        )
    click.echo(f"{len(listed)} tài khoản")


@users.command(
    "team",
    epilog=example(
        "cqtt users add to1 --role huyen --district 'Tổ thẩm định số 1 — cụm Phường Bắc Giang' --db",
        "cqtt users team to1 --year 2025 --team 'Tổ thẩm định số 2 — cụm Xã Tiên Lục' --db",
    ),
)
@click.argument("login")
@click.option("--year", type=YEAR, required=True, help="Năm đánh giá.")
@click.option("--team", required=True, help="Tên tổ thẩm định như trong danh sách đơn vị của năm.")
@db_option("Cơ sở dữ liệu của cổng.")
def users_team(login: str, year: int, team: str, db: str | None) -> None:
    """Giao tài khoản tổ thẩm định cho một tổ trong một năm (mỗi năm một tổ; năm chưa giao: huyện
    hoặc tổ ghi khi tạo tài khoản)."""
    with _errors():
        account = jobs.users_team(db, login, year, team)
    click.echo(f"Tài khoản {account.login} thẩm định năm {year} cho {account.team_in(year)}")


@users.command("disable", epilog=example("cqtt users disable xa07207 --db"))
@click.argument("login")
@db_option("Cơ sở dữ liệu của cổng.")
def users_disable(login: str, db: str | None) -> None:
    """Khóa tài khoản; mọi phiên đăng nhập của tài khoản kết thúc ngay."""
    with _errors():
        account = jobs.users_disable(db, login)
    click.echo(f"Đã khóa tài khoản {account.login}")


@users.command("email", epilog=example("cqtt users email xa07207 vanphong@xa.gov.vn --db"))
@click.argument("login")
@click.argument("email")
@click.option(
    "--digest/--no-digest",
    default=None,
    help="Nhận (hoặc thôi nhận) thư tổng hợp việc cần làm mỗi ngày (cqtt web --mail-digest).",
)
@db_option("Cơ sở dữ liệu của cổng.")
def users_email(login: str, email: str, digest: bool | None, db: str | None) -> None:
    """Đặt địa chỉ thư nhận thông báo của tài khoản (chuỗi rỗng "": không nhận thư)."""
    with _errors():
        account = jobs.users_email(db, login, email, digest)
    daily = {True: "; thư tổng hợp mỗi ngày", False: "; không nhận thư tổng hợp", None: ""}[digest]
    click.echo(f"Thư thông báo của {account.login}: {email.strip().lower() or 'không nhận'}{daily}")


@users.command("enable", epilog=example("cqtt users enable xa07207 --db"))
@click.argument("login")
@db_option("Cơ sở dữ liệu của cổng.")
def users_enable(login: str, db: str | None) -> None:
    """Mở khóa tài khoản đã khóa (mật khẩu giữ nguyên; cấp lại nếu cần)."""
    with _errors():
        account = jobs.users_enable(db, login)
    click.echo(f"Đã mở khóa tài khoản {account.login}")


@users.command("reset-password", epilog=example("cqtt users reset-password xa07207 --db"))
@click.argument("login")
@db_option("Cơ sở dữ liệu của cổng.")
def users_reset_password(login: str, db: str | None) -> None:
    """Cấp mật khẩu dùng một lần mới (phải đổi ở lần đăng nhập đầu); các phiên cũ kết thúc."""
    with _errors():
        password = jobs.users_reset_password(db, login)
    click.echo(f"Mật khẩu dùng một lần của {login}: {password}")


@main.command("audit", epilog=example("cqtt audit --since 01/12/2024 --user lucnam --db"))
@click.option("--since", help="Từ ngày (ví dụ 01/12/2024).")
@click.option("--user", "login", help="Chỉ một tài khoản.")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON (mỗi dòng một bản ghi).")
@db_option("Cơ sở dữ liệu của cổng.")
def audit(since: str | None, login: str | None, as_json: bool, db: str | None) -> None:
    """Đọc nhật ký của cổng: đăng nhập, nộp hồ sơ, sửa giá trị, chuyển trạng thái, tải tệp."""
    import datetime as dt
    import json as json_module

    from engine.clock import shown
    from engine.intake.cells import parse_date

    start = None
    if since is not None:
        try:
            day = parse_date(since)
        except ValueError:
            raise click.BadParameter(
                f"ngày không hợp lệ: {since!r} (ví dụ 01/12/2024)", param_hint="--since"
            ) from None
        start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    with _errors():
        found = jobs.audit_entries(db, start, login.strip().lower() if login else None)
    for e in found:
        if as_json:
            click.echo(terminal_safe(json_module.dumps(e.as_dict(), ensure_ascii=False)))
        else:  # a login, an address or a target typed by anyone: shown, never acted on
            line = f"{shown(e.at)}  {e.login or '-':<16} {e.address:<16} {e.label}: {e.target}"
            click.echo(terminal_safe(line))
    if not as_json:
        click.echo(f"{len(found)} bản ghi")


@main.command(
    "web",
    epilog=example(
        "cqtt web --demo",
        "cqtt web --db postgresql://cqtt@localhost/cqtt --data-dir /srv/cqtt --behind-proxy 1",
    ),
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Địa chỉ lắng nghe.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Cổng.")
@db_option("Cơ sở dữ liệu của cổng (tệp SQLite hoặc URL PostgreSQL).")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    help="Thư mục tệp đính kèm và khóa bí mật (mặc định: thư mục du-lieu cạnh cơ sở dữ liệu mặc định).",
)
@click.option("--demo", is_flag=True, help="Cổng thử nghiệm với dữ liệu mẫu trong một thư mục tạm.")
@click.option(
    "--insecure-cookies",
    is_flag=True,
    help="Cookie không cần HTTPS: chỉ khi thử trên chính máy này (mặc định cookie chỉ gửi qua HTTPS).",
)
@click.option("--behind-proxy", default=0, type=click.IntRange(0, 5), help="Số proxy (TLS) đứng trước cổng.")
@click.option(
    "--upload-limit", default=20, type=click.IntRange(1, 200), help="Giới hạn mỗi tệp tải lên (MB)."
)
@click.option("--issuer", default="", help="Cơ quan ban hành trên văn bản in, ví dụ 'TỈNH BẮC GIANG'.")
@click.option("--place", default="", help="Địa danh trước ngày tháng trên văn bản in, ví dụ 'Bắc Giang'.")
@click.option(
    "--public-url",
    default="",
    help="Địa chỉ người dân mở cổng (trong mã QR của phiếu khảo sát), ví dụ https://khaosat.bacgiang.gov.vn.",
)
@click.option(
    "--smtp",
    default="",
    help="Máy chủ thư của tỉnh để gửi thông báo (MÁY:CỔNG; hoặc CQTT_SMTP); tài khoản, mật khẩu qua "
    "CQTT_SMTP_USER, CQTT_SMTP_PASSWORD, CQTT_SMTP_STARTTLS=1. Không có: chỉ danh sách việc cần làm.",
)
@click.option("--mail-from", default="", help="Địa chỉ gửi thư thông báo (hoặc CQTT_MAIL_FROM).")
@click.option(
    "--mail-digest",
    type=click.IntRange(0, 23),
    help="Giờ mỗi ngày gửi thư tổng hợp việc cần làm cho tài khoản đã chọn nhận (giờ Việt Nam).",
)
@click.option("--threads", default=8, type=click.IntRange(1, 64), help="Số luồng phục vụ mỗi tiến trình.")
@click.option(
    "--processes",
    type=click.IntRange(1, 32),
    help="Số tiến trình phục vụ (Linux; mặc định: số lõi CPU, tối đa 4).",
)
def web(
    host: str,
    port: int,
    db: str | None,
    data_dir: Path | None,
    demo: bool,
    insecure_cookies: bool,
    behind_proxy: int,
    upload_limit: int,
    issuer: str,
    public_url: str,
    place: str,
    smtp: str,
    mail_from: str,
    mail_digest: int | None,
    threads: int,
    processes: int | None,
) -> None:
    """Chạy cổng thông tin: xã nộp hồ sơ, tổ thẩm định xác minh, tỉnh xem tổng hợp.

    Trên máy chủ: đặt sau một proxy có TLS (nginx), dùng PostgreSQL, sao lưu cơ sở dữ liệu và thư
    mục dữ liệu (xem README).
    """
    from engine.portal import demo as demo_module
    from engine.store.connect import default_location
    from web.config import PortalConfig
    from web.server import serve

    with _errors():
        if demo:
            click.echo("Đang dựng cổng thử nghiệm với dữ liệu mẫu…", err=True)
            built = demo_module.build()
            for line in demo_module.describe(built):
                click.echo(line)
            config = PortalConfig(
                db=built.db,
                data_dir=built.data_dir,
                secure_cookies=False,
                demo=True,
                issuer="TỈNH BẮC GIANG (MẪU)",
                place="Bắc Giang",
            )
        else:
            folder = data_dir or Path(
                os.environ.get("CQTT_DATA_DIR") or default_location().parent / "du-lieu"
            )
            config = PortalConfig(
                db=db or None,  # the store resolves CQTT_DB and the default file (its folder made)
                data_dir=folder,
                secure_cookies=not insecure_cookies,
                upload_limit=upload_limit * 1024 * 1024,
                behind_proxy=behind_proxy,
                issuer=issuer,
                place=place,
                public_url=public_url.rstrip("/"),
                smtp=_smtp(smtp, mail_from),
                digest_hour=mail_digest,
            )

        def ready(address: str) -> None:
            click.echo(f"Cổng đang chạy tại {address} (Ctrl-C để dừng)", err=True)

        count = processes or (min(os.cpu_count() or 1, 4) if hasattr(os, "fork") else 1)
        serve(config, host, port, threads, ready, count)


def _smtp(address: str, sender: str) -> Any:
    """The mail server from the options, else from the environment (None: no notifications)."""
    from engine.portal.mail import Smtp

    if not address:
        return Smtp.from_environment()
    return Smtp.parse(
        address,
        sender or os.environ.get("CQTT_MAIL_FROM", ""),
        os.environ.get("CQTT_SMTP_USER", ""),
        os.environ.get("CQTT_SMTP_PASSWORD", ""),
        os.environ.get("CQTT_SMTP_STARTTLS") == "1",
    )


@main.group("db", epilog=example("cqtt db upgrade --db lich-su.sqlite"))
def db_group() -> None:
    """Cơ sở dữ liệu lịch sử (SQLite hoặc PostgreSQL)."""


@db_group.command(
    "grant", epilog=example("cqtt db grant cqtt_cong --db postgresql://cqtt_chu@localhost/cqtt")
)
@click.argument("role")
@db_option("Cơ sở dữ liệu PostgreSQL, kết nối bằng vai trò chủ các bảng.")
def db_grant(role: str, db: str | None) -> None:
    """Cấp cho vai trò đăng nhập của cổng (ROLE) đúng những quyền cổng cần trên PostgreSQL: thêm và
    đọc dòng ở các bảng chỉ-thêm (nhật ký, hồ sơ, điểm, quyết định), không sửa, xóa hay đổi bảng."""
    with _errors():
        appended, others, label = jobs.db_grant(db, role)
    click.echo(
        f"{label}: vai trò {role} được thêm và đọc ở {len(appended)} bảng chỉ-thêm, thêm, sửa, xóa dòng "
        f"ở {len(others)} bảng khác; không đổi hay xóa được bảng"
    )


@db_group.command("upgrade", epilog=example("cqtt db upgrade --db lich-su.sqlite"))
@db_option("Cơ sở dữ liệu cần nâng cấp.")
def db_upgrade(db: str | None) -> None:
    """Nâng cấp lược đồ của một cơ sở dữ liệu do bản cqtt cũ hơn tạo (sao lưu trước khi chạy)."""
    with _errors():
        was, now, label, guarded = jobs.db_upgrade(db)
    if guarded:
        click.echo(f"{label}: đã đặt lại cơ chế chỉ-thêm của các bảng {', '.join(guarded)}", err=True)
    if was == now:
        click.echo(f"{label}: lược đồ đã mới nhất ({now}){'' if guarded else '; không thay đổi gì'}")
    else:
        click.echo(f"{label}: đã nâng cấp lược đồ {was} → {now}")


@main.command(
    "template",
    epilog=example(
        "cqtt template --criteria bac-giang@2024 --units samples/units/bac-giang.csv -o mau-nhap.xlsx"
    ),
)
@click.option("--criteria", "ref", required=True, help="Bộ tiêu chí: đường dẫn hoặc mã.")
@click.option(
    "--units",
    "units_path",
    type=INPUT_PATH,
    help="Danh sách đơn vị (CSV: ma_don_vi, ten_don_vi, nhom_tham_dinh) để điền sẵn.",
)
@click.option("--year", type=YEAR, help="Năm đánh giá (điền sẵn và chọn phiên bản).")
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=WORKBOOK_PATH,
    help="Tệp Excel mẫu nhập cần ghi.",
)
@click.option("--force", is_flag=True, help="Ghi đè tệp đã có.")
def template(ref: str, units_path: Path | None, year: int | None, out: Path, force: bool) -> None:
    """Tạo mẫu Excel nhập minh chứng từ bộ tiêu chí (có danh sách chọn và kiểm tra giá trị)."""
    from engine.intake.units import read_units
    from engine.outputs.output import check_target, write_atomic
    from engine.outputs.template import write_template

    with _errors():
        check_target(out, force, [*([units_path] if units_path else []), *jobs.rule_inputs(ref, year=year)])
        loaded = jobs.load_ref(ref, year)
        units = read_units(units_path) if units_path else []
        write_atomic(out, lambda h: write_template(h, loaded, units, year))
    what = f"{len(units)} đơn vị điền sẵn" if units else "chưa có đơn vị"
    click.echo(f"Đã ghi mẫu nhập {out} cho {loaded.model.ref} ({what})")


if __name__ == "__main__":
    main()
