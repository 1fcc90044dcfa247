-- wrk script: replay pre-signed provider webhooks (one per line of BENCH_FILE:
-- header name, header value, content type and body, tab-separated); each thread takes
-- every Nth line, so no two requests carry the same message. Prints p50/p95/p99.
local threads_total = tonumber(os.getenv("BENCH_THREADS") or "2")
local thread_no = 0

function setup(thread)
  thread_no = thread_no + 1
  thread:set("tid", thread_no)
end

function init(args)
  path = os.getenv("BENCH_PATH")
  lines = {}
  local n = 0
  for line in io.lines(os.getenv("BENCH_FILE")) do
    n = n + 1
    if n % threads_total == tid - 1 then table.insert(lines, line) end
  end
  position = 0
end

function request()
  position = position % #lines + 1
  local name, value, ctype, body = lines[position]:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
  return wrk.format("POST", path, {[name] = value, ["Content-Type"] = ctype}, body)
end

function response(status, headers, body)
  if status >= 300 then
    bad = (bad or 0) + 1
    if bad < 3 then io.write("unexpected status " .. status .. ": " .. body:sub(1, 200) .. "\n") end
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
