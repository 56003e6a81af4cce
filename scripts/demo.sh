#!/usr/bin/env bash
# Sets the machine up, builds Perimeter (release), and runs its demo:
# sample events written by Perimeter itself are ingested into a fresh
# embedded store, and what was found is listed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product perimeter
.build/release/perimeter demo "$@"
