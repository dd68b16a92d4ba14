#!/usr/bin/env bash
# Verifies an unpacked minwang release bundle before anything from it runs:
#
#   verify-bundle.sh DIR PUBLIC_KEY.pem
#
# 1. SHA256SUMS.sig is the Ed25519 signature of SHA256SUMS under PUBLIC_KEY (PEM SPKI), checked
#    with openssl (Raspberry Pi OS has it: ca-certificates depends on it), so no code from the
#    bundle is trusted to check the bundle;
# 2. every file SHA256SUMS lists has that hash;
# 3. nothing else is there: no unlisted file, no symlink, no device.
# Exits 0 when all hold, 1 with the reason otherwise.
set -euo pipefail

die() { echo "verify-bundle: $*" >&2; exit 1; }
dir="${1:?usage: verify-bundle.sh DIR PUBLIC_KEY.pem}"
key="${2:?usage: verify-bundle.sh DIR PUBLIC_KEY.pem}"
[ -f "$key" ] || die "no public key at $key"
[ -f "$dir/SHA256SUMS" ] || die "$dir has no SHA256SUMS: not a release bundle"
[ -f "$dir/SHA256SUMS.sig" ] || die "$dir has no SHA256SUMS.sig: the bundle is unsigned"
command -v openssl >/dev/null 2>&1 || die "openssl is needed to check the signature (apt-get install openssl)"

openssl pkeyutl -verify -pubin -inkey "$key" -rawin -in "$dir/SHA256SUMS" -sigfile "$dir/SHA256SUMS.sig" >/dev/null 2>&1 \
  || die "the signature of $dir/SHA256SUMS does not verify with $key"
grep -qvE '^[0-9a-f]{64}  [^/]' "$dir/SHA256SUMS" && die "$dir/SHA256SUMS has a malformed line"
grep -qE '(^|/)\.\.(/|$)' <(cut -c67- "$dir/SHA256SUMS") && die "$dir/SHA256SUMS names a path outside the bundle"
odd=$(find "$dir" ! -type f ! -type d | head -n 3)
[ -z "$odd" ] || die "not a regular file: $odd"
unlisted=$(comm -23 <(cd "$dir" && find . -type f ! -path ./SHA256SUMS ! -path ./SHA256SUMS.sig | sed 's|^\./||' | LC_ALL=C sort) \
                    <(cut -c67- "$dir/SHA256SUMS" | LC_ALL=C sort) | head -n 3)
[ -z "$unlisted" ] || die "files not covered by the signature: $unlisted"
(cd "$dir" && sha256sum --quiet --strict -c SHA256SUMS) >&2 || die "a file in $dir does not match SHA256SUMS"
echo "verify-bundle: $dir verifies"
