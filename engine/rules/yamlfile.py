"""Read YAML with `yaml.safe_load` semantics while keeping the line of every key.

Policy staff edit rule files by hand; an error that says "line 42, key groups[1].criteria[3].points"
is one they can act on. PyYAML's safe loader forgets positions once it has built Python objects, so
we compose the node tree with the safe loader, build the data from it ourselves and record the line
of every mapping key and sequence item. Duplicate keys, which PyYAML silently overwrites, are
reported: in a rule file they are always a mistake.
"""

from __future__ import annotations

import math
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


_STANDARD_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("map", "seq", "str", "int", "float", "bool", "null", "timestamp", "binary", "set", "omap")
}


def _refuse(file: str, node: yaml.Node, path: Path_, message: str, hint: str) -> RuleFileError:
    key = format_path(path)
    return RuleFileError(file, [RuleIssue(file, node.start_mark.line + 1, key, message, hint)])


def _build(
    node: yaml.Node, path: Path_, out: LoadedYaml, constructor: yaml.SafeLoader, file: str = ""
) -> Any:
    if node.tag not in _STANDARD_TAGS:
        raise _refuse(
            file,
            node,
            path,
            f"thẻ YAML “{node.tag.replace('tag:yaml.org,2002:', '!!')}” không được dùng trong tệp tiêu chí",
            "bỏ thẻ; tệp tiêu chí chỉ chứa văn bản, số, Có/Không, danh sách và bảng khóa",
        )
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
            result[key] = _build(value_node, child, out, constructor, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            child = (*path, index)
            out.lines[child] = item.start_mark.line + 1
            items.append(_build(item, child, out, constructor, file))
        return items
    value = constructor.construct_object(node, deep=True)
    if isinstance(value, float) and not math.isfinite(value):
        raise _refuse(
            file,
            node,
            path,
            f"“{node.value}” không phải một số dùng được (vô cực hoặc NaN)",
            "ghi một số bình thường, ví dụ 20",
        )
    return value


# A rule file has a few thousand nodes; anchors and aliases (&a, *a) may reuse parts of it, but a
# file whose aliases expand past this many nodes is an "alias bomb" and is refused before it is built.
MAX_EXPANDED_NODES = 100_000
LIMIT_TEXT = f"{MAX_EXPANDED_NODES:_}".replace("_", ".")


def oversized(node: yaml.Node) -> yaml.Node | None:
    """The smallest part of a document that alone expands past MAX_EXPANDED_NODES (aliases counted
    every time they are used, each node measured once), or None when the document is within it."""
    sizes: dict[int, int] = {}
    worst: list[yaml.Node] = []

    def size(n: yaml.Node) -> int:
        known = sizes.get(id(n))
        if known is not None:
            return known
        sizes[id(n)] = 1  # a recursive alias (a node inside itself) counts once
        if isinstance(n, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in n.value)
        elif isinstance(n, yaml.SequenceNode):
            total = 1 + sum(size(item) for item in n.value)
        else:
            total = 1
        sizes[id(n)] = total
        if total > MAX_EXPANDED_NODES and not worst:
            worst.append(n)
        return total

    if size(node) > MAX_EXPANDED_NODES:
        return worst[0] if worst else node
    return None


def _check_expansion(node: yaml.Node, file: str) -> None:
    where = oversized(node)
    if where is not None:
        raise RuleFileError(
            file,
            [
                RuleIssue(
                    file,
                    where.start_mark.line + 1,
                    "(neo và bí danh YAML)",
                    f"các bí danh (*tên) ở đây mở rộng thành hơn {LIMIT_TEXT} nút",
                    "tệp tiêu chí không cần lồng bí danh nhiều tầng; viết thẳng nội dung thay cho *tên",
                )
            ],
        )


def parse_yaml(text: str, file: str) -> LoadedYaml:
    """Parse one YAML document; raise `RuleFileError` with the line of a syntax error."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        out = LoadedYaml(data=None)
        if node is not None:
            _check_expansion(node, file)
            out.lines[()] = node.start_mark.line + 1
            out.data = _build(node, (), out, loader, file)
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


def read_rule_bytes(path: Path) -> tuple[bytes, str]:
    """A rule file's exact bytes (for its hash) and its UTF-8 text; an unreadable file is a
    `RuleFileError` naming it."""

    def refuse(message: str, hint: str | None = None) -> RuleFileError:
        return RuleFileError(str(path), [RuleIssue(str(path), None, "(tệp)", message, hint)])

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise refuse("không tìm thấy tệp") from None
    except OSError as exc:
        raise refuse(f"không đọc được tệp: {exc.strerror}") from None
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(f"tệp không phải UTF-8 ({exc.reason})", "lưu lại tệp với mã hóa UTF-8") from None


def read_yaml(path: Path) -> LoadedYaml:
    """Read a YAML file as UTF-8; an unreadable file is a `RuleFileError` naming it."""
    return parse_yaml(read_rule_bytes(path)[1], str(path))
