#!/usr/bin/env bash
# First boot of a village host provisioned with `minwang provision`. Raspberry Pi OS (trixie)
# runs it once through cloud-init: the boot partition's user-data has
#   runcmd: [[bash, /boot/firmware/minwang/firstboot.sh]]
# It reads only what `minwang provision` put in <boot>/minwang/:
#   minwang-<version>-linux-<arch>.tar.gz  the release bundle
#   release.pub                            the maintainers' Ed25519 public key (PEM SPKI)
#   verify-bundle.sh                       the checker (from the provisioning laptop, not the bundle)
#   config.yaml, secrets/*                 the village's config and secret files
# and: unpacks the bundle, verifies its signature and every file, runs its install.sh, puts the
# config, secrets and public key into /etc/minwang, enables and starts minwang.service, then
# deletes the config, secrets and bundle from the boot partition (FAT keeps no file modes, so
# anyone holding the card could read them) and leaves INSTALLED with the version. If anything
# fails, the config and secrets are deleted from the card all the same, and FAILED on the card
# says where the install log is (/var/log/minwang-firstboot.log on the host); provision again.
#
# MINWANG_ROOT=DIR installs under DIR without systemctl (tests); MINWANG_WORK=DIR unpacks there.
set -euo pipefail

kit="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="${MINWANG_ROOT:-}"
say() { echo "minwang-firstboot: $*"; }
die() { echo "minwang-firstboot: $*" >&2; exit 1; }

[ -f "$kit/INSTALLED" ] && { say "already installed ($(cat "$kit/INSTALLED")); nothing to do"; exit 0; }

# Everything below also goes to the install log (root only: it may name paths, never secrets).
log="$root/var/log/minwang-firstboot.log"
mkdir -p "$(dirname "$log")"
(umask 077 && : >>"$log")
exec > >(tee -a "$log") 2> >(tee -a "$log" >&2)

work=""
finish() {
  local rc=$?
  [ -n "$work" ] && rm -rf "$work"
  if [ "$rc" != 0 ]; then
    # A failed first boot must not leave secrets on a card anyone can read (FAT has no modes).
    rm -rf "$kit/config.yaml" "$kit/secrets"
    echo "minwang first boot failed at $(date -u +%Y-%m-%dT%H:%M:%SZ); config and secrets were removed from this card; install log: /var/log/minwang-firstboot.log on the host; provision the card again" >"$kit/FAILED"
    sync || true
    echo "minwang-firstboot: failed; config and secrets removed from the boot partition; install log: $log" >&2
  fi
}
trap finish EXIT
shopt -s nullglob
bundles=("$kit"/minwang-*-linux-*.tar.gz)
[ ${#bundles[@]} = 1 ] || die "expected one release bundle in $kit, found ${#bundles[@]}"
[ -f "$kit/config.yaml" ] || die "no config.yaml in $kit"

work="$(mktemp -d "${MINWANG_WORK:-/var/tmp}/minwang-firstboot.XXXXXX")"
tar -xzf "${bundles[0]}" -C "$work" --no-same-owner --no-same-permissions
tops=("$work"/minwang-*)
[ ${#tops[@]} = 1 ] || die "${bundles[0]} does not unpack to one minwang-* directory"
release="${tops[0]}"
bash "$kit/verify-bundle.sh" "$release" "$kit/release.pub"
# Files unpack with the umask's modes; the signed bundle's executables need theirs back.
chmod 0755 "$release/node/bin/node" "$release/bin/minwang.js" "$release/scripts/"*.sh

install_args=(--source "$release")
[ -n "$root" ] && install_args+=(--prefix "$root")
bash "$release/scripts/install.sh" "${install_args[@]}"

etc="$root/etc/minwang"
gid=$(awk -F: '$1=="minwang"{print $3}' "$root/etc/group")
uid=$(awk -F: '$1=="minwang"{print $3}' "$root/etc/passwd")
install -d -m 0755 -o 0 -g 0 "$etc/keys"
install -m 0644 -o 0 -g 0 "$kit/release.pub" "$etc/keys/release.pub"
install -m 0640 -o 0 -g "$gid" "$kit/config.yaml" "$etc/config.yaml"
for secret in "$kit"/secrets/*; do
  install -m 0600 -o "$uid" -g "$gid" "$secret" "$etc/secrets/$(basename "$secret")"
done

if [ -z "$root" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now minwang.service
fi

version=$(basename "$release" | sed 's/^minwang-//')
rm -rf "$kit/config.yaml" "$kit/secrets" "${bundles[0]}"
sync
echo "$version $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$kit/INSTALLED"
rm -f "$kit/FAILED"
say "installed minwang $version; config and secrets removed from the boot partition; install log: /var/log/minwang-firstboot.log"
