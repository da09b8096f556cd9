-- SPDX-License-Identifier: MIT
-- wrk script: POST /buy against a node whose local quota is empty, so every
-- answer is sold_out with no Redis call (the fast path).
wrk.method = "POST"
wrk.path = "/buy?user=late_user"

function done(summary, latency, requests)
   io.write(string.format("BENCH rps=%.0f p50_ms=%.3f p99_ms=%.3f non2xx=%d errors=%d requests=%d\n",
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      summary.errors.status, summary.errors.connect + summary.errors.read +
      summary.errors.write + summary.errors.timeout, summary.requests))
end
