import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * wrk (apt-get install wrk) driving a mix of authenticated reads and writes, and its summary as numbers.
 * The Lua script rotates over the given sessions; each wrk thread counts on its own, so the mix is per
 * thread: 1/4 stock adjustments (+1 and -1 alternately, so stock never runs out), 3/4 reads (list, one
 * item, summary).
 */
export interface WrkSession {
  cookie: string;
  csrf: string;
  itemId: string;
}

export interface WrkResult {
  requests: number;
  durationUs: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  p50Us: number;
  p99Us: number;
  maxUs: number;
  requestsPerSecond: number;
}

const luaString = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

export function writeMixScript(dir: string, sessions: WrkSession[]): string {
  const table = sessions
    .map((s) => `  { cookie = ${luaString(s.cookie)}, csrf = ${luaString(s.csrf)}, item = ${luaString(s.itemId)} }`)
    .join(',\n');
  const script = `
local sessions = {
${table}
}
local n = 0
request = function()
  n = n + 1
  local s = sessions[(n % #sessions) + 1]
  local k = n % 4
  if k == 0 then
    local body = (n % 8 == 0) and '{"delta":1,"reason":"received"}' or '{"delta":-1,"reason":"sold"}'
    return wrk.format("POST", "/api/items/" .. s.item .. "/adjustments",
      { ["Cookie"] = s.cookie, ["X-CSRF-Token"] = s.csrf, ["Content-Type"] = "application/json" }, body)
  elseif k == 1 then
    return wrk.format("GET", "/api/items?limit=20", { ["Cookie"] = s.cookie })
  elseif k == 2 then
    return wrk.format("GET", "/api/items/" .. s.item, { ["Cookie"] = s.cookie })
  end
  return wrk.format("GET", "/api/inventory/summary", { ["Cookie"] = s.cookie })
end
done = function(summary, latency, requests)
  io.write(string.format('WRK_JSON {"requests":%d,"durationUs":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"p50Us":%d,"p99Us":%d,"maxUs":%d}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
`;
  const file = join(dir, 'mix.lua');
  writeFileSync(file, script);
  return file;
}

export function runWrk(url: string, script: string, opts: { seconds: number; connections: number; threads: number }): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const args = [
      '-t',
      String(opts.threads),
      '-c',
      String(opts.connections),
      '-d',
      `${opts.seconds}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      url,
    ];
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', (err) => reject(new Error(`wrk: ${err.message} (apt-get install -y wrk)`)));
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk exited ${code}:\n${out}`));
      const r = JSON.parse(line.slice('WRK_JSON '.length)) as Omit<WrkResult, 'requestsPerSecond'>;
      resolve({ ...r, requestsPerSecond: r.requests / (r.durationUs / 1e6) });
    });
  });
}
