import type { FastifyInstance } from 'fastify';
import type { ActivityItem, SettingsPatch, SettingsResponse } from '../contract/api.js';
import type { AgoraNode } from '../node/agora-node.js';
import { RESTART_KEYS, validateSettings } from '../node/node-settings.js';

const address = { type: 'string', minLength: 1, maxLength: 300 } as const;
/** The fields and their types; the node checks the values (node-settings.ts) with messages that say what is allowed. */
const settingsProperties = {
  listen: address,
  api: address,
  bootstrap: { type: 'array', maxItems: 50, items: address },
  dht: { type: 'boolean' },
  mdns: { type: 'boolean' },
  versionRetentionDays: { type: 'number' },
  rescanIntervalMinutes: { type: 'number' },
  maxUploadMb: { type: 'number' },
} as const;
const keyList = { type: 'array', items: { type: 'string' } } as const;
const { maxUploadMb: _upload, ...runningProperties } = settingsProperties;

const settingsResponse = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    nameChosen: { type: 'boolean' },
    settings: { type: 'object', properties: settingsProperties },
    running: { type: 'object', properties: runningProperties },
    restartOnly: keyList,
    overridden: keyList,
    pendingRestart: keyList,
    restartRequired: { type: 'boolean' },
  },
} as const;

const activitySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    type: { type: 'string' },
    at: { type: 'string' },
    spaceId: { type: 'string' },
    spaceName: { type: 'string' },
    folderId: { type: 'string' },
    folderName: { type: 'string' },
    deviceId: { type: 'string' },
    name: { type: 'string' },
    path: { type: 'string' },
    deleted: { type: 'boolean' },
    count: { type: 'integer' },
    role: { type: 'string' },
    message: { type: 'string' },
  },
} as const;

export function settingsOf(node: AgoraNode): SettingsResponse {
  const view = node.settings.view();
  return {
    name: node.displayName,
    nameChosen: node.hasChosenName,
    settings: view.saved,
    running: view.running,
    restartOnly: [...RESTART_KEYS],
    overridden: view.overridden,
    pendingRestart: view.pendingRestart,
    restartRequired: view.pendingRestart.length > 0,
  };
}

/** The node's settings (GET/PATCH /settings) and its recent activity (GET /activity). */
export function registerSettingsRoutes(app: FastifyInstance, node: AgoraNode): void {
  app.get('/api/v1/settings', { schema: { summary: 'Settings of this node: saved, running, and what waits for a restart', tags: ['node'], response: { 200: settingsResponse } } }, async () =>
    settingsOf(node),
  );

  app.patch(
    '/api/v1/settings',
    {
      schema: {
        summary: 'Change settings (only the keys given); restartRequired says whether a restart is needed to apply them',
        tags: ['node'],
        // No additionalProperties: false, which Fastify's validator would answer by dropping unknown
        // keys silently; the node refuses them by name instead (validateSettings).
        body: { type: 'object', properties: { name: { type: 'string', maxLength: 1000 }, ...settingsProperties }, minProperties: 1 },
        response: { 200: settingsResponse },
      },
    },
    async (req): Promise<SettingsResponse> => {
      const { name, ...rest } = req.body as SettingsPatch;
      const changes = Object.keys(rest).length > 0;
      // Every value is checked before anything is saved: a bad one changes nothing, the name included.
      if (changes) validateSettings(rest);
      if (name !== undefined) node.setName(name);
      if (changes) node.settings.update(rest);
      return settingsOf(node);
    },
  );

  app.get(
    '/api/v1/activity',
    {
      schema: {
        summary: 'What happened lately (newest first, at most 500, kept in memory since the node started)',
        tags: ['node'],
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500 } }, additionalProperties: false },
        response: { 200: { type: 'array', items: activitySchema } },
      },
    },
    async (req): Promise<ActivityItem[]> => node.activity.list((req.query as { limit?: number }).limit),
  );
}
