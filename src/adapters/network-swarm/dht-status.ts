import type HyperDHT from 'hyperdht';

export type DhtReachability = 'online' | 'offline';

const EVENTS = ['add-node', 'remove-node', 'network-update', 'ready'] as const;

/**
 * Whether the DHT is usable, as a stream of changes.
 *
 * dht-rpc's own flags do not answer this: `bootstrapped` turns true after the first bootstrap
 * query even if no node ever answered (6 s for a silent bootstrap address, 12 s for the public
 * ones without DNS), and `online` starts true and is only revised by its health check, which
 * needs 4 ticks of 5 s with traffic. So: online = the routing table holds at least one node
 * that answered and health has not declared the network down; offline = not online, once
 * `offlineAfterMs` has passed since start (or bootstrap finished). Nodes are added the moment
 * a bootstrap node answers and removed when pings time out, which drives the later changes.
 *
 * The first verdict is always reported (the status was undecided, reported as 'offline');
 * after that only real changes.
 */
export class DhtStatusTracker {
  private verdict: DhtReachability | null = null;
  private waited = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly check = (): void => this.evaluate();
  private settleFirst: (status: DhtReachability) => void = () => {};
  /** Resolves with the first verdict (never, if stopped before one). */
  readonly firstVerdict = new Promise<DhtReachability>((resolve) => {
    this.settleFirst = resolve;
  });

  constructor(
    private readonly dht: HyperDHT,
    private readonly offlineAfterMs: number,
    private readonly onChange: (status: DhtReachability) => void,
  ) {}

  get status(): DhtReachability {
    return this.verdict ?? 'offline';
  }

  /** False until the first verdict (the status reads 'offline' meanwhile). */
  get decided(): boolean {
    return this.verdict !== null;
  }

  start(): void {
    for (const event of EVENTS) this.dht.on(event, this.check);
    this.timer = setTimeout(() => {
      this.waited = true;
      this.evaluate();
    }, this.offlineAfterMs);
    this.timer.unref();
    this.evaluate();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    for (const event of EVENTS) this.dht.off(event, this.check);
  }

  private evaluate(): void {
    if (this.stopped || this.dht.destroyed) return;
    const online = this.dht.nodes.length > 0 && this.dht.online;
    const decided = this.waited || this.dht.bootstrapped || this.verdict !== null;
    const next: DhtReachability | null = online ? 'online' : decided ? 'offline' : null;
    if (next === null || next === this.verdict) return;
    this.verdict = next;
    this.settleFirst(next);
    this.onChange(next);
  }
}
