import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { rootCertificates } from 'node:tls';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, setGlobalDispatcher } from 'undici';
import { freePort, waitForPort } from './ports.js';
import { logTail, registerTempDir, removeTempDir, runCommand, spawnDaemon, stopDaemon } from './processes.js';

/**
 * HAProxy in front of three app instances, run from the shipped deploy/haproxy.cfg itself — the file
 * docs/operations.md tells operators to use — so the documented configuration is the tested one. Only
 * its placeholders are filled in (HAProxy expands "${NAME}" from the environment): the listening
 * addresses, a throwaway certificate for 127.0.0.1, and the three backends. TLS ends at HAProxy, round
 * robin, no stickiness, client forwarding headers replaced by its own, /metrics and /docs refused.
 *
 * The test process is made to trust that certificate (undici's global dispatcher, which Node's fetch
 * uses), so `fetch(proxy.url)` and TestClient work against the HTTPS frontend unchanged.
 */
export interface Haproxy {
  /** https://127.0.0.1:PORT, the public (TLS) frontend. */
  readonly url: string;
  readonly port: number;
  /** http://127.0.0.1:PORT, the plain-HTTP listener (redirects only). */
  readonly redirectUrl: string;
  readonly configFile: string;
  /** HAProxy's own log (access lines, health-check state changes). */
  logText(): string;
  stop(): Promise<void>;
}

export interface Backend {
  host: string;
  port: number;
}

const BIN = process.env.HAPROXY_BIN ?? 'haproxy';
export const SHIPPED_CONFIG = fileURLToPath(new URL('../../deploy/haproxy.cfg', import.meta.url));
/** The `server` lines of the shipped file: STOCKADE_BACKEND_1..3. */
export const SHIPPED_BACKENDS = 3;

export async function missingHaproxy(): Promise<string | undefined> {
  try {
    await runCommand(BIN, ['-v'], { timeoutMs: 10000 });
    return undefined;
  } catch {
    return `${BIN} not found: install it with \`apt-get install -y haproxy\` (Debian 12)`;
  }
}

/** The placeholders of deploy/haproxy.cfg, filled in for a local run. */
export function haproxyEnvironment(ports: { public: number; redirect: number }, certPem: string, backends: readonly Backend[]) {
  if (backends.length !== SHIPPED_BACKENDS) throw new Error(`deploy/haproxy.cfg names ${SHIPPED_BACKENDS} servers, got ${backends.length}`);
  return {
    STOCKADE_PUBLIC_BIND: `127.0.0.1:${ports.public}`,
    STOCKADE_REDIRECT_BIND: `127.0.0.1:${ports.redirect}`,
    STOCKADE_TLS_CERT: certPem,
    ...Object.fromEntries(backends.map((b, i) => [`STOCKADE_BACKEND_${i + 1}`, `${b.host}:${b.port}`])),
  };
}

/** A self-signed certificate for 127.0.0.1 in HAProxy's form (certificate then key, one file); the certificate's PEM. */
function throwawayCertificate(dir: string): { pemFile: string; cert: string } {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const cert = readFileSync(certFile, 'utf8');
  const pemFile = join(dir, 'haproxy.pem');
  writeFileSync(pemFile, cert + readFileSync(keyFile, 'utf8'), { mode: 0o600 });
  return { pemFile, cert };
}

const trusted: string[] = [];
/** Node's fetch (and undici's) trusts the public roots plus every test certificate made so far. */
function trustCertificate(cert: string): void {
  trusted.push(cert);
  setGlobalDispatcher(new Agent({ connect: { ca: [...rootCertificates, ...trusted] } }));
}

export async function startHaproxy(backends: readonly Backend[]): Promise<Haproxy> {
  const missing = await missingHaproxy();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), 'stockade-haproxy-'));
  registerTempDir(dir);
  const logFile = join(dir, 'haproxy.log');
  const { pemFile, cert } = throwawayCertificate(dir);
  trustCertificate(cert);
  for (let attempt = 1; ; attempt++) {
    const ports = { public: await freePort(), redirect: await freePort() };
    const env = { PATH: process.env.PATH ?? '', ...haproxyEnvironment(ports, pemFile, backends) };
    // -db: stay in the foreground, so the process we hold is the one serving.
    const daemon = spawnDaemon(BIN, ['-db', '-f', SHIPPED_CONFIG], { logFile, cwd: dir, env, killSignal: 'SIGKILL' });
    // Both settle to a value (never reject), so the loser of the race cannot become an unhandled rejection.
    const failure = await Promise.race([
      Promise.all([waitForPort(ports.public, 10000), waitForPort(ports.redirect, 10000)]).then(
        () => undefined,
        (err: Error) => err,
      ),
      daemon.exited.then((code) => new Error(`haproxy exited (${code}) before listening`)),
    ]);
    if (failure) {
      await stopDaemon(daemon, 'SIGKILL');
      const bindFailed = /cannot bind|address already in use/i.test(logTail(logFile, 10));
      if (bindFailed && attempt < 3) continue;
      removeTempDir(dir);
      throw new Error(`${failure.message}\n--- ${logFile} ---\n${logTail(logFile)}`);
    }
    let stopped = false;
    return {
      url: `https://127.0.0.1:${ports.public}`,
      port: ports.public,
      redirectUrl: `http://127.0.0.1:${ports.redirect}`,
      configFile: SHIPPED_CONFIG,
      logText: () => readFileSync(logFile, 'utf8'),
      async stop() {
        if (stopped) return;
        stopped = true;
        // SIGUSR1 is haproxy's soft stop (finish requests in flight); SIGTERM is immediate.
        await stopDaemon(daemon, 'SIGTERM', 5000);
        removeTempDir(dir);
      },
    };
  }
}
