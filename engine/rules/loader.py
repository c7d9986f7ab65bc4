"""Load a rule file: YAML with line numbers -> strict model -> whole-file checks.

Every problem found is collected, not only the first, and each one names the file, the line and
the key path, says in Vietnamese what is wrong and, where it can, how to fix it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.errors import RuleFileError, RuleIssue
from engine.rules.model import CriteriaSet
from engine.rules.modelpath import walk
from engine.rules.yamlfile import LoadedYaml, format_path, parse_yaml, read_rule_bytes
from engine.suggest import did_you_mean, slug


@dataclass
class LoadedCriteria:
    """A valid criteria set, where it came from, and the warnings its checks raised."""

    model: CriteriaSet
    path: Path
    sha256: str
    yaml: LoadedYaml
    warnings: list[RuleIssue] = field(default_factory=list)


_TYPE_WORDS = {
    "float_type": "cần một số",
    "float_parsing": "cần một số",
    "int_type": "cần một số nguyên",
    "int_parsing": "cần một số nguyên",
    "int_from_float": "cần một số nguyên",
    "bool_type": "cần true hoặc false",
    "bool_parsing": "cần true hoặc false",
    "string_type": "cần một chuỗi văn bản",
    "list_type": "cần một danh sách (các dòng bắt đầu bằng “- ”)",
    "model_type": "cần một bảng các khóa: giá trị",
    "model_attributes_type": "cần một bảng các khóa: giá trị",
    "dict_type": "cần một bảng các khóa: giá trị",
    "date_type": "cần một ngày dạng 2024-01-31",
    "date_parsing": "cần một ngày dạng 2024-01-31",
    "date_from_datetime_parsing": "cần một ngày dạng 2024-01-31",
    "date_from_datetime_inexact": "cần một ngày dạng 2024-01-31",
}


_TYPE_HINTS = {
    "float_type": "ví dụ `points: 5` hoặc `min: 95.5` (dấu chấm thập phân trong YAML)",
    "float_parsing": "ví dụ `points: 5` hoặc `min: 95.5` (dấu chấm thập phân trong YAML)",
    "int_type": "ghi số nguyên, ví dụ `min_respondents: 30`",
    "int_parsing": "ghi số nguyên, ví dụ `min_respondents: 30`",
    "int_from_float": "ghi số nguyên, ví dụ `min_respondents: 30`",
    "bool_type": "ghi `true` hoặc `false`",
    "bool_parsing": "ghi `true` hoặc `false`",
    "string_type": "đặt văn bản trong ngoặc kép nếu nó bắt đầu bằng số hoặc ký tự đặc biệt",
    "date_type": "ghi ngày dạng `2024-01-31`",
    "date_parsing": "ghi ngày dạng `2024-01-31`",
    "date_from_datetime_parsing": "ghi ngày dạng `2024-01-31`",
}


def _issue_from_pydantic(file: str, loaded: LoadedYaml, err: Any) -> RuleIssue:
    loc = tuple(err["loc"])
    path, allowed = walk(CriteriaSet, loc)
    line = loaded.line_of(path)
    key = format_path(path)
    kind = err["type"]
    value = err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "union_tag_invalid" and loaded.lines.get((*path, "type")) is not None:
        path = (*path, "type")  # point at the `type:` line, not at `method:`
        line, key = loaded.lines[path], format_path(path)
    last = path[-1] if path else ""
    suggestion: str | None = None
    if kind == "extra_forbidden":
        message = f"khóa “{last}” không được phép ở đây"
        suggestion = did_you_mean(str(last), [a for a in allowed or [] if a != last])
    elif kind == "missing":
        message = f"thiếu khóa bắt buộc “{last}”"
        suggestion = f"thêm dòng `{last}: ...` vào mục {format_path(path[:-1])}"
        parent = loaded.line_of(path[:-1])
        line = parent if parent is not None else line
    elif kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        message = f"giá trị “{value}” không hợp lệ; chỉ nhận {expected}"
        options = [o.strip().strip("'") for o in str(expected).replace(" or ", ",").split(",")]
        suggestion = did_you_mean(str(value), [o for o in options if o])
    elif kind == "union_tag_invalid":
        tags = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        message = f"phương pháp chấm “{ctx.get('tag')}” không có"
        suggestion = did_you_mean(str(ctx.get("tag")), tags)
    elif kind == "union_tag_not_found":
        message = f"thiếu khóa “{ctx.get('discriminator', 'type').strip(chr(39))}”"
        suggestion = "ghi `type:` là một trong: " + ", ".join(sorted(_method_names()))
    elif kind == "string_pattern_mismatch":
        if last == "version" or last == "supersedes":
            message = f"phiên bản “{value}” không hợp lệ"
            suggestion = "viết dạng năm hoặc năm.số, ví dụ `2024` hoặc `2024.1` (đặt trong ngoặc kép)"
        elif path == ("id",):
            message = f"mã bộ tiêu chí “{value}” không hợp lệ"
            example = slug(str(value)).replace("_", "-")
            suggestion = f"dùng chữ thường không dấu, số và “-”, ví dụ `{example}`"
        else:
            message = (
                f"mã “{value}” không hợp lệ (chỉ chữ thường không dấu, số và “_”, bắt đầu "
                "bằng chữ, không có “__”, không dùng `id`/`sid`)"
            )
            suggestion = f"ví dụ `{slug(str(value))}`" if isinstance(value, str) else None
    elif kind in _TYPE_WORDS:
        message = f"{_TYPE_WORDS[kind]}, nhận được “{value}”"
        suggestion = _TYPE_HINTS.get(kind)
    elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        symbol = {"greater_than": ">", "greater_than_equal": "≥", "less_than": "<", "less_than_equal": "≤"}[
            kind
        ]
        bound = next(iter(ctx.values()), "")
        message = f"giá trị {value} phải {symbol} {bound}"
    elif kind == "finite_number":
        message = f"“{value}” không phải một số dùng được (vô cực hoặc NaN)"
        suggestion = "ghi một số bình thường, ví dụ 20"
    elif kind == "too_short":
        message = "danh sách không được để trống"
        suggestion = "thêm ít nhất một mục, mỗi mục một dòng bắt đầu bằng “- ”"
    elif kind == "value_error":
        message = str(ctx.get("error", err["msg"]))
    else:
        message = err["msg"]
    return RuleIssue(file, line, key, message, suggestion)


def _method_names() -> list[str]:
    import scorers

    return list(scorers.REGISTRY.scorers)


def parse_criteria(text: str, file: str) -> LoadedCriteria:
    """Parse and check rule-file text; raise `RuleFileError` holding every problem found."""
    from engine.rules.checks import check_criteria

    try:
        loaded = parse_yaml(text, file)
    except RecursionError:
        raise RuleFileError(
            file,
            [
                RuleIssue(
                    file,
                    1,
                    "(gốc)",
                    "nội dung lồng quá sâu (hàng nghìn tầng [ hoặc {)",
                    "tệp tiêu chí chỉ cần vài tầng: nhóm, tiêu chí, cách chấm; xem các tệp mẫu",
                )
            ],  # fmt: skip
        ) from None
    issues: list[RuleIssue] = [
        RuleIssue(
            file,
            line,
            format_path(p),
            f"khóa “{p[-1]}” xuất hiện hai lần",
            "xóa một trong hai; YAML chỉ giữ giá trị sau cùng",
        )
        for p, line in loaded.duplicates
    ]
    if not isinstance(loaded.data, dict):
        what = "tệp rỗng" if loaded.data is None else "nội dung gốc phải là một bảng các khóa"
        issues.append(
            RuleIssue(
                file,
                loaded.line_of(()),
                "(gốc)",
                what,
                "bắt đầu bằng `id:`, `title:`, `version:`... như các tệp mẫu",
            )
        )
        raise RuleFileError(file, issues)
    try:
        model = CriteriaSet.model_validate(loaded.data)
    except ValidationError as exc:
        issues.extend(_issue_from_pydantic(file, loaded, e) for e in exc.errors())
        raise RuleFileError(file, _dedupe(issues)) from None
    issues.extend(check_criteria(model, file, loaded))
    if any(i.severity == "error" for i in issues):
        raise RuleFileError(file, issues)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedCriteria(model, Path(file), sha, loaded, issues)


def load_criteria(path: Path, notify: bool = True) -> LoadedCriteria:
    """Read a rule file from disk (UTF-8), keeping the exact bytes' hash for provenance."""
    raw, text = read_rule_bytes(path)
    loaded = parse_criteria(text, str(path))
    loaded.sha256 = hashlib.sha256(raw).hexdigest()
    if notify:  # who hears which rule file a command uses (the CLI says it, once per file)
        from engine.rules.registered import listeners

        for listener in listeners:
            listener(loaded)
    return loaded


def _dedupe(issues: list[RuleIssue]) -> list[RuleIssue]:
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for issue in issues:
        key = (issue.line, issue.key, issue.message)
        if key not in seen:
            seen.add(key)
            kept.append(issue)
    return kept


def load_ref(ref: str, year: int | None = None, notify: bool = True) -> LoadedCriteria:
    """The set a reference names: a path, `id@version`, or `id` with the year in force."""
    from engine.rules import catalog

    return load_criteria(catalog.resolve(ref, year), notify)
