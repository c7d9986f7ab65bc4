"""The rule sets: those in force (read only), and a policy officer's draft checked and tried."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from engine.errors import CqttError
from engine.portal import audit
from engine.portal.drafts import MAX_DRAFT, check_draft, default_evidence_year, evidence_years
from engine.portal.units import years
from engine.rules import catalog
from engine.rules.loader import load_ref
from web.access import guard
from web.security import client_address
from web.views.common import me, store

bp = Blueprint("rules", __name__)


@bp.route("/bo-tieu-chi")
@guard("rules.view")
def listing() -> object:
    in_use = {y.criteria_ref: y.year for y in years(store())}
    return render_template("rules.html", entries=catalog.entries(), in_use=in_use)


@bp.route("/bo-tieu-chi/<ref>")
@guard("rules.view")
def show(ref: str) -> object:
    if ref not in {f"{e.set_id}@{e.version}" for e in catalog.entries()}:
        abort(404)
    loaded = load_ref(ref)
    return render_template("rule_set.html", cs=loaded.model, loaded=loaded)


@bp.route("/bo-tieu-chi/ban-nhap", methods=["GET", "POST"])
@guard("rules.draft")
def draft() -> object:
    result = None
    found = evidence_years(store())
    chosen = default_evidence_year(found)
    if request.method == "POST":
        raw = str(request.form.get("evidence_year", "")).strip()
        if raw:
            if not raw.isdigit() or int(raw) not in {e.year for e in found}:
                flash("Chọn một năm có hồ sơ đã chấm để thử bản nháp.", "error")
                return redirect(url_for("rules.draft"))
            chosen = int(raw)
        sent = request.files.get("file")
        if sent is None or not sent.filename:
            flash("Chọn tệp tiêu chí (.yaml) để kiểm tra.", "error")
            return redirect(url_for("rules.draft"))
        data = sent.stream.read(MAX_DRAFT + 1)
        try:
            result = check_draft(store(), data, sent.filename, chosen)
        except CqttError as exc:
            flash(str(exc), "error")
            return redirect(url_for("rules.draft"))
        audit.log(
            store(), me(), client_address(), "rules_draft_checked", result.name,
            errors=len(result.errors), ref=result.ref,
        )  # fmt: skip
    return render_template("draft.html", result=result, evidence_years=found, chosen=chosen)
