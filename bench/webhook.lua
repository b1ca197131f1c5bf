-- wrk script: POST bench/payload.json to /webhooks/dbt with the signature given by the driver (bench/run.sh).
-- BENCH_BODY_FILE: the body; BENCH_SIGNATURE: the hex HMAC-SHA256 sent as Authorization.
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_SIGNATURE")

-- One machine-readable line: req/s p50 p99 p99.9 (ms) non-2xx socket-errors
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %.1f %.3f %.3f %.3f %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
