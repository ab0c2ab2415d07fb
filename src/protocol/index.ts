export * from './bounded.js';
export * from './log-entry.js';
export * from './invite.js';
export * from './messages.js';
export * from './file-record.js';
export * from './sync-messages.js';
export * from './name-commitment.js';
export * from './record-signature.js';
