"""Read YAML with `yaml.safe_load` semantics while keeping the line of every key.

Policy staff edit rule files by hand; an error that says "line 42, key groups[1].criteria[3].points"
is one they can act on. PyYAML's safe loader forgets positions once it has built Python objects, so
we compose the node tree with the safe loader, build the data from it ourselves and record the line
of every mapping key and sequence item. Duplicate keys, which PyYAML silently overwrites, are
reported: in a rule file they are always a mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.errors import RuleFileError, RuleIssue

Path_ = tuple[str | int, ...]


@dataclass
class LoadedYaml:
    """A YAML document and the line (1-based) of every key path in it."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    duplicates: list[tuple[Path_, int]] = field(default_factory=list)

    def line_of(self, path: Path_) -> int | None:
        """Line of the deepest known prefix of `path` (a pydantic `loc` may go below the YAML)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def format_path(path: Path_) -> str:
    """`("groups", 2, "criteria", 0)` -> `groups[2].criteria[0]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(gốc)"


def _build(node: yaml.Node, path: Path_, out: LoadedYaml, constructor: yaml.SafeLoader) -> Any:
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if isinstance(key, (list, dict)):
                key = str(key)
            child = (*path, key)
            line = key_node.start_mark.line + 1
            if key in result:
                out.duplicates.append((child, line))
            out.lines[child] = line
            result[key] = _build(value_node, child, out, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            out.lines[child] = item.start_mark.line + 1
            items.append(_build(item, child, out, constructor))
        return items
    return constructor.construct_object(node, deep=True)


def parse_yaml(text: str, file: str) -> LoadedYaml:
    """Parse one YAML document; raise `RuleFileError` with the line of a syntax error."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        out = LoadedYaml(data=None)
        if node is not None:
            out.lines[()] = node.start_mark.line + 1
            out.data = _build(node, (), out, loader)
        return out
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or str(exc)
        raise RuleFileError(
            file,
            [
                RuleIssue(
                    file,
                    line,
                    "(cú pháp YAML)",
                    f"tệp YAML không đọc được: {problem}",
                    "kiểm tra thụt lề (dùng dấu cách, không dùng tab) và dấu “:” sau mỗi khóa",
                )
            ],
        ) from None
    except yaml.YAMLError as exc:
        raise RuleFileError(
            file, [RuleIssue(file, None, "(cú pháp YAML)", f"tệp YAML không đọc được: {exc}")]
        ) from None
    finally:
        loader.dispose()


def read_yaml(path: Path) -> LoadedYaml:
    """Read a YAML file as UTF-8; an unreadable file is a `RuleFileError` naming it."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleFileError(str(path), [RuleIssue(str(path), None, "(tệp)", "không tìm thấy tệp")]) from None
    except UnicodeDecodeError as exc:
        raise RuleFileError(
            str(path),
            [
                RuleIssue(
                    str(path),
                    None,
                    "(tệp)",
                    f"tệp không phải UTF-8 ({exc.reason})",
                    "lưu lại tệp với mã hóa UTF-8",
                )
            ],
        ) from None
    except OSError as exc:
        raise RuleFileError(
            str(path), [RuleIssue(str(path), None, "(tệp)", f"không đọc được tệp: {exc.strerror}")]
        ) from None
    return parse_yaml(text, str(path))
