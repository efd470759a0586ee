#!/usr/bin/env bash
# Builds the packaged application (a one-folder PyInstaller bundle) into
# dist/liver-mdt/ and proves it runs without the checkout:
#   1. pyinstaller.spec -> dist/liver-mdt/liver-mdt (+ _internal/)
#   2. a copy outside the checkout runs `--self-test` (offscreen) in an empty
#      environment (env -i, PATH=/usr/bin:/bin, a fresh HOME, working directory
#      outside the checkout) with the project's .venv hidden: as root it runs in
#      a private mount namespace where .venv is covered by an empty tmpfs;
#   3. the command line, frozen, on one demo database: outcomes --json (equal to
#      the checkout's to the byte) and --pdf (same text), sign and verify-minutes
#      (and a changed byte caught), import-dicom (same report as the checkout's);
#   4. portable mode: with a PORTABLE file beside the executable the database
#      and the window's settings (INI) are in data/ beside it, without it in the
#      user's data directory.
# Usage: bash scripts/build-bundle.sh [--no-build]   (--no-build: only check dist/)
# Needs: bash scripts/setup.sh --dev (PyInstaller, binutils for strip/readelf/as/ld,
# icu-devtools for icupkg, which trims Qt's ICU data).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUNDLE="$ROOT/dist/liver-mdt"
PY="$ROOT/.venv/bin/python"

if [ "${1:-}" != "--no-build" ]; then
  [ -x .venv/bin/pyinstaller ] || { echo "build-bundle: run 'bash scripts/setup.sh --dev' first" >&2; exit 1; }
  # Reproducible byte-for-byte where PyInstaller allows it (ENGINEERING-NOTES 2.1).
  export PYTHONHASHSEED=1
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
  export SOURCE_DATE_EPOCH
  echo "== building $BUNDLE"
  .venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
    --distpath "$ROOT/dist" --workpath "$ROOT/build" pyinstaller.spec
fi
[ -x "$BUNDLE/liver-mdt" ] || { echo "build-bundle: $BUNDLE/liver-mdt is missing" >&2; exit 1; }
bytes=$(du -sb "$BUNDLE" | cut -f1)
echo "== bundle: $BUNDLE, $((bytes / 1000000)) MB ($(du -sh "$BUNDLE" | cut -f1)iB on disk)"

WORK=$(mktemp -d /tmp/liver-mdt-bundle.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cp -a "$BUNDLE" "$WORK/"
APP="$WORK/liver-mdt/liver-mdt"

# Hiding .venv needs a private mount namespace (root, and a kernel/container that
# allows it): try it once; without it the environment is still emptied (env -i).
HIDE_VENV=0
if [ "$(id -u)" = 0 ] && [ -d "$ROOT/.venv" ] && command -v unshare >/dev/null \
   && unshare -m --propagation private sh -c 'mount -t tmpfs -o size=1m none "$0"' "$ROOT/.venv" \
      2>/dev/null; then
  HIDE_VENV=1
fi

# Run the copied executable in an environment that has nothing of the checkout.
isolated() {
  local home="$1"; shift
  mkdir -p "$home"
  local cmd=(env -i PATH=/usr/bin:/bin HOME="$home" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen "$@")
  if [ "$HIDE_VENV" = 1 ]; then
    unshare -m --propagation private sh -c \
      'mount -t tmpfs -o size=1m none "$0" && cd "$1" && shift && exec "$@"' \
      "$ROOT/.venv" "$WORK" "${cmd[@]}"
  else
    (cd "$WORK" && exec "${cmd[@]}")
  fi
}
venv_mode="hidden (.venv covered by an empty tmpfs in a private mount namespace)"
[ "$HIDE_VENV" = 1 ] || venv_mode="not hidden (no mount namespace here); environment emptied with env -i"
echo "== self-test from a copy outside the checkout; .venv $venv_mode"

check_json() {  # file, python expression over `d` that must hold
  "$PY" - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
ok = eval(sys.argv[2], {"d": d})
if not ok:
    print(json.dumps(d, indent=2)[:4000], file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
}

if ! isolated "$WORK/home" timeout 300 "$APP" --self-test >"$WORK/self-test.json" 2>"$WORK/self-test.err"; then
  echo "build-bundle: the bundle's --self-test FAILED" >&2
  cat "$WORK/self-test.err" >&2
  cat "$WORK/self-test.json" >&2
  exit 1
fi
check_json "$WORK/self-test.json" \
  'd["ok"] and d["steps"][0]["detail"]["frozen"] and all(s["ok"] for s in d["steps"])'
"$PY" - "$WORK/self-test.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
print("self-test: ok in %.1f s: %s" % (d["seconds"], ", ".join(
    "%s %.2fs" % (s["name"], s["seconds"]) for s in d["steps"])))
EOF

echo "== command line: outcomes, signed minutes, DICOM import (frozen against the checkout)"
# The self-test runs inside the bundle; these run the commands a user types, on one
# database, and hold the frozen results to the checkout's: a build that lost part of the
# statistics stack, the signing stack or a DICOM reader fails here by name.
CLI="$WORK/cli"; mkdir -p "$CLI"
DB="sqlite:///$CLI/board.sqlite3"
printf 'bundle-check-password\n' >"$CLI/password"; chmod 600 "$CLI/password"
SIGNED_IN=(--user "Anne Martin" --password-file "$CLI/password")
frozen() { isolated "$WORK/home-cli" timeout 300 "$APP" --db "$DB" "$@"; }
checkout() {
  (cd "$WORK" && env -i PATH=/usr/bin:/bin HOME="$WORK/home-src" LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen \
     MDT_DATA_DIR="$WORK/home-src/data" "$PY" "$ROOT/main.py" --db "$DB" "$@")
}
fail() { echo "build-bundle: $*" >&2; exit 1; }
frozen demo >/dev/null || fail "demo failed"
frozen "${SIGNED_IN[@]}" set-password >/dev/null || fail "set-password failed"
# Outcomes (scipy, lifelines, pandas, autograd, formulaic): the same JSON to the byte.
frozen outcomes --by arm --json >"$CLI/outcomes-frozen.json" || fail "outcomes --json failed"
checkout outcomes --by arm --json >"$CLI/outcomes-checkout.json"
cmp -s "$CLI/outcomes-frozen.json" "$CLI/outcomes-checkout.json" \
  || { diff "$CLI/outcomes-frozen.json" "$CLI/outcomes-checkout.json" | head -20 >&2
       fail "outcomes --json differs between the bundle and the checkout"; }
check_json "$CLI/outcomes-frozen.json" \
  'any(e["comparison"] and e["comparison"].get("kind") == "hazard_ratio" and e["comparison"].get("estimate")
       for s in d["sections"] for e in s["endpoints"])' || fail "outcomes --json has no Cox hazard ratio"
frozen outcomes --by arm --pdf "$CLI/outcomes-frozen.pdf" >/dev/null || fail "outcomes --pdf failed"
checkout outcomes --by arm --pdf "$CLI/outcomes-checkout.pdf" >/dev/null
"$PY" - "$CLI/outcomes-frozen.pdf" "$CLI/outcomes-checkout.pdf" <<'EOF_PDF' || fail "outcomes --pdf differs from the checkout's"
import re, sys
from pypdf import PdfReader
def text(path):  # every page's text, without the time it was printed
    return [re.sub(r"Printed \S+ \S+ UTC", "Printed", p.extract_text()) for p in PdfReader(path).pages]
frozen, checkout = text(sys.argv[1]), text(sys.argv[2])
sys.exit(0 if frozen == checkout and any("Kaplan" in t for t in frozen) else 1)
EOF_PDF
# Signed minutes (argon2-cffi, cryptography, pyHanko): sign, verify, and see a change.
MEETING=$("$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select id from meeting order by id").fetchone()[0])' "$CLI/board.sqlite3")
frozen "${SIGNED_IN[@]}" sign --meeting "$MEETING" --out "$CLI/signed.pdf" >/dev/null || fail "sign failed"
frozen verify-minutes "$CLI/signed.pdf" >"$CLI/verify.txt" || { cat "$CLI/verify.txt" >&2; fail "verify-minutes of the signed minutes failed"; }
grep -q "PDF signature: valid" "$CLI/verify.txt" || fail "verify-minutes did not call the signature valid"
checkout verify-minutes "$CLI/signed.pdf" >/dev/null || fail "the checkout does not accept the bundle's signature"
"$PY" - "$CLI/signed.pdf" "$CLI/tampered.pdf" <<'EOF_TAMPER'
import sys
pdf = bytearray(open(sys.argv[1], "rb").read())
pdf[pdf.index(b"stream", len(pdf) // 4) + 20] ^= 0x01
open(sys.argv[2], "wb").write(pdf)
EOF_TAMPER
code=0; frozen verify-minutes "$CLI/tampered.pdf" >/dev/null || code=$?
[ "$code" = 1 ] || fail "verify-minutes of a changed PDF exited $code, not 1"
# DICOM import (pydicom and its codec plugins): the same report as the checkout's.
"$PY" - "$CLI/dicom" <<'EOF_DICOM'
import shutil, sys
from pathlib import Path
from pydicom.data import get_testdata_file
sys.path.insert(0, ".")
from tests.imaging_fixtures import make_ct_series
out = Path(sys.argv[1])
make_ct_series(out / "ct", 8, rows=32, cols=32, patient_id="MRN-BUNDLE", patient_name="BUNDLE^CHECK")
(out / "shipped").mkdir(parents=True)
# pydicom's and pydicom-data's files (installed packages): JPEG 2000, RLE, JPEG baseline, lossless
for name in ("JPEG2000.dcm", "MR_small_RLE.dcm", "SC_rgb_jpeg_dcmtk.dcm", "JPEG-LL.dcm"):
    shutil.copy(get_testdata_file(name, download=False), out / "shipped" / name)
EOF_DICOM
cp "$CLI/board.sqlite3" "$CLI/board-before-dicom.sqlite3"
frozen "${SIGNED_IN[@]}" import-dicom "$CLI/dicom" --create-patients --json --quiet >"$CLI/dicom-frozen.json" \
  || fail "import-dicom failed"
cp "$CLI/board-before-dicom.sqlite3" "$CLI/board.sqlite3.checkout"
(DB="sqlite:///$CLI/board.sqlite3.checkout"; checkout "${SIGNED_IN[@]}" import-dicom "$CLI/dicom" --create-patients --json --quiet) >"$CLI/dicom-checkout.json"
"$PY" - "$CLI/dicom-frozen.json" "$CLI/dicom-checkout.json" <<'EOF_CMP' || fail "import-dicom reports differ between the bundle and the checkout"
import json, sys
a, b = (json.load(open(p, encoding="utf-8")) for p in sys.argv[1:3])
sys.exit(0 if a == b and a["files_read"] >= 8 and not a["skipped"] and a["series"] else 1)
EOF_CMP
echo "command line: ok (outcomes JSON and PDF equal to the checkout's; minutes of $MEETING signed and verified, a changed byte caught; import-dicom read $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["files_read"])' "$CLI/dicom-frozen.json") files as the checkout does)"

echo "== portable mode"
# Without the marker: the database goes to the user's data directory.
isolated "$WORK/home-user" timeout 120 "$APP" --user "Anne Martin" startup-probe >"$WORK/probe-user.json"
check_json "$WORK/probe-user.json" 'd["ok"]'
[ -f "$WORK/home-user/.local/share/liver-mdt/liver-mdt.sqlite3" ] \
  || { echo "build-bundle: without PORTABLE the database is not in the user's data directory" >&2; exit 1; }
[ ! -e "$WORK/liver-mdt/data" ] \
  || { echo "build-bundle: without PORTABLE a data/ folder appeared beside the executable" >&2; exit 1; }
# With the marker: beside the executable, and nothing in the user's data directory.
touch "$WORK/liver-mdt/PORTABLE"
isolated "$WORK/home-portable" timeout 120 "$APP" --user "Anne Martin" startup-probe >"$WORK/probe-portable.json"
check_json "$WORK/probe-portable.json" 'd["ok"]'
[ -f "$WORK/liver-mdt/data/liver-mdt.sqlite3" ] \
  || { echo "build-bundle: with PORTABLE the database is not in data/ beside the executable" >&2; exit 1; }
[ ! -e "$WORK/home-portable/.local/share/liver-mdt" ] \
  || { echo "build-bundle: with PORTABLE the user's data directory was used" >&2; exit 1; }
# The window's settings (saved when the probe closes it) travel with the data too.
[ -f "$WORK/liver-mdt/data/Liver MDT/liver-mdt.ini" ] \
  || { echo "build-bundle: with PORTABLE the window settings are not in data/" >&2; exit 1; }
[ ! -e "$WORK/home-portable/.config" ] \
  || { echo "build-bundle: with PORTABLE settings were written to ~/.config" >&2; exit 1; }
echo "portable: ok (data/ and its settings beside the executable with PORTABLE, ~/.local/share/liver-mdt without)"
echo "== bundle OK: $BUNDLE"
