"""Records people sign, as Word documents made from templates a province can edit in Word
(docxtpl: the template's {{ fields }} and {%tr for %} table rows are filled in).

The bundled templates are made by `make_templates.py` (python-docx) and laid out as Vietnamese
administrative documents: Quốc hiệu and tiêu ngữ, issuing body, number and symbol left to fill,
place and date, title, recipients, signature block, "BẢN MẪU" in the header of every page while the
rule set is a model. A province puts its own template of the same name in a folder it names
(`--data-dir`/mau-van-ban for the portal) and that one is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO

BUNDLED = Path(__file__).parent / "templates"
DECISION_LIST = "danh-sach-cong-nhan.docx"


def template_path(name: str, override: Path | None = None) -> Path:
    """The province's template when it has one, else the bundled one."""
    if override is not None and (override / name).is_file():
        return override / name
    return BUNDLED / name


def render(handle: BinaryIO, template: Path, context: dict[str, Any]) -> None:
    """Fill `template` in; a template a province edited into something unreadable is named, with
    what is wrong in it."""
    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    from engine.errors import CqttError

    try:
        document = DocxTemplate(str(template))
        document.render(context, autoescape=True)
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise CqttError(
            f"{template}: mẫu văn bản không mở được ({type(exc).__name__}); cần tệp Word .docx, "
            "lưu lại bằng Word hoặc LibreOffice Writer"
        ) from None
    except TemplateError as exc:
        raise CqttError(
            f"{template}: mẫu văn bản có trường viết sai ({exc}); mỗi trường viết {{{{ tên_trường }}}}, "
            f"so với mẫu kèm theo {BUNDLED / template.name}"
        ) from None
    document.save(handle)
