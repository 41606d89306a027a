#!/bin/sh
# timeout.sh SECONDS COMMAND...: runs one test under a time limit (the
# Makefile's LOG_COMPILER, TEST_TIMEOUT): a test that hangs is killed and
# fails with a TAP "Bail out!" saying so, instead of stalling the run.
limit=$1
shift
timeout --kill-after=10 "$limit" "$@"
rc=$?
case $rc in
124 | 137) echo "Bail out! timed out after $limit s (TEST_TIMEOUT; tests/timeout.sh)" ;;
esac
exit $rc
