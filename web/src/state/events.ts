/**
 * One event stream (GET /api/events) per browser, shared by its tabs. Browsers allow ~6 HTTP/1.1
 * connections per host; a stream per tab would starve the tabs' own requests.
 *
 * Leader election by the Web Locks API: every signed-in tab asks for the lock `stockade-events`; the
 * one holding it opens the stream and relays each event on the BroadcastChannel `stockade-events`, and
 * the others listen there. When the holder closes (or signs out) its lock is released and a waiting tab
 * takes over, opening its own stream. Without Web Locks (a plain-HTTP origin that is not a secure
 * context), each tab holds its own stream.
 *
 * A stream that drops is reopened with backoff (1 s doubling to 30 s, with jitter), while this tab is
 * signed in; after `session.ended` it is not (the session is over).
 */

export type StreamMessage =
  | { readonly type: 'session.ended'; readonly reason: string }
  | { readonly type: 'shop.changed'; readonly shopId: string; readonly reason: string };

const LOCK = 'stockade-events';
const CHANNEL = 'stockade-events';
const MAX_BACKOFF_MS = 30_000;

export class SharedEvents {
  private channel: BroadcastChannel | null = null;
  private releaseLock: (() => void) | null = null;
  private source: EventSource | null = null;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private backoff = 1000;
  private running = false;

  constructor(private readonly onMessage: (m: StreamMessage) => void) {}

  /** Signed in: take part (lead, or listen to the leader). Idempotent. */
  start(): void {
    if (this.running) return;
    this.running = true;
    if (typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel(CHANNEL);
      this.channel.onmessage = (e: MessageEvent<StreamMessage>) => this.deliver(e.data, false);
    }
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
    if (!locks || !this.channel) {
      this.connect();
      return;
    }
    void locks.request(LOCK, () => {
      if (!this.running) return undefined;
      this.connect();
      // Held until stop(): the promise resolves when this tab stops leading.
      return new Promise<void>((release) => {
        this.releaseLock = release;
      });
    });
  }

  /** Signed out (or the session ended): close the stream, give up the lead, stop listening. */
  stop(): void {
    this.running = false;
    clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
    this.releaseLock?.();
    this.releaseLock = null;
    this.channel?.close();
    this.channel = null;
    this.backoff = 1000;
  }

  /**
   * Tells this browser's other tabs, not this one (this tab's own sign-out: the others must not wait for
   * the server's word, which the stream this tab may hold would no longer carry).
   */
  tellOthers(m: StreamMessage): void {
    if (this.channel) this.channel.postMessage(m);
    else if (typeof BroadcastChannel !== 'undefined') {
      const once = new BroadcastChannel(CHANNEL);
      once.postMessage(m);
      once.close();
    }
  }

  private connect(): void {
    if (!this.running) return;
    const source = new EventSource('/api/events');
    this.source = source;
    const relay = (type: StreamMessage['type']) => (e: MessageEvent<string>) => {
      let data: Record<string, unknown>;
      try {
        data = JSON.parse(e.data) as Record<string, unknown>;
      } catch {
        return;
      }
      const m = { ...data, type } as StreamMessage;
      this.deliver(m, true);
    };
    source.addEventListener('session.ended', relay('session.ended'));
    source.addEventListener('shop.changed', relay('shop.changed'));
    source.onopen = () => {
      this.backoff = 1000;
    };
    // EventSource retries by itself after a dropped connection, but gives up for good on an answer
    // that is not a stream (401, 503): we close it and reopen with our own backoff either way.
    source.onerror = () => {
      source.close();
      if (this.source !== source || !this.running) return;
      this.source = null;
      const wait = this.backoff * (0.75 + Math.random() * 0.5);
      this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
      this.retry = setTimeout(() => this.connect(), wait);
    };
  }

  private deliver(m: StreamMessage, fromStream: boolean): void {
    if (fromStream) this.channel?.postMessage(m);
    this.onMessage(m);
  }
}
