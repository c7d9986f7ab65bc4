"""In a real Chromium against the portal served on loopback: the verify page worked with the
keyboard alone (the skip link first, the commune's file opened in the page beside the document it
supports, a value corrected with its reason and saved with Enter), and the text of the pages each
role works on measured for contrast (WCAG AA) as the browser draws it."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import pytest
from browser_helpers import Served, browser_or_skip, chromium, login, new_page, start, stop
from portal_helpers import DISTRICT, PASSWORD, YEAR, full_unit_values, make_portal, post, submit_dossier

from engine.portal import dossiers


def png(width: int = 40, height: int = 30) -> bytes:
    """A real PNG image (a plain red picture), as a commune's scanned page would be."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xc0\x20\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A commune that submitted with a scan of its report attached to the document it is."""
    browser_or_skip()
    folder = tmp_path_factory.mktemp("ban-phim")
    portal = make_portal(str(folder / "cong.sqlite"), folder)
    xa = portal.client("xa")
    sent = post(
        xa,
        f"/nam/{YEAR}/don-vi/{portal.unit}/tep",
        {"slot": "doc:to_trinh", "file": (io.BytesIO(png()), "to-trinh-scan.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Đã đính kèm" in sent.text
    submitted = submit_dossier(xa, portal.unit, full_unit_values())
    assert submitted.status_code in (200, 302), submitted.text[:1000]
    portal.close()
    process, url = start(str(folder / "cong.sqlite"), folder / "du-lieu")
    try:
        yield Served(url, str(folder / "cong.sqlite"), process, portal.unit, "")
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[object]:
    with chromium() as launched:
        yield launched


def _focused(page: object) -> dict[str, str]:
    return page.evaluate(  # type: ignore[attr-defined,no-any-return]
        """() => { const e = document.activeElement; return {tag: e.tagName.toLowerCase(),
        name: e.getAttribute('name') || '', text: (e.innerText || '').trim(), id: e.id || '',
        href: e.getAttribute('href') || '', target: e.getAttribute('target') || ''}; }"""
    )


def _tab_to(page: object, wanted: object, limit: int = 400) -> list[dict[str, str]]:
    """Press Tab until `wanted(focused)` holds; the elements passed on the way."""
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")  # type: ignore[attr-defined]
        now = _focused(page)
        passed.append(now)
        if wanted(now):  # type: ignore[operator]
            return passed
    raise AssertionError(f"not reached by Tab: last {passed[-5:]}")


def test_the_verify_page_by_keyboard_alone(served: Served, browser: object) -> None:
    page = new_page(browser)
    login(page, served.url, "lucnam", PASSWORD)
    verify = f"{served.url}/nam/{YEAR}/don-vi/{served.commune}/tham-dinh"
    page.goto(verify)  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text().startswith("Xác minh minh chứng")  # type: ignore[attr-defined]
    first = _tab_to(page, lambda f: True)
    assert first[-1]["text"] == "Bỏ qua, đến nội dung chính"  # the skip link comes first
    # the file beside the document it supports opens in the page, by Enter on its name
    _tab_to(page, lambda f: f["target"] == "xem-tep" and f["text"] == "to-trinh-scan.png")
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    frame = page.frame(name="xem-tep")  # type: ignore[attr-defined]
    assert frame is not None
    frame.wait_for_load_state()
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => { const f = document.getElementById('xem-tep'); return f.contentDocument &&"
        " f.contentDocument.images.length && f.contentDocument.images[0].naturalWidth === 40; }"
    )
    assert frame.url.endswith("/xem") and page.url == verify  # type: ignore[attr-defined]
    # still on the verify page: a value corrected and its reason, then Enter saves
    _tab_to(page, lambda f: f["name"] == "so_hoi_nghi_doi_thoai")
    page.keyboard.press("Control+A")  # type: ignore[attr-defined]
    page.keyboard.type("1")  # type: ignore[attr-defined]
    _tab_to(page, lambda f: f["name"] == "ly_do__so_hoi_nghi_doi_thoai", limit=5)
    page.keyboard.type("Biên bản chỉ có một hội nghị đối thoại")  # type: ignore[attr-defined]
    page.keyboard.press("Enter")  # type: ignore[attr-defined]
    page.wait_for_url(f"**/don-vi/{served.commune}")  # type: ignore[attr-defined]
    assert "Đã lưu kết quả xác minh" in page.locator(".flash").first.inner_text()  # type: ignore[attr-defined]
    from engine.store.connect import open_store

    store = open_store(served.db)
    try:
        d = dossiers.dossier(store, YEAR, served.commune)
        verified = dossiers.latest(dossiers.versions(store, d.id), "verified")  # type: ignore[union-attr]
        assert verified is not None and verified.data["so_hoi_nghi_doi_thoai"] == "1"
        assert verified.notes["so_hoi_nghi_doi_thoai"] == "Biên bản chỉ có một hội nghị đối thoại"
    finally:
        store.close()


CONTRAST = """() => {
  const lum = (c) => {
    const v = c / 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  const rgba = (s) => { const m = s.match(/[\\d.]+/g).map(Number); return m.length === 3 ? [...m, 1] : m; };
  const over = (top, under) => top.slice(0, 3).map((c, i) => c * top[3] + under[i] * (1 - top[3]));
  const background = (e) => {
    const layers = [];
    for (let n = e; n; n = n.parentElement) {
      const b = rgba(getComputedStyle(n).backgroundColor);
      if (b[3] > 0) layers.push(b);
      if (b[3] >= 1) break;
    }
    let color = [255, 255, 255];
    for (const b of layers.reverse()) color = over(b, color);
    return color;
  };
  const ratio = (a, b) => { const la = 0.2126 * lum(a[0]) + 0.7152 * lum(a[1]) + 0.0722 * lum(a[2]);
    const lb = 0.2126 * lum(b[0]) + 0.7152 * lum(b[1]) + 0.0722 * lum(b[2]);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05); };
  const failures = [];
  for (const e of document.body.querySelectorAll('*')) {
    const own = [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const box = e.getBoundingClientRect(); const s = getComputedStyle(e);
    if (!box.width || !box.height || s.visibility === 'hidden' || s.display === 'none') continue;
    if (e.closest('.visually-hidden, .skip-link')) continue;
    const size = parseFloat(s.fontSize); const bold = parseInt(s.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const text = over(rgba(s.color), background(e));
    const r = ratio(text, background(e));
    if (r < (large ? 3 : 4.5)) {
      const said = e.innerText.trim().slice(0, 40);
      failures.push(`${e.tagName.toLowerCase()}.${e.className} “${said}” ${r.toFixed(2)}`);
    }
  }
  return failures;
}"""


@pytest.mark.parametrize(
    "who, path",
    [
        (None, "/dang-nhap"),
        ("lucnam", "/nam/{year}/don-vi/{code}/tham-dinh"),
        ("lucnam", "/nam/{year}/don-vi/{code}"),
        ("lucnam", "/nam/{year}/huyen/{district}"),
        ("lucnam", "/nam/{year}/huyen/{district}/danh-sach"),
        ("phuctra", "/nam/{year}/tinh"),
        ("phuctra", "/nam/{year}/phuc-tra"),
        ("phuctra", "/nam/{year}/quyet-dinh"),
        ("xa{code}", "/nam/{year}/don-vi/{code}/ho-so"),
    ],
)
def test_text_meets_contrast_aa(served: Served, browser: object, who: str | None, path: str) -> None:
    """Every piece of text drawn on the page has a contrast ratio of at least 4.5:1 with what is
    behind it (3:1 for large text), as WCAG 2.1 AA asks."""
    page = new_page(browser)
    if who:
        login(page, served.url, who.format(code=served.commune), PASSWORD)
    page.goto(served.url + path.format(year=YEAR, code=served.commune, district=DISTRICT))  # type: ignore[attr-defined]
    assert page.evaluate(CONTRAST) == []  # type: ignore[attr-defined]
    # the measure sees a pale hint on this page's own background
    page.evaluate(  # type: ignore[attr-defined]
        "() => { const p = document.createElement('p'); p.textContent = 'chữ nhạt để thử';"
        " p.style.color = '#999999'; document.querySelector('main').appendChild(p); }"
    )
    assert [f.split(" ")[0] for f in page.evaluate(CONTRAST)] == ["p."]  # type: ignore[attr-defined]
