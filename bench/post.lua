-- wrk script for every benchmark: POSTs with the headers the Segment SDKs send, the bodies taken from
--   BODY_FILE    one file, posted every time
--   BODY_FILES   several files (space-separated), posted in turn
--   BODIES_FILE  one body per line (NDJSON), posted in turn
-- ENCODING, when set, is sent as Content-Encoding (the body file is then already encoded).
-- done() prints one line, "RESULT name=value ...", that bench/lib.sh's load reads.
local bodies = {}
local function read(path)
  local f = assert(io.open(path, "rb"))
  local body = f:read("*a")
  f:close()
  return body
end
if os.getenv("BODY_FILE") and os.getenv("BODY_FILE") ~= "" then bodies[1] = read(os.getenv("BODY_FILE")) end
for path in string.gmatch(os.getenv("BODY_FILES") or "", "%S+") do bodies[#bodies + 1] = read(path) end
if os.getenv("BODIES_FILE") and os.getenv("BODIES_FILE") ~= "" then
  for line in io.lines(os.getenv("BODIES_FILE")) do bodies[#bodies + 1] = line end
end
assert(#bodies > 0, "no body: set BODY_FILE, BODY_FILES or BODIES_FILE")

wrk.method = "POST"
wrk.body = bodies[1]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Basic " .. os.getenv("AUTH")
if os.getenv("ENCODING") and os.getenv("ENCODING") ~= "" then wrk.headers["Content-Encoding"] = os.getenv("ENCODING") end

local next_body = 0
if #bodies > 1 then
  request = function()
    next_body = next_body % #bodies + 1
    return wrk.format(nil, nil, nil, bodies[next_body])
  end
end

function done(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99), summary.errors.status))
end
