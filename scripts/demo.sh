#!/usr/bin/env bash
# Sets the machine up, builds Perimeter (release), and runs its demo:
# sample events written by Perimeter itself are ingested into a fresh
# embedded store, and what was found is listed. The demo runs in the
# folder this script is called from, so `--dir` is read from there.
set -euo pipefail
caller="$(pwd)"
cd "$(dirname "$0")/.."
package="$(pwd)"
scripts/setup.sh
swift build -c release --product perimeter
cd "$caller"
"$package/.build/release/perimeter" demo "$@"
