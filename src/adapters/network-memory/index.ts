export { MemoryNetworkHub } from './hub.js';
export { MemoryNetwork, MEMORY_ADDRESS_PREFIX, type MemoryNetworkOptions } from './memory-network.js';
