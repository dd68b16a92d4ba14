#!/usr/bin/env bash
# Fetches the real footage the tests and the demo use, from pinned Debian packages
# (version and sha256 checked), into a cache outside git. Idempotent; fast when cached.
# `minwang demo` runs it on first use (`opencv` only: the demo's clip).
#
#   scripts/fetch-footage.sh            # all of it, into $MINWANG_FOOTAGE_DIR or ~/.cache/minwang/footage
#   scripts/fetch-footage.sh opencv     # only these sets (opencv, skimage, labelme)
#   scripts/fetch-footage.sh --print    # print the footage dir and exit
#
# Exit codes: 0 ready; 1 a download or check failed; 3 Debian's archive could not be reached with apt.
set -euo pipefail

dest="${MINWANG_FOOTAGE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/minwang/footage}"
if [ "${1:-}" = "--print" ]; then echo "$dest"; exit 0; fi
wanted=" $* "

# package  version  sha256-of-.deb  path-inside-package  target-subdir
PACKAGES=(
  "opencv-doc 4.6.0+dfsg-12 4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a usr/share/doc/opencv-doc/examples/data opencv"
  "python3-skimage 0.19.3-8 728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9 usr/lib/python3/dist-packages/skimage/data skimage"
  "labelme-examples 5.1.1-1 acf0f5be435c8899098397eb9f0e46b4c1be080e0c1202f128609d6391179e23 usr/share/doc/labelme-examples/examples labelme"
)

unreachable() {
  cat >&2 <<MSG
footage: cannot download $1 with apt-get: Debian's archive is unreachable from here
  (no network, a proxy apt does not know, or no Debian sources in /etc/apt), or the package left the release.
  Fix the network or apt and run scripts/fetch-footage.sh again, or copy the folder $2/ from a
  machine that has it to $dest/$2 (or point MINWANG_FOOTAGE_DIR at a directory that has it).
MSG
  exit 3
}

if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg >/dev/null 2>&1; then
  echo "footage: apt-get and dpkg are needed (Debian, Ubuntu or Raspberry Pi OS; no root needed)." >&2
  echo "  Or copy the footage into $dest yourself, or point MINWANG_FOOTAGE_DIR at a directory that has it." >&2
  exit 3
fi

# apt-get download, its output on stderr, without the note that a non-root cache could not be used.
download() {
  apt-get download "$1" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2
  return "${PIPESTATUS[0]}"
}

mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for entry in "${PACKAGES[@]}"; do
  read -r pkg version sha inner sub <<<"$entry"
  if [ "$wanted" != "  " ] && [[ "$wanted" != *" $sub "* ]]; then continue; fi
  stamp="$dest/$sub/.source"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pkg $version $sha" ]; then
    continue
  fi
  # awk reads to the end (no early exit): apt-cache must not die of SIGPIPE under pipefail.
  size=$(apt-cache show "$pkg=$version" 2>/dev/null | awk '/^Size:/ && !done { printf "%.0f MB", $2 / 1e6; done = 1 }' || true)
  echo "footage: fetching $pkg $version${size:+ ($size)} from Debian's archive into $dest/$sub" >&2
  # apt shows its own progress (a bar on a terminal); a first failure may be stale package lists.
  (cd "$work" && { download "$pkg=$version" || { apt-get update -qq >/dev/null 2>&1 || true; download "$pkg=$version"; }; }) ||
    unreachable "$pkg=$version" "$sub"
  deb=$(ls "$work"/"${pkg}"_*.deb)
  actual=$(sha256sum "$deb" | cut -d' ' -f1)
  if [ "$actual" != "$sha" ]; then
    echo "footage: $deb has sha256 $actual, expected $sha; refusing it" >&2
    exit 1
  fi
  rm -rf "$work/x" "$dest/$sub"
  dpkg -x "$deb" "$work/x"
  mkdir -p "$dest/$sub"
  (cd "$work/x/$inner" && find . -type f \( -iname '*.jpg' -o -iname '*.png' -o -iname '*.avi' -o -iname '*.json' \) -exec cp --parents -p {} "$dest/$sub" \;)
  echo "$pkg $version $sha" >"$stamp"
  rm -f "$deb"
done

for must in opencv/vtest.avi skimage/motorcycle_left.png skimage/astronaut.png skimage/rocket.jpg; do
  if [ "$wanted" != "  " ] && [[ "$wanted" != *" ${must%%/*} "* ]]; then continue; fi
  [ -f "$dest/$must" ] || { echo "footage: $must missing after extraction" >&2; exit 1; }
done
echo "footage: ready in $dest" >&2
