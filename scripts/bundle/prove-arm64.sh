#!/usr/bin/env bash
# Proves an arm64 release bundle runs on arm64, on this x86 machine: unpacks the bundle, verifies
# its signature, and runs the bundle's OWN arm64 Node.js under qemu-aarch64-static (user-mode
# emulation, arm64 libc/libstdc++ from Debian's cross packages) with:
#   minwang --version
#   minwang detect --json   on a real vtest.avi frame, compared with the x64 result of this checkout
#   minwang check           when this version has it (against a throwaway config + local broker)
#
#   scripts/bundle/prove-arm64.sh release/minwang-<v>-linux-arm64.tar.gz PUBLIC_KEY.pem
#
# Needs: qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross ffmpeg (apt-get install).
# Prints one JSON line with the timings and detections; exits 1 if anything differs.
set -euo pipefail
cd "$(dirname "$0")/../.."

tarball="${1:?usage: prove-arm64.sh TARBALL PUBLIC_KEY.pem}"
pubkey="${2:?usage: prove-arm64.sh TARBALL PUBLIC_KEY.pem}"
die() { echo "prove-arm64: $*" >&2; exit 1; }
say() { echo "prove-arm64: $*" >&2; }
command -v qemu-aarch64-static >/dev/null || die "install qemu-user-static"
[ -f /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || die "install libc6-arm64-cross"
[ -f /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || die "install libstdc++6-arm64-cross"
footage="${MINWANG_FOOTAGE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/minwang/footage}/opencv/vtest.avi"
[ -f "$footage" ] || die "no $footage: run scripts/fetch-footage.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/minwang-prove-arm64.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
bundle=("$work"/minwang-*-linux-arm64)
[ -d "${bundle[0]}" ] || die "$tarball holds no minwang-*-linux-arm64 directory"
bundle="${bundle[0]}"
bash scripts/verify-bundle.sh "$bundle" "$pubkey" >&2

# A real frame with people walking: vtest.avi at 2 s.
frame="$work/vtest-2s.jpg"
ffmpeg -loglevel error -ss 2 -i "$footage" -frames:v 1 -q:v 2 "$frame"

arm() { QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64-static "$bundle/node/bin/node" "$bundle/bin/minwang.js" "$@"; }
ms() { date +%s%3N; }

t0=$(ms); arm_version=$(arm --version); t1=$(ms)
say "arm64 minwang --version: $arm_version ($((t1 - t0)) ms)"
x64_version=$(node bin/minwang.js --version)
[ "$arm_version" = "$x64_version" ] || die "version $arm_version under emulation, $x64_version on x64"

t2=$(ms); arm detect --log-level error --json "$frame" >"$work/arm64.json"; t3=$(ms)
node bin/minwang.js detect --log-level error --json "$frame" >"$work/x64.json"
say "arm64 minwang detect: $((t3 - t2)) ms including start-up"

# `minwang check` against a throwaway config pointing at a local broker (when one listens on 1883).
check_out="$work/check.txt"
mkdir -p "$work/data"
# The second model (detector.secondModel) is left out of the check: its self-test takes minutes under
# emulation, and the detect above already ran it on arm64 and compared its boxes with x64's.
printf 'host:\n  id: prove-arm64\nmqtt:\n  url: mqtt://127.0.0.1:1883\nstorage:\n  dataDir: %s\ndetector:\n  secondModel: none\n' "$work/data" >"$work/config.yaml"
if arm check --config "$work/config.yaml" >"$check_out" 2>&1; then check="passed"; else check="exit $?"; fi
if grep -q 'not built yet' "$check_out"; then check="not in this version"; else say "arm64 minwang check: $check"; cat "$check_out" >&2; fi

node --input-type=module - "$work/arm64.json" "$work/x64.json" "$arm_version" "$((t1 - t0))" "$((t3 - t2))" "$check" <<'EOF'
import { readFileSync } from 'node:fs';
const [armFile, x64File, version, versionMs, detectMs, check] = process.argv.slice(2);
const arm = JSON.parse(readFileSync(armFile, 'utf8'));
const x64 = JSON.parse(readFileSync(x64File, 'utf8'));
const people = (r) => r.detections.filter((d) => d.label === 'person');
const problems = [];
if (people(arm).length === 0) problems.push('no person found under arm64');
if (arm.detections.length !== x64.detections.length) problems.push(`arm64 found ${arm.detections.length}, x64 ${x64.detections.length}`);
arm.detections.forEach((d, i) => {
  const o = x64.detections[i];
  if (o === undefined || o.label !== d.label) return problems.push(`detection ${i}: ${d.label} vs ${o?.label}`);
  if (Math.abs(d.score - o.score) > 0.01) problems.push(`detection ${i}: score ${d.score} vs ${o.score}`);
  if (d.box.some((v, j) => Math.abs(v - o.box[j]) > 0.01)) problems.push(`detection ${i}: box ${d.box} vs ${o.box}`);
});
process.stdout.write(`${JSON.stringify({ version, versionMs: Number(versionMs), detectMs: Number(detectMs), check,
  arm64: arm.detections.map((d) => ({ label: d.label, score: d.score })), x64Scores: x64.detections.map((d) => d.score), problems })}\n`);
process.exit(problems.length === 0 ? 0 : 1);
EOF
