import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * One place that turns REDIS_URL into a client: one URL is a standalone server (`Redis`), several
 * comma-separated URLs are seeds of a Redis Cluster (`Cluster`). Every option here is chosen so that a
 * dead or unreachable Redis fails a command fast instead of holding a request: no offline queue (a
 * command while disconnected is an immediate error, not a wait), one try per command, a short command
 * timeout (a black-holed server answers nothing at all), a short connect timeout. Callers treat every
 * Redis error as "Redis is not there right now" and fall back to PostgreSQL.
 */

export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  /** Milliseconds a command may take before it fails (and the caller falls back). */
  commandTimeoutMs: number;
  /** CLIENT SETNAME, so operators (and tests) can find a connection in CLIENT LIST. */
  name?: string;
}

export interface ParsedRedisUrl {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  tls: boolean;
}

export function parseRedisUrl(raw: string): ParsedRedisUrl {
  const url = new URL(raw);
  const db = url.pathname.replace(/^\//, '');
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : 6379,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    tls: url.protocol === 'rediss:',
  };
}

/** Options shared by standalone connections and cluster node connections. */
export function baseOptions(opts: RedisConnectionOptions): RedisOptions {
  return {
    commandTimeout: opts.commandTimeoutMs,
    // A connection that has commands outstanding and hears nothing is dead (a silent partition, a peer
    // that vanished): destroy it so the client reconnects, instead of timing out command after command
    // on a socket TCP keepalive would only give up on after minutes.
    socketTimeout: Math.max(1000, opts.commandTimeoutMs * 2),
    connectTimeout: Math.max(1000, opts.commandTimeoutMs * 2),
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    // RESP2: the replies (Lua tables, scores, pub/sub frames) have the shapes this code is written for.
    protocol: 2,
    // The server side never needs to know our library version, and older servers reject CLIENT SETINFO.
    disableClientInfo: true,
    ...(opts.name ? { connectionName: opts.name } : {}),
  };
}

/** Reconnect quickly at first, then every 2 s: the breaker above decides when Redis is trusted again. */
function retry(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 6), 2000);
}

function standaloneOptions(u: ParsedRedisUrl, opts: RedisConnectionOptions): RedisOptions {
  return {
    ...baseOptions(opts),
    host: u.host,
    port: u.port,
    ...(u.username ? { username: u.username } : {}),
    ...(u.password ? { password: u.password } : {}),
    ...(u.db !== undefined ? { db: u.db } : {}),
    ...(u.tls ? { tls: {} } : {}),
    retryStrategy: retry,
  };
}

/**
 * A client for REDIS_URL. Errors are emitted as events by ioredis; without a listener Node would treat
 * them as fatal, so one is attached here (the breaker and readiness checks see failures through the
 * commands themselves).
 */
export function createRedisClient(urls: readonly string[], opts: RedisConnectionOptions): RedisClient {
  if (urls.length === 0) throw new Error('createRedisClient: no URL');
  const parsed = urls.map(parseRedisUrl);
  let client: RedisClient;
  if (parsed.length === 1) {
    client = new Redis(standaloneOptions(parsed[0]!, opts));
  } else {
    const first = parsed[0]!;
    const { host: _h, port: _p, retryStrategy: _r, enableOfflineQueue: _e, ...nodeOptions } = standaloneOptions(first, opts);
    client = new Cluster(
      parsed.map((u) => ({ host: u.host, port: u.port })),
      {
        redisOptions: nodeOptions,
        enableOfflineQueue: false,
        clusterRetryStrategy: retry,
        // A node that went away is retried, so the cluster heals without a new client.
        clusterNodeRetryStrategy: retry,
        slotsRefreshTimeout: Math.max(1000, opts.commandTimeoutMs * 2),
        retryDelayOnClusterDown: 100,
        retryDelayOnFailover: 100,
        maxRedirections: 4,
      },
    );
  }
  client.on('error', () => {});
  return client;
}

/** The servers that hold data: the masters of a cluster, or the one standalone server. */
export function dataNodes(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}

/** Resolves when every data node answers PING within the command timeout; rejects otherwise. */
export async function pingAll(client: RedisClient): Promise<void> {
  if (client instanceof Cluster && client.status !== 'ready') throw new Error(`redis cluster ${client.status}`);
  const nodes = dataNodes(client);
  if (nodes.length === 0) throw new Error('redis: no data nodes');
  await Promise.all(nodes.map((n) => n.ping()));
}

/** Closes without waiting for a server that may be gone. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  try {
    await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 500).unref())]);
  } catch {
    // already closed or unreachable
  }
  client.disconnect();
}

/**
 * One identity per data node, "host:port=run_id". The run_id changes when a server restarts, which is
 * how the breaker learns that a node may have come back with an old snapshot.
 */
export async function nodeIdentities(client: RedisClient): Promise<string[]> {
  if (client instanceof Cluster && client.status !== 'ready') throw new Error(`redis cluster ${client.status}`);
  const nodes = dataNodes(client);
  if (nodes.length === 0) throw new Error('redis: no data nodes');
  return Promise.all(
    nodes.map(async (n) => {
      const info = await n.info('server');
      const runId = /run_id:(\w+)/.exec(info)?.[1];
      if (!runId) throw new Error('redis: INFO server without run_id');
      return `${n.options.host}:${n.options.port}=${runId}`;
    }),
  );
}

/**
 * Redis at its memory limit (maxmemory with noeviction, as docs/operations.md recommends) refuses writes
 * that would grow it, but answers everything else. That is "do not cache this", not "Redis is down":
 * callers give up on that one write quietly instead of taking Redis out of service. Deletes never hit it.
 */
export function isOutOfMemory(err: unknown): boolean {
  return err instanceof Error && err.message.includes('OOM command not allowed');
}
