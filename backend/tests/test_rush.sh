#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rush: more buyers than tickets across 3 ticketd processes (2 loops each,
# so 6 leases) sell every ticket exactly once, one order per user.
#
#   6 curl buyers --> ticketd n1, n2, n3 (2 threads each) --> redis-server
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=backend/tests/lib.sh
. backend/tests/lib.sh
trap tk_cleanup EXIT INT TERM
tk_require redis-server redis-cli curl ss timeout

readonly TOTAL=300
readonly ROUNDS=10

main() {
	local rport p1 p2 p3 out round sold ok orders uniq port
	rport=$(tk_free_port)
	p1=$(tk_free_port)
	p2=$(tk_free_port)
	p3=$(tk_free_port)
	out="$TK_TMP/out"
	mkdir -p "$out"
	tk_start_redis "$rport"
	tk_check "init a sale of $TOTAL" tk_ctl "$rport" init --total "$TOTAL" --ttl 600
	tk_check "init refuses to overwrite a running sale" \
		bash -c "! timeout 10 $TK_BIN/ticketctl --redis 127.0.0.1:$rport init --total 5 --ttl 5"
	tk_start_ticketd n1 "$p1" "$rport" --threads=2 --quota 20
	tk_start_ticketd n2 "$p2" "$rport" --threads=2 --quota 20
	tk_start_ticketd n3 "$p3" "$rport" --threads=2 --quota 20

	# One ticket per user: a winner buying again, on another node, gets
	# its own order back (while stock remains; once a loop's quota is
	# empty it answers sold_out without asking Redis).
	local first order
	first=$(curl -s -m 5 -X POST "http://127.0.0.1:$p1/buy?user=early_1")
	order=$(grep -o '"order":"[0-9]*"' <<<"$first" | cut -d'"' -f4 || true)
	tk_check "an early buyer wins" test -n "$order"
	tk_eq "buying again on another node: duplicate + same order" \
		"{\"status\":\"duplicate\",\"order\":\"$order\"}" \
		"$(curl -s -m 5 -X POST "http://127.0.0.1:$p2/buy?user=early_1")"

	# One user racing itself: 30 concurrent buys over the 3 nodes make
	# exactly one order; every other answer is that same order.
	local i pids=() twin
	for i in $(seq 1 30); do
		port=$p1
		[ $((i % 3)) -eq 1 ] && port=$p2
		[ $((i % 3)) -eq 2 ] && port=$p3
		timeout 10 curl -s -m 5 -X POST "http://127.0.0.1:$port/buy?user=twin" \
			>"$TK_TMP/twin-$i.out" &
		pids+=("$!")
	done
	for i in "${pids[@]}"; do
		wait "$i" || true
	done
	twin=$(cat "$TK_TMP"/twin-*.out)
	tk_eq "a user racing itself wins once" 1 "$(grep -c '"ok"' <<<"$twin" || true)"
	tk_eq "... and every answer names the same order" 1 \
		"$(grep -o '"order":"[0-9]*"' <<<"$twin" | sort -u | wc -l)"
	tk_eq "... with no other answer" 30 \
		"$(grep -c '"ok"\|"duplicate"' <<<"$twin" || true)"

	# 6 buyers x 200 users per round: 1200 users for 300 tickets. Later
	# rounds sell what idle leases returned; bounded in count and time.
	TK_USERS_PER=200
	for round in $(seq 1 "$ROUNDS"); do
		tk_buyers "$out" "$round" "$p1" "$p2" "$p3" "$p1" "$p2" "$p3"
		sold=$(tk_sold "$rport")
		[ "$sold" -ge "$TOTAL" ] && break
		# Unsold tickets sit in leases of loops that got no traffic;
		# they come back after two idle heartbeats.
		tk_wait "leases to return" 5 bash -c \
			"[ \"\$(redis-cli -p $rport GET tk:remaining)\" -gt 0 ]" || true
	done
	sold=$(tk_sold "$rport")
	ok=$(($(tk_count "$out" '"status":"ok"') + 2))
	orders=$( (tk_orders "$out"; echo "$order"; echo twin) | wc -l)
	uniq=$( (tk_orders "$out"; echo "$order"; echo twin) | sort -u | wc -l)
	tk_eq "sold == total" "$TOTAL" "$sold"
	tk_eq "buyers saw exactly total successes (early one and twin included)" "$TOTAL" "$ok"
	tk_eq "every order id is distinct" "$orders" "$uniq"
	tk_eq "no 503 while Redis is up" 0 "$(tk_count "$out" unavailable)"
	tk_check "report: every invariant holds" tk_ctl "$rport" report
	tk_eq "report --json: sold" "$TOTAL" \
		"$(tk_ctl "$rport" report --json | tk_field sold)"
	tk_eq "report --json: remaining" 0 \
		"$(tk_ctl "$rport" report --json | tk_field remaining)"

	tk_eq "a loser after the sale gets sold_out" '{"status":"sold_out"}' \
		"$(curl -s -m 5 -X POST "http://127.0.0.1:$p3/buy?user=late_1")"
	# The audit catches corruption and names the broken invariant.
	local rep rc other
	redis-cli -p "$rport" INCR tk:sold >/dev/null
	rc=0
	rep=$(tk_ctl "$rport" report 2>&1) || rc=$?
	tk_eq "report exits 1 on a broken stock invariant" 1 "$rc"
	tk_check "... and names it" grep -q 'INVARIANT BROKEN: stock' <<<"$rep"
	redis-cli -p "$rport" DECR tk:sold >/dev/null
	other=$(tk_orders "$out" | head -n 1)
	redis-cli -p "$rport" HSET "tk:order:$other" user early_1 >/dev/null
	rc=0
	rep=$(tk_ctl "$rport" report --json 2>&1) || rc=$?
	tk_eq "report exits 1 when a user holds two orders" 1 "$rc"
	tk_check "... and names it in JSON" grep -q '"ok":false,"broken":\[.*one order per user' <<<"$rep"

	tk_check "init --force replaces the sale" \
		tk_ctl "$rport" init --total 5 --ttl 60 --force
	tk_eq "the new sale has the new total" 5 \
		"$(tk_ctl "$rport" report --json | tk_field total)"
	tk_eq "the new sale has no orders" 0 \
		"$(tk_ctl "$rport" report --json | tk_field orders)"
	tk_summary
}

main "$@"
