#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration: the backend-kill drill (`tb drill backend-kill`, DR): SIGKILL
# ticketd on rs2 under load; lbd must mark it down within 5 s, no request
# started after that may fail, and the rush invariants must hold; the
# timeline CSV and PNG must exist. Skips (4, reason from tb) until lbd logs
# health transitions and ticketd is built.
#
#   client curl --> VIP (lbd, HTTP_GET /health) --> rs1..rs4 ticketd --> redis
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=testbed/lib/tbtest.sh
source testbed/lib/tbtest.sh

main() {
	local res
	tt_begin perl jq gnuplot
	tt_tb 120 drill backend-kill
	if ((TT_RC == 4)); then
		tb_skip "$(grep '^SKIP' "$TT_ROOT/tb.out" | tail -n 1 | sed 's/^SKIP: //')"
	fi
	tb_check_eq "tb drill backend-kill meets its targets (exit status)" "$TT_RC" 0
	tb_check "a VERDICT line" grep -q '^VERDICT backend-kill: PASS' "$TT_ROOT/tb.out"
	res="$TT_ROOT/results/backend-kill"
	tb_check "timeline CSV written" test -s "$res/backend-kill.csv"
	tb_check "PNG plot written" test -s "$res/backend-kill.png"
	tb_summary && exit 0
	exit 1
}

main "$@"
