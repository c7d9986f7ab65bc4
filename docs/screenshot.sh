#!/usr/bin/env bash
# Re-render docs/xep-hang.png: the top of the "Xếp hạng" sheet of the sample results, as
# LibreOffice prints it (needs libreoffice-calc and poppler-utils).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cqtt score samples/bac-giang-2024.xlsx --criteria bac-giang@2024 -o "$work/results.xlsx" >/dev/null 2>&1
soffice -env:UserInstallation="file://$work/profile" --headless --convert-to pdf \
  --outdir "$work" "$work/results.xlsx" >/dev/null 2>&1
# page 2 is the first page of "Xếp hạng" (page 1 is "Tổng hợp")
pdftoppm -png -r 200 -f 2 -l 2 -x 60 -y 125 -W 2240 -H 520 "$work/results.pdf" "$work/page"
cp "$work"/page-*2.png docs/xep-hang.png
echo "docs/xep-hang.png"
