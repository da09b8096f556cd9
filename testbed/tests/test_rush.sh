#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration: a short ticket rush through the VIP (`tb demo --users 20000
# --tickets 2000`, DR): every buyer answered, 2000/2000 sold, connections
# per backend exactly 1:2:3:4, `ticketctl report` invariants, and the
# tcpdump verdicts. Skips (4) until bin/ticketd and bin/ticketctl exist.
#
#   client wrk --> VIP (lbd) --> rs1..rs4 ticketd --> redis
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=testbed/lib/tbtest.sh
source testbed/lib/tbtest.sh

main() {
	local line
	tt_begin wrk jq
	[[ -x bin/ticketd && -x bin/ticketctl ]] ||
		tb_skip "bin/ticketd or bin/ticketctl not built (make backend)"
	tt_tb 150 demo --users 20000 --tickets 2000
	tb_check_eq "tb demo exits 0" "$TT_RC" 0
	for line in 'every buyer got an answer' 'sold 2000/2000' \
		'every invariant holds' 'one order per ticket' \
		'distribution: lbd gave rs4 (weight 4) 20 of 50' \
		'DR at director: no VIP -> client packet' \
		'ARP for the VIP'; do
		if grep -F "$line" "$TT_ROOT/tb.out" | grep -q '^PASS'; then
			tb_pass "demo: $line"
		else
			tb_fail "demo: $line"
		fi
	done
	tb_check_eq "tb demo tore its testbed down" "$(tt_current)" ''
	tb_summary && exit 0
	exit 1
}

main "$@"
