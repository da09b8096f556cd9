#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Integration: `tb up` and `tb down` in DR and NAT mode (echo responders,
# and ticketd when it is built) leave nothing behind: no namespace with the
# testbed's prefix, none of its processes, no state dir; a second `tb down`
# is a no-op that succeeds. Runs from the repo root, private TB_OUT.
#
#   client -- router --[lan]-- lb (lbd) -- rs1..rs4, redis   (see testbed/tb)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=testbed/lib/tbtest.sh
source testbed/lib/tbtest.sh

# Returns 0 when <pid> exists and is not a zombie.
is_live() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[[ -n "$st" && "$st" != Z* ]]
}

# Returns 0 when none of <pid...> is live (called through wait_for).
# shellcheck disable=SC2317
no_live_pid() {
	local pid
	for pid in "$@"; do
		if is_live "$pid"; then
			return 1
		fi
	done
}

# Checks one up/down cycle with tb up arguments <args...>.
updown() {
	local desc=$1 id left ns pid
	local -a pids=()
	shift
	tt_tb 60 up --lifetime 120 "$@"
	tb_check_eq "$desc: tb up exits 0" "$TT_RC" 0
	id=$(tt_current)
	if [[ -z "$id" ]]; then
		tb_fail "$desc: tb up records the current testbed"
		return 0
	fi
	mapfile -t pids < <(awk '{ print $1 }' "$TT_ROOT/$id/pids")
	tt_tb 20 status
	tb_check_eq "$desc: tb status exits 0" "$TT_RC" 0
	tt_tb 10 exec client ip -br addr show eth0
	tb_check_eq "$desc: tb exec client works" "$TT_RC" 0
	tt_tb 60 down
	tb_check_eq "$desc: tb down exits 0" "$TT_RC" 0
	ns=$(ip netns list | grep -c "^$id-" || true)
	tb_check_eq "$desc: namespaces named $id-* left" "$ns" 0
	# Orphans are reaped by init in its own time: a zombie is not running.
	wait_for 5 "recorded processes to end" no_live_pid "${pids[@]}" || true
	left=''
	for pid in "${pids[@]}"; do
		if is_live "$pid"; then
			left+="$pid "
		fi
	done
	tb_check_eq "$desc: recorded processes still running" "${left:-none}" none
	tb_check "$desc: state dir $TT_ROOT/$id removed" test ! -e "$TT_ROOT/$id"
	tt_tb 30 down
	tb_check_eq "$desc: a second tb down exits 0" "$TT_RC" 0
}

main() {
	tt_begin
	updown "DR echo" --mode dr
	updown "NAT echo" --mode nat --backends 3 --weights 1,1,2
	if [[ -x bin/ticketd && -x bin/ticketctl ]]; then
		updown "DR ticketd" --mode dr --app ticketd --hc
		updown "NAT ticketd" --mode nat --app ticketd
	else
		printf 'note: bin/ticketd not built; ticketd cycles not run\n'
	fi
	tb_summary && exit 0
	exit 1
}

main "$@"
