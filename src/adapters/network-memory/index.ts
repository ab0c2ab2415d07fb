export { MemoryNetworkHub, type MemoryNetworkHubOptions } from './hub.js';
export { MemoryNetwork, MEMORY_ADDRESS_PREFIX, type MemoryNetworkOptions } from './memory-network.js';
export { MessageScheduler, mulberry32, type MessageSchedulerOptions } from './scheduler.js';
