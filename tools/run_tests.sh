#!/usr/bin/env bash
# Install posecheck with its test extra, fetch the test-only model source, run the tests.
# This is the README's test command; .ci/run calls it after installing system packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[test]"
# The model-build tests rebuild models/ from the @mediapipe/pose npm package and compare
# bytes. Fetching it is an install step (like pip), never done by the tests themselves.
TGZ=.cache/mediapipe-pose-0.5.1675469404.tgz
if [ ! -f "$TGZ" ]; then
  mkdir -p .cache
  npm pack @mediapipe/pose@0.5.1675469404 --silent --pack-destination .cache >/dev/null
fi
exec "$PY" -m pytest "$@"
