import { BaseBus } from './bus.js';

/**
 * The in-process bus, for the embedded database (PGlite): one process owns the database, so every
 * session store that can see it lives in this process. Stores built over the same database object
 * (`scope`) share one hub, so two app instances over one PGlite (as some tests run them) still hear
 * each other. Always up.
 */
const hubs = new WeakMap<object, Set<LocalBus>>();

export class LocalBus extends BaseBus {
  readonly kind = 'local' as const;
  private readonly hub: Set<LocalBus>;

  constructor(scope: object) {
    super();
    let hub = hubs.get(scope);
    if (!hub) {
      hub = new Set();
      hubs.set(scope, hub);
    }
    this.hub = hub;
    hub.add(this);
    this.setUp(true);
  }

  protected async send(payload: string): Promise<void> {
    for (const bus of this.hub) bus.deliver(payload);
  }

  override async close(): Promise<void> {
    this.hub.delete(this);
    await super.close();
  }
}
