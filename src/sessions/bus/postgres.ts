import pg from 'pg';
import type { Db } from '../../db/db.js';
import { BaseBus } from './bus.js';

/**
 * Revocations over PostgreSQL LISTEN/NOTIFY, for a PostgreSQL server without Redis. Listening needs a
 * connection of its own for as long as we listen (a pooled one would be handed to someone else), so
 * this class holds one dedicated `pg.Client`; NOTIFY goes through the ordinary pool (`db`).
 *
 * NOTIFY is per database, so two deployments (or two test databases) on one server never hear each
 * other. The bus is up only after LISTEN succeeded, and goes down on any error or end of the dedicated
 * connection, or when a heartbeat query does not answer within `heartbeatMs`; it then reconnects.
 */

export const NOTIFY_CHANNEL = 'stockade_revocations';

export interface PostgresBusOptions {
  url: string;
  db: Db;
  heartbeatMs?: number;
}

export class PostgresBus extends BaseBus {
  readonly kind = 'postgres' as const;
  private client: pg.Client | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private attempts = 0;
  private readonly heartbeatMs: number;

  constructor(private readonly opts: PostgresBusOptions) {
    super();
    this.heartbeatMs = opts.heartbeatMs ?? 1000;
    void this.connect();
  }

  /** The backend pid of the listening connection (tests terminate exactly this one). */
  get listenerPid(): number | undefined {
    return (this.client as unknown as { processID?: number } | undefined)?.processID;
  }

  protected async send(payload: string): Promise<void> {
    await this.opts.db.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, payload]);
  }

  override async close(): Promise<void> {
    await super.close();
    clearTimeout(this.reconnect);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.opts.url, connectionTimeoutMillis: 3000, keepAlive: true });
    this.client = client;
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (m) => {
      if (m.channel === NOTIFY_CHANNEL && m.payload) this.deliver(m.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    } catch {
      this.lost(client);
      return;
    }
    if (this.client !== client || this.closed) return;
    this.attempts = 0;
    this.setUp(true);
    this.heartbeat = setInterval(() => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('heartbeat timeout')), this.heartbeatMs);
      });
      Promise.race([client.query('SELECT 1'), timeout])
        .catch(() => this.lost(client))
        .finally(() => clearTimeout(timer));
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    clearInterval(this.heartbeat);
    client.removeAllListeners('notification');
    client.end().catch(() => {});
    this.setUp(false);
    if (this.closed) return;
    const delay = Math.min(50 * 2 ** Math.min(this.attempts++, 5), 1000);
    this.reconnect = setTimeout(() => void this.connect(), delay);
    this.reconnect.unref();
  }
}
