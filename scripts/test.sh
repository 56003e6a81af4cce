#!/usr/bin/env bash
# Sets the machine up and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# Several suites check facts about the public corpus: without it they would
# fail one by one, each on a missing file.
corpus="${PERIMETER_CORPUS:-../shared/corpus}"
if [ ! -d "$corpus/ecs" ]; then
    echo "test.sh: the corpus is not at '$corpus' (its ecs/ folder is missing):" \
         "put it at ../shared/corpus beside this folder, or set PERIMETER_CORPUS" >&2
    exit 1
fi
scripts/setup.sh
swift build --build-tests
# Serially: several suites start HTTP servers whose handlers run on the
# cooperative thread pool, and suites that block their thread (child
# processes, long ingests) would starve it on a 2-core machine.
swift test --skip-build --no-parallel "$@"
