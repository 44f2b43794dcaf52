-- Sign-in storm: wrk -s login.lua URL -- <path> <body-file>
-- The body file holds one JSON body per line ({"username":…,"password":…}); requests rotate over them.
local dir = debug.getinfo(1, 'S').source:sub(2):match('(.*/)')
dofile(dir .. 'report.lua')

local reqs = {}
local n = 0

function init(args)
  local path, file = args[1], args[2]
  for line in io.lines(file) do
    if #line > 0 then
      reqs[#reqs + 1] = wrk.format('POST', path, { ['Content-Type'] = 'application/json' }, line)
    end
  end
  n = math.random(#reqs)
end

function request()
  n = n % #reqs + 1
  return reqs[n]
end

done = bench_report
