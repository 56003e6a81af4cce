#!/usr/bin/env bash
# Installs the Debian packages Perimeter builds against, when missing.
# Idempotent: a machine that has them all runs no apt-get at all.
set -euo pipefail

# The Swift toolchain is not a Debian package: say so before apt runs.
if ! command -v swift >/dev/null 2>&1; then
    echo "setup: no 'swift' on PATH: install the Swift 6 toolchain for Debian first" \
        "(the tarball from the Swift project, unpacked, its usr/bin on PATH)" >&2
    exit 1
fi

packages=(
    pkg-config
    libsqlite3-dev      # the embedded store
    libsimdjson-dev     # hot-path JSON parsing
    libyaml-dev         # configuration and Sigma rules
    libpcre2-dev        # Sigma regular expressions, with match limits
    libmicrohttpd-dev   # the HTTP server
    libssl-dev          # SHA-256 for API token hashes
    zlib1g-dev          # .gz event files
    publicsuffix        # the Public Suffix List for FQDNs in host.name
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$package")
    fi
done

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo_cmd=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            echo "setup: these packages are missing and only root can install them:" \
                "${missing[*]} (run this script as root, or install sudo)" >&2
            exit 1
        fi
        sudo_cmd=(sudo)
    fi
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
