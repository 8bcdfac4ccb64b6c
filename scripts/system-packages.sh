#!/usr/bin/env bash
# Ensure the Debian packages named as arguments are installed.
#
#   scripts/system-packages.sh graphviz fonts-liberation2 ...
#
# Quiet when everything is already installed. When something is missing:
#   - as root: `apt-get update` (once) and install the missing packages
#     without recommends, non-interactively;
#   - otherwise: print the sudo command to run on stderr and exit 1.
set -euo pipefail

[ "$#" -gt 0 ] || exit 0

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system-packages: dpkg-query not found; this script expects Debian/Ubuntu." >&2
    echo "system-packages: make sure these are installed: $*" >&2
    exit 1
fi

missing=()
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;                      # "install ok installed"
        *) missing+=("$pkg") ;;
    esac
done

[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    {
        echo "system-packages: missing Debian packages: ${missing[*]}"
        echo "system-packages: install them with:"
        echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
    } >&2
    exit 1
fi

echo "system-packages: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Wait for a concurrent dpkg/apt (e.g. unattended-upgrades) instead of failing at once.
apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
apt-get "${apt_opts[@]}" update -q
apt-get "${apt_opts[@]}" install -y -q --no-install-recommends "${missing[@]}"
