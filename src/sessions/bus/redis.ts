import { Redis } from 'ioredis';
import { baseOptions, parseRedisUrl, type RedisClient } from '../../redis/connection.js';
import { BaseBus } from './bus.js';

/**
 * Revocations over Redis pub/sub. Publishing goes through the shared command client (standalone or
 * cluster). Receiving uses a dedicated connection that this class manages itself, because "is the
 * subscription alive right now" is exactly what the local cache's honesty depends on:
 *
 * - On a cluster, plain PUBLISH is broadcast by the cluster bus to every node, so subscribing on any one
 *   node hears every message (sharded pub/sub would confine a channel to one shard: no gain for one
 *   low-volume channel). When the node we listen on goes away we move to the next seed.
 * - The bus is up only after SUBSCRIBE is acknowledged, and down the moment the connection closes
 *   (a CLIENT KILL, a restart, a reset) or a heartbeat PING goes unanswered for `heartbeatMs` (a silent
 *   network partition). Up to one heartbeat of messages can be lost in a silent partition before we
 *   notice; renewal's conditional write to PostgreSQL bounds the damage (docs/operations.md).
 * - No automatic reconnect inside ioredis: we reconnect ourselves, and only a fresh SUBSCRIBE makes the
 *   bus up again, so there is no window in which we believe we are subscribed while we are not.
 */

export interface RedisBusOptions {
  /** Nodes to subscribe through (REDIS_URL: one server, or any/all nodes of a cluster). */
  urls: readonly string[];
  channel: string;
  /** The command client; PUBLISH goes through it. */
  publisher: RedisClient;
  /** Milliseconds between heartbeats, and how long a heartbeat may take. */
  heartbeatMs?: number;
  /** CLIENT SETNAME of the subscriber connection. */
  name?: string;
}

export class RedisBus extends BaseBus {
  readonly kind = 'redis' as const;
  private sub: Redis | undefined;
  private subId: number | undefined;
  private nextUrl = 0;
  private attempts = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private readonly heartbeatMs: number;

  constructor(private readonly opts: RedisBusOptions) {
    super();
    if (opts.urls.length === 0) throw new Error('RedisBus: no URL');
    this.heartbeatMs = opts.heartbeatMs ?? 1000;
    void this.connect();
  }

  /** The subscriber's CLIENT ID on its server (tests cut exactly this connection). */
  subscriberId(): { id: number; url: string } | null {
    const sub = this.sub;
    if (!sub || !this.up || this.subId === undefined) return null;
    return { id: this.subId, url: `redis://${sub.options.host}:${sub.options.port}` };
  }

  protected async send(payload: string): Promise<void> {
    await this.opts.publisher.publish(this.opts.channel, payload);
  }

  override async close(): Promise<void> {
    await super.close();
    clearTimeout(this.reconnect);
    clearInterval(this.heartbeat);
    const sub = this.sub;
    this.sub = undefined;
    sub?.disconnect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const u = parseRedisUrl(this.opts.urls[this.nextUrl++ % this.opts.urls.length]!);
    const sub = new Redis({
      ...baseOptions({ commandTimeoutMs: this.heartbeatMs, ...(this.opts.name ? { name: this.opts.name } : {}) }),
      host: u.host,
      port: u.port,
      ...(u.username ? { username: u.username } : {}),
      ...(u.password ? { password: u.password } : {}),
      ...(u.tls ? { tls: {} } : {}),
      lazyConnect: true,
      retryStrategy: () => null,
      autoResubscribe: false,
      autoResendUnfulfilledCommands: false,
    });
    this.sub = sub;
    sub.on('error', () => {});
    sub.on('close', () => this.lost(sub));
    sub.on('end', () => this.lost(sub));
    sub.on('message', (channel: string, message: string) => {
      if (channel === this.opts.channel) this.deliver(message);
    });
    try {
      await sub.connect();
      // Asked before SUBSCRIBE: in subscriber mode only (un)subscribe and PING are allowed.
      this.subId = Number(await sub.call('CLIENT', 'ID'));
      await sub.subscribe(this.opts.channel);
    } catch {
      this.lost(sub);
      return;
    }
    if (this.sub !== sub || this.closed) return;
    this.attempts = 0;
    this.setUp(true);
    this.heartbeat = setInterval(() => {
      sub.ping().catch(() => this.lost(sub));
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private lost(sub: Redis): void {
    if (this.sub !== sub) return;
    this.sub = undefined;
    clearInterval(this.heartbeat);
    sub.removeAllListeners('message');
    sub.disconnect();
    this.setUp(false);
    if (this.closed) return;
    const delay = Math.min(50 * 2 ** Math.min(this.attempts++, 5), 1000);
    this.reconnect = setTimeout(() => void this.connect(), delay);
    this.reconnect.unref();
  }
}
