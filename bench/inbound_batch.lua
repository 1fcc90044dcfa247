-- wrk script: POST batches of new customers' messages to /api/v1/inbound/batch (BENCH_BATCH
-- messages each, unique external ids); prints requests/s and p50/p95/p99 per batch.
local counter = 0
local thread_no = 0

function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
end

function init(args)
  token = os.getenv("BENCH_TOKEN")
  inbox = os.getenv("BENCH_INBOX")
  run = os.getenv("BENCH_RUN") or "r"
  size = tonumber(os.getenv("BENCH_BATCH") or "50")
end

local texts = {
  "Where is my order? It was due yesterday.",
  "\u{92e}\u{947}\u{930}\u{93e} \u{911}\u{930}\u{94d}\u{921}\u{930} \u{915}\u{939}\u{93e}\u{901} \u{939}\u{948}?",
  "O\u{f9} est ma commande ?",
}

function request()
  local items = {}
  for i = 1, size do
    counter = counter + 1
    items[i] = string.format(
      '{"inbox_id": %s, "sender": {"kind": "email", "address": "c%d-%d@bench.example", "name": "Bench %d"}, "subject": "Order", "text": "%s", "external_id": "%s-%d-%d", "thread_key": "t%d-%d"}',
      inbox, tid, counter % 2000, counter, texts[(counter % 3) + 1], run, tid, counter, tid, counter % 4000)
  end
  return wrk.format("POST", "/api/v1/inbound/batch",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token},
    '{"messages": [' .. table.concat(items, ",") .. ']}')
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"status": 4', 1, true) then
    bad = (bad or 0) + 1
    if bad < 3 then io.write("unexpected answer " .. status .. ": " .. body:sub(1, 200) .. "\n") end
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d seconds=%.1f rps=%.1f p50=%.2fms p95=%.2fms p99=%.2fms errors=%d non2xx=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
