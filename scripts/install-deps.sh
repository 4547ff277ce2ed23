#!/usr/bin/env bash
# Installs the Debian packages ledgerflow needs, and only those that are missing.
# Runs `apt-get update` only when something must be installed; works as root or via sudo.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache
  libcaf-dev libboost-dev libboost-system-dev libsqlite3-dev sqlite3
  libpqxx-dev libmsgpack-cxx-dev libssl-dev doctest-dev
  nlohmann-json3-dev libspdlog-dev libcli11-dev libtomlplusplus-dev libjemalloc-dev
  postgresql curl python3 openssl
)

# Node.js runs the WebSocket end-to-end tests (tests/node). Checked by command, not by package:
# a node from elsewhere (NodeSource, nvm) already brings its own npm.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps: missing packages (${missing[*]}) and neither root nor sudo" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
