#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Helpers for the tests that drive testbed/tb as a command (test_tb_*.sh,
# test_rush.sh, test_drill_*.sh): a private state root (TB_OUT) so a
# testbed the user has up is never touched, a trap that removes whatever
# the test left, and the PASS/FAIL bookkeeping of check.sh. Sourced.

set -euo pipefail

if [[ -n "${TB_TBTEST_LOADED:-}" ]]; then
	return 0
fi
TB_TBTEST_LOADED=1

# shellcheck source=testbed/lib/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/check.sh"

TT_TB="$TB_DIR/tb"
TT_ROOT=''

# EXIT trap: removes every testbed recorded under the private root, then
# the root; a test that died before its summary still ends with one.
tt_cleanup() {
	local rc=$?
	if [[ -n "$TT_ROOT" && -d "$TT_ROOT" ]]; then
		TB_OUT=$TT_ROOT timeout 60 "$TT_TB" down --all >/dev/null 2>&1 || true
		if [[ "${TB_KEEP:-0}" != 1 ]]; then
			rm -rf -- "$TT_ROOT" || true
		fi
	fi
	if [[ "$rc" == 4 ]]; then
		exit 4	# a skip: its reason is already the last line
	fi
	if [[ "$TB_SUMMARY_DONE" != 1 ]]; then
		tb_fail "test aborted (exit $rc) before its summary"
		tb_summary || true
		exit 1
	fi
}

# Root and tools first (exit 4 with the reason), then the private root and
# the traps. Arguments are more tools to require.
# shellcheck disable=SC2120 # callers pass extra tools or none.
tt_begin() {
	local missing
	tb_is_root || tb_skip "must run as root"
	missing=$(tb_missing_tools ip ethtool tcpdump curl socat timeout sysctl \
		awk ps od grep sed redis-server redis-cli "$@")
	[[ -z "$missing" ]] || tb_skip "missing tools: ${missing% }"
	[[ -x "${LBD:-bin/lbd}" ]] || tb_skip "${LBD:-bin/lbd} not built"
	TT_ROOT=$(mktemp -d /tmp/tb-test.XXXXXX)
	export TB_OUT=$TT_ROOT
	trap tt_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Runs tb <args...> under timeout <secs>, output indented to stdout (so its
# own PASS/FAIL lines are not this test's), status in TT_RC.
export TT_RC=0
tt_tb() {
	local secs=$1
	shift
	TT_RC=0
	timeout --kill-after=5 "$secs" "$TT_TB" "$@" >"$TT_ROOT/tb.out" 2>&1 || TT_RC=$?
	sed 's/^/    | /' "$TT_ROOT/tb.out"
}

# Prints the current testbed id under the private root, or nothing.
tt_current() {
	if [[ -f "$TT_ROOT/current" ]]; then
		cat "$TT_ROOT/current"
	fi
}
