#!/usr/bin/env bash
# Re-render the README's pictures, as LibreOffice prints the sheets (needs libreoffice-calc and
# poppler-utils, and cqtt on PATH):
#   docs/xep-hang.png  the top of "Xếp hạng" of the sample results
#   docs/sai-lech.png  "Sai lệch" of the re-check of the sample team's workbook
# The portal's pictures (docs/cong-*.png) come from its browser test:
#   CQTT_SCREENSHOTS=docs python -m pytest tests/test_portal_browser.py
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cqtt score samples/bac-giang-2024.xlsx --criteria bac-giang@2024 -o "$work/results.xlsx" >/dev/null 2>&1
cqtt recheck samples/bac-giang-2024-to-tham-dinh.xlsx --evidence samples/bac-giang-2024.xlsx \
  -o "$work/phuc-tra.xlsx" >/dev/null 2>&1 || [ $? -eq 3 ]
for book in results phuc-tra; do
  soffice -env:UserInstallation="file://$work/profile" --headless --convert-to pdf \
    --outdir "$work" "$work/$book.xlsx" >/dev/null 2>&1
done
# page 2 is the first page of "Xếp hạng" (page 1 is "Tổng hợp")
pdftoppm -png -r 200 -f 2 -l 2 -x 60 -y 125 -W 2240 -H 520 "$work/results.pdf" "$work/page"
cp "$work"/page-*2.png docs/xep-hang.png
# page 2 of the re-check is "Sai lệch" (page 1 is "Tổng hợp")
pdftoppm -png -r 160 -f 2 -l 2 -x 115 -y 160 -W 1640 -H 125 "$work/phuc-tra.pdf" "$work/recheck"
cp "$work"/recheck-*2.png docs/sai-lech.png
echo "docs/xep-hang.png docs/sai-lech.png"
