#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Payment and expiry: with a 4 s payment TTL, paid orders stay sold (pay is
# idempotent), unpaid ones expire (order_expired on the stream), and their
# tickets are sold again through the running backends.
#
#   curl --> ticketd n1, n2 (sweepers in both) --> redis-server
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=backend/tests/lib.sh
. backend/tests/lib.sh
trap tk_cleanup EXIT INT TERM
tk_require redis-server redis-cli curl ss timeout

readonly TOTAL=10
readonly PAID=4

expired_is() {
	[ "$(redis-cli -p "$1" GET tk:expired)" = "$2" ]
}

pay() {
	curl -s -m 5 -X POST "http://127.0.0.1:$1/pay?order=$2&user=$3"
}

# Buys with fresh users on alternating nodes until sold reaches $3. With
# PAY=n, pays each of the first n orders right after buying it (so a slow
# machine cannot let them expire first) and records "order user" in
# $TK_TMP/paid.
buy_until() {
	local rport=$1 tag=$2 want=$3 p1=$4 p2=$5 i=0 port line order
	while [ "$(tk_sold "$rport")" -lt "$want" ] && [ "$i" -lt 400 ]; do
		i=$((i + 1))
		port=$p1
		[ $((i % 2)) -eq 0 ] && port=$p2
		line=$(curl -s -m 5 -X POST "http://127.0.0.1:$port/buy?user=${tag}_$i")
		echo "$line" >>"$TK_TMP/buy-$tag.out"
		if ! grep -q '"ok"' <<<"$line"; then
			# Sold out locally while a lease is on its way.
			sleep 0.05
			continue
		fi
		order=$(grep -o '"order":"[0-9]*"' <<<"$line" | cut -d'"' -f4)
		touch "$TK_TMP/paid"
		if [ "$(wc -l <"$TK_TMP/paid")" -lt "${PAY:-0}" ]; then
			echo "$order ${tag}_$i $(pay "$p1" "$order" "${tag}_$i")" \
				>>"$TK_TMP/paid"
		fi
	done
}

created() {
	redis-cli -p "$1" GET tk:seq
}

xcount() {
	redis-cli -p "$1" XRANGE tk:orders - + | grep -c "^$2\$" || true
}

main() {
	local rport p1 p2 line user order n=0 stream
	rport=$(tk_free_port)
	p1=$(tk_free_port)
	p2=$(tk_free_port)
	tk_start_redis "$rport"
	tk_check "init: $TOTAL tickets, 4 s to pay" \
		tk_ctl "$rport" init --total "$TOTAL" --ttl 4
	local opts=(--quota 5 --sweep-ms 200 --lease-ttl-ms 1500)
	tk_start_ticketd n1 "$p1" "$rport" "${opts[@]}"
	tk_start_ticketd n2 "$p2" "$rport" "${opts[@]}"

	PAY=$PAID buy_until "$rport" a "$TOTAL" "$p1" "$p2"
	tk_eq "first wave sells out" "$TOTAL" "$(tk_sold "$rport")"

	# The first $PAID orders were paid as they were bought; pay each
	# again on the other node (idempotent).
	while read -r order user line; do
		n=$((n + 1))
		tk_eq "pay order $order" "{\"status\":\"paid\",\"order\":\"$order\"}" \
			"$line"
		tk_eq "pay order $order again (idempotent, other node)" \
			"{\"status\":\"paid\",\"order\":\"$order\"}" \
			"$(pay "$p2" "$order" "$user")"
	done <"$TK_TMP/paid"
	tk_eq "orders paid" "$PAID" "$n"
	read -r order user _ <"$TK_TMP/paid"
	tk_eq "paying another user's order: not_found" '{"status":"not_found"}' \
		"$(pay "$p1" "$order" someone_else)"
	tk_eq "paying an unknown order: not_found" '{"status":"not_found"}' \
		"$(pay "$p1" 999999 "$user")"
	tk_eq "pay with a bad order id: 400" 400 \
		"$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST \
			"http://127.0.0.1:$p1/pay?order=abc&user=$user")"

	tk_check "unpaid orders expire" \
		tk_wait "expiry" 15 expired_is "$rport" $(($(created "$rport") - PAID))
	order=$(grep -m1 -o '"order":"[0-9]*"' <(grep '"status":"ok"' "$TK_TMP/buy-a.out" | tail -n 1) | cut -d'"' -f4)
	user=$(redis-cli -p "$rport" HGET "tk:order:$order" user)
	tk_eq "paying an expired order: 409 expired" 409 \
		"$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST \
			"http://127.0.0.1:$p1/pay?order=$order&user=$user")"
	tk_eq "after expiry: sold == paid" "$PAID" "$(tk_sold "$rport")"
	tk_check "report after expiry: invariants hold" tk_ctl "$rport" report

	buy_until "$rport" b "$TOTAL" "$p1" "$p2"
	tk_eq "expired tickets sold again through the backends" "$TOTAL" \
		"$(tk_sold "$rport")"
	stream=$(redis-cli -p "$rport" XLEN tk:orders)
	# Normally 16 created and 6 expired; a starved machine can let some
	# first-wave orders expire before the wave ends, so derive the counts.
	local made expired
	made=$(created "$rport")
	expired=$((made - TOTAL))
	tk_eq "stream: order_created events" "$made" \
		"$(xcount "$rport" order_created)"
	tk_eq "stream: order_expired events" "$expired" \
		"$(xcount "$rport" order_expired)"
	tk_eq "stream: order_paid events" "$PAID" "$(xcount "$rport" order_paid)"
	tk_eq "stream length" $((made + expired + PAID)) "$stream"
	tk_check "report: every invariant holds" tk_ctl "$rport" report
	tk_eq "report --json: paid" "$PAID" \
		"$(tk_ctl "$rport" report --json | tk_field paid)"
	tk_eq "report --json: expired" "$expired" \
		"$(tk_ctl "$rport" report --json | tk_field expired)"
	tk_summary
}

main "$@"
