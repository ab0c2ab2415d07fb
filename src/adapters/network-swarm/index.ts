export { SwarmNetwork } from './swarm-network.js';
export {
  DEFAULT_TIMEOUTS,
  type DhtSocketOptions,
  type SwarmNetworkOptions,
  type SwarmNetworkTimeouts,
} from './options.js';
export type { HostPort } from './addresses.js';
