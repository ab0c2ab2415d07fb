/** JSON schemas shared by several route files (responses are serialized with them). */

export const memberSchema = {
  type: 'object',
  properties: {
    memberId: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    online: { type: 'boolean' },
    self: { type: 'boolean' },
    presence: { type: 'string', enum: ['online', 'away', 'offline'] },
  },
} as const;
