#!/usr/bin/env bash
# The README's test command: install what the tests need, then run them.
#   - system packages (as root, with apt): libGL/glib for OpenCV, npm for the model-build
#     tests, Debian's chromium for the app's real-browser test;
#   - posecheck with its test extra (pip), at the versions pinned in requirements/test.lock;
#     POSECHECK_DEPS=newest instead takes the newest versions the resolver picks today
#     (pyproject.toml's ranges), to check that the suite still passes with them;
#   - the @mediapipe/pose npm package that the model-rebuild tests compare against (fetching
#     it is an install step, like pip; the tests themselves never download anything).
# .ci/run calls this script.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

need_apt=()
ldconfig -p | grep -q 'libGL.so.1' || need_apt+=(libgl1)
ldconfig -p | grep -q 'libglib-2.0.so.0' || need_apt+=(libglib2.0-0)
command -v npm >/dev/null || need_apt+=(npm)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "missing system packages (install them, e.g. with apt-get): ${need_apt[*]}" >&2
  fi
fi

case "${POSECHECK_DEPS:-locked}" in
  locked) "$PY" -m pip install --quiet --disable-pip-version-check -c requirements/test.lock -e ".[test]" ;;
  newest) "$PY" -m pip install --quiet --disable-pip-version-check --upgrade --upgrade-strategy eager -e ".[test]" ;;
  *) echo "POSECHECK_DEPS must be 'locked' or 'newest'" >&2; exit 2 ;;
esac

TGZ=.cache/mediapipe-pose-0.5.1675469404.tgz
if [ ! -f "$TGZ" ]; then
  mkdir -p .cache
  npm pack @mediapipe/pose@0.5.1675469404 --silent --pack-destination .cache >/dev/null
fi
export POSECHECK_DEPS="${POSECHECK_DEPS:-locked}"  # tests/test_package.py installs the wheel the same way
exec "$PY" -m pytest "$@"
