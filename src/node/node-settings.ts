import { BadRequestError } from '../errors/index.js';
import type { SettingsRepo } from '../ports/store.js';

/**
 * The node's own settings, kept in the store so that the web app can change them and
 * `agora start` uses them when no flag says otherwise. Start flags and AGORA_VERSIONS_DAYS win
 * over them for the run they are given to; the saved value stays for the next start.
 */
export interface SavedSettings {
  /** TCP address for direct connections, HOST:PORT (port 0 = any free port). */
  listen: string;
  /** Local API and web app address: 127.0.0.1, localhost or [::1], and a port. */
  api: string;
  /** HyperDHT bootstrap nodes, HOST:PORT each; empty = the public ones. */
  bootstrap: string[];
  dht: boolean;
  mdns: boolean;
  /** Days replaced and deleted files stay in .agora/versions. */
  versionRetentionDays: number;
  /** Minutes between full rescans of each folder (the watcher catches changes in between). */
  rescanIntervalMinutes: number;
  /** Largest file the web app may upload, in MB; 0 = no limit. Applies at once. */
  maxUploadMb: number;
}

export type SettingKey = keyof SavedSettings;
/** What only a restart changes: the network, the API socket and the sync engine read them at start. */
export const RESTART_KEYS: readonly SettingKey[] = ['listen', 'api', 'bootstrap', 'dht', 'mdns', 'versionRetentionDays', 'rescanIntervalMinutes'];

export const DEFAULT_SETTINGS: Readonly<SavedSettings> = Object.freeze({
  listen: '0.0.0.0:0',
  api: '127.0.0.1:7420',
  bootstrap: [],
  dht: true,
  mdns: true,
  versionRetentionDays: 30,
  rescanIntervalMinutes: 60,
  maxUploadMb: 0,
});

/** The public HyperDHT bootstrap nodes, used when the user names none. */
export const PUBLIC_BOOTSTRAP = ['node1.hyperdht.org:49737', 'node2.hyperdht.org:49737', 'node3.hyperdht.org:49737'];

const STORE_KEY = 'node.settings';
const API_HOSTS = ['127.0.0.1', 'localhost', '::1'];

/** HOST:PORT (or [v6]:PORT) with a port from 0 to 65535; `what` names the setting in the message. */
export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):(\d{1,5})$/.exec(value.trim());
  const port = Number(m?.[3]);
  if (!m || port > 65535) {
    throw new BadRequestError(`${what} must be HOST:PORT with a port from 0 to 65535, e.g. 0.0.0.0:7000 or [::1]:7000 (got "${value}").`, { setting: what });
  }
  return { host: m[1] || m[2] || '0.0.0.0', port };
}

export function parseApiAddress(value: string, what = 'The API address'): { host: string; port: number } {
  const parsed = parseHostPort(value, what);
  if (!API_HOSTS.includes(parsed.host)) {
    throw new BadRequestError(`${what} must be on this computer only: 127.0.0.1:PORT, localhost:PORT or [::1]:PORT (got "${value}").`, { setting: what });
  }
  return parsed;
}

function number(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new BadRequestError(`${what} must be a number from ${min} to ${max} (got ${JSON.stringify(value)}).`, { setting: what });
  }
  return value;
}

function boolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new BadRequestError(`${what} must be true or false.`, { setting: what });
  return value;
}

/** Checks a change field by field; unknown keys are refused so that a typo is not silently ignored. */
export function validateSettings(patch: Record<string, unknown>): Partial<SavedSettings> {
  const out: Partial<SavedSettings> = {};
  for (const [key, value] of Object.entries(patch)) {
    switch (key) {
      case 'listen':
        if (typeof value !== 'string') throw new BadRequestError('listen must be a string HOST:PORT.');
        parseHostPort(value, 'The listen address');
        out.listen = value.trim();
        break;
      case 'api':
        if (typeof value !== 'string') throw new BadRequestError('api must be a string 127.0.0.1:PORT.');
        parseApiAddress(value);
        out.api = value.trim();
        break;
      case 'bootstrap': {
        if (!Array.isArray(value) || value.length > 50) throw new BadRequestError('bootstrap must be a list of at most 50 HOST:PORT addresses (empty = the public ones).');
        const list = value.map((v) => (typeof v === 'string' ? v.trim() : '')).filter((v) => v !== '');
        for (const entry of list) parseHostPort(entry, 'Each bootstrap node');
        out.bootstrap = list;
        break;
      }
      case 'dht':
        out.dht = boolean(value, 'dht');
        break;
      case 'mdns':
        out.mdns = boolean(value, 'mdns');
        break;
      case 'versionRetentionDays':
        out.versionRetentionDays = number(value, 'Version retention (days)', 0, 3650);
        break;
      case 'rescanIntervalMinutes':
        out.rescanIntervalMinutes = number(value, 'The full rescan interval (minutes)', 1, 7 * 24 * 60);
        break;
      case 'maxUploadMb':
        out.maxUploadMb = number(value, 'The upload limit (MB)', 0, 1024 * 1024);
        break;
      default:
        throw new BadRequestError(`There is no setting "${key}".`);
    }
  }
  return out;
}

/** Saved settings merged over the defaults; a damaged or older entry falls back key by key. */
export function loadSettings(repo: SettingsRepo): SavedSettings {
  const raw = repo.get<Record<string, unknown>>(STORE_KEY) ?? {};
  const merged: SavedSettings = { ...DEFAULT_SETTINGS, bootstrap: [...DEFAULT_SETTINGS.bootstrap] };
  for (const [key, value] of Object.entries(raw)) {
    try {
      Object.assign(merged, validateSettings({ [key]: value }));
    } catch {
      // A value this version does not accept: the default serves until the user saves a new one.
    }
  }
  return merged;
}

/** Start flags as `agora start` passes them; absent = not given on the command line. */
export interface StartFlags {
  listen?: string;
  api?: string;
  bootstrap?: string[];
  noDht?: boolean;
  noMdns?: boolean;
}

/** What the node runs with: a flag if given, else the saved setting (else the default). */
export interface StartValues {
  values: Omit<SavedSettings, 'maxUploadMb'>;
  /** Settings a flag or an environment variable decided for this run. */
  overridden: SettingKey[];
}

export function resolveStart(flags: StartFlags, saved: SavedSettings, env: { AGORA_VERSIONS_DAYS?: string } = {}): StartValues {
  const overridden: SettingKey[] = [];
  const pick = <K extends SettingKey>(key: K, flag: SavedSettings[K] | undefined): SavedSettings[K] => {
    if (flag === undefined) return saved[key];
    overridden.push(key);
    return flag;
  };
  const envDays = env.AGORA_VERSIONS_DAYS;
  let days: number | undefined;
  if (envDays !== undefined && envDays !== '') {
    days = Number(envDays);
    if (!Number.isFinite(days) || days < 0) throw new BadRequestError(`AGORA_VERSIONS_DAYS must be a number of days, not "${envDays}".`);
  }
  const values = {
    listen: pick('listen', flags.listen),
    api: pick('api', flags.api),
    bootstrap: pick('bootstrap', flags.bootstrap),
    dht: pick('dht', flags.noDht ? false : undefined),
    mdns: pick('mdns', flags.noMdns ? false : undefined),
    versionRetentionDays: pick('versionRetentionDays', days),
    rescanIntervalMinutes: saved.rescanIntervalMinutes,
  };
  parseHostPort(values.listen, flags.listen === undefined ? 'The saved listen address' : '--listen');
  parseApiAddress(values.api, flags.api === undefined ? 'The saved API address' : '--api');
  return { values, overridden };
}

export interface SettingsView {
  saved: SavedSettings;
  running: StartValues['values'];
  overridden: SettingKey[];
  /** Restart-only settings, not decided by a flag, whose saved value differs from what runs now. */
  pendingRestart: SettingKey[];
}

/** The settings of one running node: what is saved, what runs, and what waits for a restart. */
export class NodeSettings {
  constructor(
    private readonly repo: SettingsRepo,
    private readonly started: StartValues,
  ) {}

  view(): SettingsView {
    const saved = loadSettings(this.repo);
    const running = this.started.values;
    // A value a flag decided is not waiting for a restart: the flag would decide it again.
    const pendingRestart = RESTART_KEYS.filter((k) => !this.started.overridden.includes(k) && JSON.stringify(saved[k]) !== JSON.stringify(running[k as keyof typeof running]));
    return { saved, running, overridden: [...this.started.overridden], pendingRestart };
  }

  /** Saves a validated change (only the keys given) and returns the new view. */
  update(patch: Record<string, unknown>): SettingsView {
    const clean = validateSettings(patch);
    this.repo.set(STORE_KEY, { ...loadSettings(this.repo), ...clean });
    return this.view();
  }

  /** Bytes; 0 = no limit. Read per upload, so a change applies at once. */
  maxUploadBytes(): number {
    return Math.round(loadSettings(this.repo).maxUploadMb * 1024 * 1024);
  }
}
