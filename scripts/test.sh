#!/usr/bin/env bash
# Sets the machine up and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
# Serially: several suites start HTTP servers whose handlers run on the
# cooperative thread pool, and suites that block their thread (child
# processes, long ingests) would starve it on a 2-core machine.
swift test --skip-build --no-parallel "$@"
