"""The project's exceptions.

Every error a user can cause carries the place it points at (file, line, key for rule files; file,
sheet, row, column and value for evidence) as attributes, not only as text, so that the CLI, the
rule-test runner and the tests can all use them. Messages are in Vietnamese because officials read
them; attribute names are English.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class CqttError(Exception):
    """Base class of every error the tool reports to a user (the CLI turns it into exit code 1)."""


@dataclass
class RuleIssue:
    """One problem found in a rule file: where it is, what is wrong, and how to fix it."""

    file: str
    line: int | None
    key: str
    message: str
    suggestion: str | None = None
    severity: str = "error"  # "error" or "warning"

    def format(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        label = "lỗi" if self.severity == "error" else "cảnh báo"
        text = f"{where}: {label}: [{self.key}] {self.message}"
        if self.suggestion:
            text += f" — gợi ý: {self.suggestion}"
        return text


@dataclass
class RuleFileError(CqttError):
    """A rule file cannot be used; holds every error found in it, not only the first."""

    file: str
    issues: list[RuleIssue] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.summary())

    @property
    def errors(self) -> list[RuleIssue]:
        return [i for i in self.issues if i.severity == "error"]

    def summary(self) -> str:
        n = len(self.errors)
        first = self.errors[0].format() if self.errors else self.file
        more = f" (và {n - 1} lỗi khác)" if n > 1 else ""
        return f"{first}{more}"

    def __str__(self) -> str:
        return self.summary()


@dataclass
class EvidenceIssue:
    """One problem found in an evidence file, pointing at the cell it came from."""

    file: str
    sheet: str | None
    row: int | None
    column: str | None
    value: object
    message: str
    unit: str | None = None
    kind: str = "problem"  # or "replaced": a typed value replaced by a survey tally (not an error)

    def format(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet “{self.sheet}”")
        if self.row is not None:
            parts.append(f"dòng {self.row}")
        if self.column:
            parts.append(f"cột “{self.column}”")
        where = ", ".join(parts)
        shown = "" if self.value is None else f" giá trị “{self.value}”:"
        return f"{where}:{shown} {self.message}"


class EvidenceFileError(CqttError):
    """An evidence file cannot be read at all (missing, unreadable, no header row...)."""

    def __init__(self, file: str, message: str) -> None:
        self.file = file
        self.message = message
        super().__init__(f"{file}: {message}")


class CriteriaNotFound(CqttError):
    """A criteria reference (path or SET@VERSION) names nothing that exists."""


class EngineError(CqttError):
    """The rules engine failed while scoring: a compiled rule broke, or a limit was hit."""


class OutputError(CqttError):
    """An output file cannot be written (exists without --force, folder missing...)."""
