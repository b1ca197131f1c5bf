-- wrk script: POST bench/payload.json to /webhooks/dbt with the signature given by the runner (bench/Runner).
-- BENCH_BODY_FILE: the body; BENCH_SIGNATURE: the hex HMAC-SHA256 sent as Authorization.
local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_SIGNATURE")

-- One machine-readable line, read by bench/Runner/Load.cs:
-- BENCH requests duration-µs p50-µs p99-µs p99.9-µs answers-with-status>399 socket-errors
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.status, e.connect + e.read + e.write + e.timeout))
end
