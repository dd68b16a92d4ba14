#!/usr/bin/env bash
# Fetches the real footage the tests and the demo use, from pinned Debian packages
# (version and sha256 checked), into a cache outside git. Idempotent; fast when cached.
#
#   scripts/fetch-footage.sh            # into $MINWANG_FOOTAGE_DIR or ~/.cache/minwang/footage
#   scripts/fetch-footage.sh --print    # print the footage dir and exit
set -euo pipefail

dest="${MINWANG_FOOTAGE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/minwang/footage}"
if [ "${1:-}" = "--print" ]; then echo "$dest"; exit 0; fi

# package  version  sha256-of-.deb  path-inside-package  target-subdir
PACKAGES=(
  "opencv-doc 4.6.0+dfsg-12 4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a usr/share/doc/opencv-doc/examples/data opencv"
  "python3-skimage 0.19.3-8 728d88c3e3440f1f3712de0805dc834d29248ff07e1eec8c0f3da07606f752f9 usr/lib/python3/dist-packages/skimage/data skimage"
  "labelme-examples 5.1.1-1 acf0f5be435c8899098397eb9f0e46b4c1be080e0c1202f128609d6391179e23 usr/share/doc/labelme-examples/examples labelme"
)

mkdir -p "$dest"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for entry in "${PACKAGES[@]}"; do
  read -r pkg version sha inner sub <<<"$entry"
  stamp="$dest/$sub/.source"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$pkg $version $sha" ]; then
    continue
  fi
  echo "footage: fetching $pkg $version" >&2
  (cd "$work" && { apt-get download -q "$pkg=$version" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 || true; apt-get download -q "$pkg=$version" >/dev/null; }; }) || {
    echo "footage: cannot download $pkg=$version from Debian's archive (is it still in the release?)" >&2; exit 1; }
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
  [ -f "$dest/$must" ] || { echo "footage: $must missing after extraction" >&2; exit 1; }
done
echo "footage: ready in $dest" >&2
