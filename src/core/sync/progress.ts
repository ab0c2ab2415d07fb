import type { Clock } from '../../ports/clock.js';

export interface ProgressSnapshot {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
  /** Bytes per second over the last few seconds. */
  rate: number;
  /** Seconds left at that rate; null when unknown. */
  etaSeconds: number | null;
}

const WINDOW_MS = 5_000;
const EMIT_EVERY_MS = 250;

/** Counts work done against work planned, with a rate over a sliding window, for progress bars. */
export class ProgressMeter {
  private files = 0;
  private bytes = 0;
  private totalFiles = 0;
  private totalBytes = 0;
  private samples: { at: number; bytes: number }[] = [];
  private lastEmit = 0;

  constructor(private readonly clock: Clock) {}

  plan(files: number, bytes: number): void {
    this.files = 0;
    this.bytes = 0;
    this.totalFiles = files;
    this.totalBytes = bytes;
  }

  add(bytes: number): void {
    this.bytes += bytes;
    const now = this.clock.now();
    this.samples.push({ at: now, bytes: this.bytes });
    while (this.samples.length > 2 && this.samples[0]!.at < now - WINDOW_MS) this.samples.shift();
  }

  fileDone(): void {
    this.files++;
  }

  reset(): void {
    this.plan(0, 0);
    this.samples = [];
  }

  /** True at most every 250 ms: how often progress events go out. */
  due(): boolean {
    const now = this.clock.now();
    if (now - this.lastEmit < EMIT_EVERY_MS) return false;
    this.lastEmit = now;
    return true;
  }

  snapshot(): ProgressSnapshot {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    const span = first && last ? last.at - first.at : 0;
    const rate = span > 0 ? ((last!.bytes - first!.bytes) * 1000) / span : 0;
    const left = Math.max(0, this.totalBytes - this.bytes);
    return {
      files: this.files,
      bytes: this.bytes,
      totalFiles: this.totalFiles,
      totalBytes: this.totalBytes,
      rate: Math.round(rate),
      etaSeconds: rate > 0 ? Math.ceil(left / rate) : null,
    };
  }
}
