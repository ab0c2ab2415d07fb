export type * from './clock.js';
export type * from './logger.js';
export type * from './network.js';
export type * from './store.js';
