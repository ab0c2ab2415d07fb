import type { Logger } from '../../ports/logger.js';

const noop = (): void => {};

/** The default logger of the network adapters: says nothing. */
export const noopLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => noopLogger,
};
