import type { Logger } from '../../ports/logger.js';

/**
 * A list of callbacks. One throwing listener must neither break the adapter's own bookkeeping
 * nor starve the listeners after it, so each call is isolated and the error only logged.
 */
export class Listeners<T> {
  private readonly list: ((value: T) => void)[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  add(listener: (value: T) => void): void {
    this.list.push(listener);
  }

  emit(value: T): void {
    for (const listener of [...this.list]) {
      try {
        listener(value);
      } catch (err) {
        this.logger.error({ err }, `${this.what} listener threw`);
      }
    }
  }

  clear(): void {
    this.list.length = 0;
  }
}
