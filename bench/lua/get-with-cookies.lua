-- Authenticated GET: wrk -s get-with-cookies.lua URL -- <path> <cookie-file>
-- The cookie file holds one Cookie header value per line (one signed-in session each). Requests are
-- pre-built once and rotated, so the load generator spends its time sending, not formatting.
local dir = debug.getinfo(1, 'S').source:sub(2):match('(.*/)')
dofile(dir .. 'report.lua')

local reqs = {}
local n = 0

function init(args)
  local path, file = args[1], args[2]
  for line in io.lines(file) do
    if #line > 0 then
      reqs[#reqs + 1] = wrk.format('GET', path, { ['Cookie'] = line })
    end
  end
  -- Threads start at different sessions so connections spread over all of them.
  n = math.random(#reqs)
end

function request()
  n = n % #reqs + 1
  return reqs[n]
end

done = bench_report
