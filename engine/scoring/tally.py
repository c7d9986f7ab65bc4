"""Count raw survey responses into per-unit tallies, and say what a reviewer needs to trust them.

Whether one respondent is "satisfied" is the form's `satisfied` rule, compiled like every other rule
and evaluated by durable_rules (each distinct set of answers once: respondents repeat themselves).
A response is left out of the counts, and reported, when its unit is unknown, it falls outside the
assessment year, or its respondent already answered that form; a burst of identical answers in a
short time and a unit below a criterion's minimum of respondents are reported, not removed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from engine.intake.responses import ONLINE, Problem, ReadResponses, Response
from engine.rules.compiler import compile_surveys, survey_rule
from engine.rules.loader import LoadedCriteria
from engine.rules.model import SurveyForm
from engine.scoring import rete


@dataclass
class FormTally:
    unit: str
    form: str
    satisfied: int = 0
    total: int = 0
    levels: dict[str, list[int]] = field(default_factory=dict)  # question -> count per level

    @property
    def text(self) -> str:
        return f"{self.satisfied}/{self.total}"


@dataclass
class TallyResult:
    criteria: dict[str, str]
    forms: list[SurveyForm]
    tallies: dict[tuple[str, str], FormTally]  # (unit, form id)
    problems: list[Problem]
    names: dict[str, str]  # unit code -> name, when a units list was given
    rows: int = 0
    counted: int = 0
    model: bool = False  # the rule set is a model (status: model)

    def units(self) -> list[str]:
        return sorted({u for u, _ in self.tallies} | set(self.names))


def tally(
    read: ReadResponses,
    loaded: LoadedCriteria,
    year: int | None = None,
    names: dict[str, str] | None = None,
) -> TallyResult:
    cs = loaded.model
    compiled = compile_surveys(cs, loaded.sha256)
    rete.register(compiled)
    plans = {p.name.rsplit(".", 2)[-2]: p for p in compiled.evidence}
    problems = list(read.problems)
    known = names or {}
    decided: dict[tuple[str, tuple[tuple[str, int], ...]], bool] = {}

    def satisfied(r: Response) -> bool:
        key = (r.form.id, tuple(sorted(r.answers.items())))
        if key not in decided:
            fired = rete.run(plans[r.form.id], dict(r.answers))
            decided[key] = survey_rule(r.form.id) in fired
        return decided[key]

    def report(r: Response, kind: str, message: str, column: str | None = None, value: object = None) -> None:
        problems.append(Problem(kind, message, r.file, r.sheet, r.row, column, value, r.unit, r.form.id))

    kept: list[Response] = []
    in_scope: list[Response] = []  # known unit, in the year: what bursts are looked for in
    seen: dict[tuple[str, str], Response] = {}
    for r in sorted(read.responses, key=lambda x: (x.file, x.sheet or "", x.row)):
        if known and r.unit not in known:
            report(
                r,
                "unknown_unit",
                "mã đơn vị không có trong danh sách đơn vị; phiếu bị bỏ qua",
                "Mã đơn vị",
                r.unit,
            )
            continue
        if year is not None and r.time is not None and r.time.year != year:
            report(
                r,
                "outside_year",
                f"trả lời ngày {r.time:%d/%m/%Y}, ngoài năm đánh giá {year}; phiếu bị bỏ qua",
                "Thời điểm",
                f"{r.time:%d/%m/%Y %H:%M}",
            )
            continue
        in_scope.append(r)
        if r.respondent is not None:
            first = seen.get((r.form.id, r.respondent))
            if first is not None:
                what = "mã người trả lời" if r.respondent.startswith("ma:") else "số điện thoại hoặc email"
                report(
                    r,
                    "duplicate",
                    f"trùng {what} với {_where(first)} (cùng mẫu phiếu {r.form.id}); phiếu bị bỏ qua",
                )
                continue
            seen[(r.form.id, r.respondent)] = r
        kept.append(r)
    tallies: dict[tuple[str, str], FormTally] = {}
    for r in kept:
        t = tallies.setdefault(
            (r.unit, r.form.id),
            FormTally(r.unit, r.form.id, levels={q.id: [0] * len(r.form.levels) for q in r.form.questions}),
        )
        t.total += 1
        t.satisfied += satisfied(r)
        for q, level in r.answers.items():
            t.levels[q][level - 1] += 1
    problems += _bursts(in_scope)
    problems += _below_minimum(loaded, tallies, set(known) or {u for u, _ in tallies})
    return TallyResult(
        criteria={"criteria": cs.id, "version": cs.version, "sha256": loaded.sha256},
        forms=list(cs.surveys),
        tallies=tallies,
        problems=problems,
        names=dict(known),
        rows=read.rows,
        counted=len(kept),
        model=cs.status == "model",
    )


def _where(r: Response) -> str:
    if r.file == ONLINE:
        return f"phiếu số {r.row}"
    return f"dòng {r.row}" + (f" sheet “{r.sheet}”" if r.sheet else "")


def _bursts(kept: list[Response]) -> list[Problem]:
    """Runs of identical answers for one unit and form within the form's burst window."""
    groups: dict[tuple[str, str, tuple[tuple[str, int], ...]], list[Response]] = defaultdict(list)
    for r in kept:
        if r.time is not None:
            groups[(r.unit, r.form.id, tuple(sorted(r.answers.items())))].append(r)
    found = []
    for (unit, form_id, _), rows in sorted(groups.items()):
        form = rows[0].form
        rows.sort(key=lambda r: (r.time, r.row))
        start, best = 0, (0, 0)
        for end in range(len(rows)):
            while (rows[end].time - rows[start].time).total_seconds() > form.burst.minutes * 60:  # type: ignore[operator]
                start += 1
            if end - start + 1 > best[1] - best[0]:
                best = (start, end + 1)
        if best[1] - best[0] >= form.burst.count:
            burst = rows[best[0] : best[1]]
            first, last = burst[0], burst[-1]
            found.append(
                Problem(
                    "burst",
                    f"{len(burst)} phiếu giống hệt nhau trong {_minutes(first, last)} phút "
                    f"({first.time:%d/%m/%Y %H:%M}–{last.time:%H:%M}), "
                    + ("phiếu số " if first.file == ONLINE else "dòng ")
                    + ", ".join(str(r.row) for r in burst[:10])
                    + ("…" if len(burst) > 10 else "")
                    + "; cần xác minh",
                    first.file,
                    first.sheet,
                    first.row,
                    None,
                    None,
                    unit,
                    form_id,
                )
            )
    return found


def _minutes(first: Response, last: Response) -> str:
    seconds = (last.time - first.time).total_seconds()  # type: ignore[operator]
    return f"{seconds / 60:.0f}"


def _below_minimum(
    loaded: LoadedCriteria, tallies: dict[tuple[str, str], FormTally], units: set[str]
) -> list[Problem]:
    from scorers.survey import SurveyMethod

    cs = loaded.model
    form_of = {f.evidence: f.id for f in cs.surveys}
    found = []
    for _, c in cs.criteria():
        if not isinstance(c.method, SurveyMethod) or not c.method.min_respondents:
            continue
        forms = [form_of[e] for e in c.method.evidence if e in form_of]
        if len(forms) != len(c.method.evidence):
            continue  # some of its tallies are not counted from responses
        for unit in sorted(units):
            total = sum(tallies[(unit, f)].total for f in forms if (unit, f) in tallies)
            if total < c.method.min_respondents:
                found.append(
                    Problem(
                        "below_minimum",
                        f"tiêu chí “{c.title}” cần tối thiểu {c.method.min_respondents} phiếu "
                        f"({', '.join(forms)}), có {total}",
                        unit=unit,
                        form=", ".join(forms),
                    )
                )
    return found
