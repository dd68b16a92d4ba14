#!/usr/bin/env bash
# Installs minwang on a Raspberry Pi OS / Debian host (arm64 or x86_64). Idempotent: run it again
# to repair or to install a newer release next to the old one.
#
#   sudo scripts/install.sh [--source DIR] [--prefix DIR] [--no-apt] [--no-systemctl]
#   sudo /opt/minwang/current/scripts/install.sh --upgrade --source NEW_BUNDLE_DIR
#
# --source  the release to install: an unpacked release bundle or a checkout after `npm ci`
#           (default: the directory above this script)
# --prefix  install into this root instead of / (tests, image building); implies --no-apt
#           and --no-systemctl
# --pubkey  verify the source's SHA256SUMS signature with this Ed25519 public key (PEM) first
# --upgrade install a newer signed bundle next to the running one, switch, restart, and switch
#           back if it is not healthy in time. The signature must verify (--pubkey, default
#           /etc/minwang/keys/release.pub). Run the INSTALLED install.sh, so trusted code checks
#           the new bundle.
#   --health-cmd CMD        healthy when CMD exits 0 (default: the unit is active and
#                           `minwang check` passes)
#   --health-timeout SECS   give up and roll back after SECS (default 120)
#   --restart-cmd CMD       how to restart the agent (default: systemctl restart minwang)
#
# It creates the `minwang` system user (in group gpio), /etc/minwang (config, secrets 0600),
# /var/lib/minwang (data), /opt/minwang/releases/<version> with /opt/minwang/current pointing at
# it, /usr/local/bin/minwang, and the hardened systemd unit minwang.service.
set -euo pipefail

source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix=""
use_apt=1
use_systemctl=1
upgrade=0
pubkey=""
health_cmd=""
health_timeout=120
restart_cmd=""
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --source) source_dir="$(cd "${2:?--source needs a directory}" && pwd)"; shift 2 ;;
    --prefix) prefix="$(mkdir -p "${2:?--prefix needs a directory}" && cd "$2" && pwd)"; use_apt=0; use_systemctl=0; shift 2 ;;
    --no-apt) use_apt=0; shift ;;
    --no-systemctl) use_systemctl=0; shift ;;
    --pubkey) pubkey="${2:?--pubkey needs a file}"; shift 2 ;;
    --upgrade) upgrade=1; shift ;;
    --health-cmd) health_cmd="${2:?--health-cmd needs a command}"; shift 2 ;;
    --health-timeout) health_timeout="${2:?--health-timeout needs seconds}"; shift 2 ;;
    --restart-cmd) restart_cmd="${2:?--restart-cmd needs a command}"; shift 2 ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "run as root (sudo)"
[ -f "$source_dir/package.json" ] && [ -f "$source_dir/bin/minwang.js" ] || die "$source_dir is not a minwang release (no package.json or bin/minwang.js)"
[ -d "$source_dir/dist" ] || die "$source_dir has no dist/: run npm ci (or npm run build) first, or use a release bundle"
[ -d "$source_dir/node_modules" ] || die "$source_dir has no node_modules/: run npm ci --omit=dev first, or use a release bundle"

version=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$source_dir/package.json" | head -n1)
[ -n "$version" ] || die "cannot read the version from $source_dir/package.json"
# The version names directories that are replaced and removed (rm -rf): a plain semver only.
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z][0-9A-Za-z.-]*)?$ ]] && [[ "$version" != *..* ]] \
  || die "refusing $source_dir: its package.json version '$version' is not a plain version (like 1.2.3 or 1.2.3-rc.1)"

etc="$prefix/etc/minwang"
case "$health_timeout" in ''|*[!0-9]*) die "--health-timeout needs whole seconds, not $health_timeout" ;; esac

data="$prefix/var/lib/minwang"
opt="$prefix/opt/minwang"
release="$opt/releases/$version"
staging="$opt/releases/.staging-$version"
trap 'rm -rf "$staging"' EXIT

# 0. The source is copied into root-owned staging first and the COPY is verified, so what was verified
#    is what gets installed (nobody can swap a file in --source between the check and the copy). A signed
#    bundle is checked by the code already trusted: this script's own verify-bundle.sh.
if [ "$upgrade" = 1 ] && [ -z "$pubkey" ]; then pubkey="$etc/keys/release.pub"; fi
[ -z "$pubkey" ] || [ -f "$pubkey" ] || die "no public key at $pubkey to verify the bundle with"
install -d -m 0755 -o 0 -g 0 "$prefix/opt" "$opt" "$opt/releases"
if [ "$(readlink -f "$source_dir")" != "$(readlink -f "$release")" ]; then
  rm -rf "$staging"
  mkdir -p "$staging"
  if [ -n "$pubkey" ]; then
    # Everything the signature covers (verify-bundle.sh refuses anything it does not).
    cp -a "$source_dir/." "$staging/"
  else
    for part in bin dist node_modules models config scripts package.json README.md node BUILDINFO.json SHA256SUMS SHA256SUMS.sig; do
      [ -e "$source_dir/$part" ] && cp -a "$source_dir/$part" "$staging/"
    done
  fi
  chown -R 0:0 "$staging"
  chmod -R go-w "$staging"
  checked="$staging"
else
  checked="$release"
fi
if [ -n "$pubkey" ]; then
  bash "$script_dir/verify-bundle.sh" "$checked" "$pubkey" || die "refusing $source_dir: its signature does not verify"
  staged_version=$(sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$checked/package.json" | head -n1)
  [ "$staged_version" = "$version" ] || die "refusing $source_dir: it changed while it was being copied"
fi
previous=""
if [ "$upgrade" = 1 ]; then
  previous=$(readlink "$opt/current" 2>/dev/null || true)
  [ -n "$previous" ] || die "--upgrade needs a running release at $opt/current; install first"
  [ "$previous" != "releases/$version" ] || die "minwang $version is already the running release"
  [ -f "$prefix/etc/systemd/system/minwang.service" ] && cp -p "$prefix/etc/systemd/system/minwang.service" "$opt/.minwang.service.previous"
fi
unit_dir="$prefix/etc/systemd/system"

# 1. Debian packages the agent uses at run time.
if [ "$use_apt" = 1 ]; then
  missing=()
  command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
  command -v systemd-notify >/dev/null 2>&1 || missing+=(systemd)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

# 2. The service user: a system account in the gpio group, no login, no home.
getent_in() { grep -q "^$2:" "$prefix/etc/$1" 2>/dev/null; }
ids=()
[ -n "$prefix" ] && ids=(--prefix "$prefix")
getent_in group gpio || groupadd "${ids[@]}" --system gpio
getent_in group minwang || groupadd "${ids[@]}" --system minwang
if getent_in passwd minwang; then
  usermod "${ids[@]}" -a -G gpio minwang
else
  useradd "${ids[@]}" --system --gid minwang --groups gpio --no-create-home --home-dir /var/lib/minwang \
    --shell /usr/sbin/nologin --comment "minwang agent" minwang
fi
uid=$(awk -F: '$1=="minwang"{print $3}' "$prefix/etc/passwd")
gid=$(awk -F: '$1=="minwang"{print $3}' "$prefix/etc/group")

# 3. Directories with owners and modes: config readable by the agent, not by others;
#    secrets only by the agent; data writable only by the agent.
install -d -m 0755 -o 0 -g 0 "$prefix/etc" "$opt" "$opt/releases" "$unit_dir" "$prefix/usr/local/bin"
install -d -m 0750 -o 0 -g "$gid" "$etc"
install -d -m 0700 -o "$uid" -g "$gid" "$etc/secrets"
install -d -m 0750 -o "$uid" -g "$gid" "$data"
install -m 0640 -o 0 -g "$gid" "$source_dir/config/minwang.example.yaml" "$etc/config.example.yaml"
if [ ! -f "$etc/config.yaml" ]; then
  install -m 0640 -o 0 -g "$gid" "$source_dir/config/minwang.example.yaml" "$etc/config.yaml"
  say "wrote $etc/config.yaml from the example: edit it, then run: minwang check"
fi
# Secrets dropped in by an installer keep working after a re-run: tighten, never loosen.
find "$etc/secrets" -type f -exec chown "$uid:$gid" {} + -exec chmod 0600 {} +

# 4. The release, side by side with earlier ones; `current` switches atomically.
if [ "$checked" = "$staging" ]; then
  rm -rf "$release"
  mv "$staging" "$release"
fi
ln -sfn "releases/$version" "$opt/.current.new"
mv -T "$opt/.current.new" "$opt/current"

# 5. The Node.js runtime: the bundle's own, else the system's.
if [ -x "$release/node/bin/node" ]; then
  node=/opt/minwang/current/node/bin/node
else
  node=$(command -v node) || die "no Node.js 20 found: use a release bundle (it carries its own) or install nodejs"
fi
cat >"$prefix/usr/local/bin/minwang" <<WRAPPER
#!/bin/sh
exec $node /opt/minwang/current/bin/minwang.js "\$@"
WRAPPER
chmod 0755 "$prefix/usr/local/bin/minwang"

# 6. The systemd unit.
sed -e "s|@NODE@|$node|g" -e "s|@APP_DIR@|/opt/minwang/current|g" \
    -e "s|@CONFIG_DIR@|/etc/minwang|g" -e "s|@DATA_DIR@|/var/lib/minwang|g" \
    "$source_dir/scripts/systemd/minwang.service.in" >"$unit_dir/minwang.service.tmp"
chmod 0644 "$unit_dir/minwang.service.tmp"
mv "$unit_dir/minwang.service.tmp" "$unit_dir/minwang.service"

if [ "$use_systemctl" = 1 ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable minwang.service
  say "enabled minwang.service; start it with: systemctl start minwang (after editing $etc/config.yaml)"
fi
say "installed minwang $version into ${prefix:-/}"

# 7. An upgrade proves itself: restart, wait for health, else go back to the previous release.
[ "$upgrade" = 1 ] || exit 0
if [ -z "$restart_cmd" ]; then
  if [ "$use_systemctl" = 1 ]; then restart_cmd="systemctl restart minwang.service"; else restart_cmd=":"; fi
fi
if [ -z "$health_cmd" ]; then
  # As the service user, not root: the check runs the new release's code and reads what the agent reads.
  health_cmd="systemctl is-active --quiet minwang.service && runuser -u minwang -- $prefix/usr/local/bin/minwang check --config $etc/config.yaml"
fi
healthy() {
  local deadline=$(( $(date +%s) + health_timeout ))
  while :; do
    if bash -c "$health_cmd" >/dev/null 2>&1; then return 0; fi
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 2
  done
}
say "restarting into $version and waiting up to ${health_timeout}s for it to report healthy"
if bash -c "$restart_cmd" && healthy; then
  rm -f "$opt/.minwang.service.previous"
  say "upgraded to $version (previous: ${previous#releases/})"
  exit 0
fi
say "minwang $version is not healthy: going back to ${previous#releases/}"
ln -sfn "$previous" "$opt/.current.new"
mv -T "$opt/.current.new" "$opt/current"
if [ -f "$opt/.minwang.service.previous" ]; then
  mv "$opt/.minwang.service.previous" "$unit_dir/minwang.service"
  [ "$use_systemctl" = 1 ] && [ -d /run/systemd/system ] && systemctl daemon-reload
fi
bash -c "$restart_cmd" || say "restarting ${previous#releases/} failed too: see journalctl -u minwang"
die "upgrade to $version rolled back to ${previous#releases/}"
