#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One HTTP/1.0 exchange on stdin/stdout, run by socat (EXEC, one per
# connection) on each real server until ticketd replaces it. Reads the whole
# request head first, so closing never resets a connection with unread data,
# then answers 200 (405 for other than GET or HEAD) with the body "<name> <local ip:port> <peer ip:port>": the
# tests count backends by the first word and check the addresses each real
# server saw (VIP in DR, its own address in NAT; the client's in both).
set -euo pipefail

name=${1:?usage: http-responder.sh NAME}
line=''
if ! IFS= read -r -t 3 line; then
	exit 0
fi
for ((i = 0; i < 100; i++)); do
	hdr=''
	IFS= read -r -t 3 hdr || break
	hdr=${hdr%$'\r'}
	[[ -n "$hdr" ]] || break
done
status='200 OK'
if [[ "$line" != GET\ * && "$line" != HEAD\ * ]]; then
	status='405 Method Not Allowed'
fi
body=$(printf '%s %s:%s %s:%s' "$name" "${SOCAT_SOCKADDR:-?}" \
	"${SOCAT_SOCKPORT:-?}" "${SOCAT_PEERADDR:-?}" "${SOCAT_PEERPORT:-?}")
body+=$'\n'
printf 'HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
	"$status" "${#body}" "$body"
