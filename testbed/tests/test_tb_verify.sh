#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration: `tb verify` on a running testbed, DR and NAT (and NAT with
# health checks, as the demo runs), 1:2:3:4: every tcpdump check it makes must PASS (its lines are shown indented). Runs from
# the repo root, private TB_OUT.
#
#   client -- router --[lan]-- lb (lbd) -- rs1..rs4   captures on each link
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=testbed/lib/tbtest.sh
source testbed/lib/tbtest.sh

# verify_mode MODE [TB-UP-ARGS...]
verify_mode() {
	local mode=$1 np nf
	shift
	tt_tb 60 up --mode "$mode" --lifetime 120 "$@"
	mode+="${1:+ $*}"
	if ((TT_RC != 0)); then
		tb_fail "$mode: tb up exits 0 (got $TT_RC)"
		return 0
	fi
	tt_tb 120 verify
	np=$(grep -c '^PASS' "$TT_ROOT/tb.out" || true)
	nf=$(grep -c '^FAIL' "$TT_ROOT/tb.out" || true)
	tb_check_eq "$mode: tb verify exits 0 ($np checks passed)" "$TT_RC" 0
	tb_check "$mode: tb verify made at least 15 checks" test "$np" -ge 15
	tb_check_eq "$mode: tb verify failed checks" "$nf" 0
	tt_tb 60 down
	tb_check_eq "$mode: tb down exits 0" "$TT_RC" 0
}

main() {
	tt_begin
	verify_mode dr
	verify_mode nat
	# As make demo runs it: health checks from the director cross the
	# real servers' links too, and are not lbd's traffic.
	verify_mode nat --hc
	tb_summary && exit 0
	exit 1
}

main "$@"
