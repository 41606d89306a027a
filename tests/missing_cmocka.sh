#!/bin/sh
# missing_cmocka.sh -- in TESTS when configure did not find cmocka: the
# unit tests were not built, and that is a failure, not a silent pass.
echo "Bail out! cmocka was not found when configure ran: the unit tests are not built (install libcmocka-dev, then run configure again)"
exit 1
