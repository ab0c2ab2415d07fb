import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { AgoraError } from '../errors/index.js';
import { generateKeyPair } from '../core/crypto.js';
import type { KeyPair } from '../ports/network.js';

/** Where a node keeps everything: identity, database, API address and token, log. */
export function defaultHome(): string {
  return process.env.AGORA_HOME ? resolve(process.env.AGORA_HOME) : join(homedir(), '.agora');
}

export function homePaths(home: string) {
  return {
    home,
    identity: join(home, 'identity.json'),
    database: join(home, 'agora.db'),
    apiInfo: join(home, 'api.json'),
    token: join(home, 'api-token'),
    pid: join(home, 'node.pid'),
    log: join(home, 'node.log'),
    /** Files sent and received with chat messages, per space. */
    attachments: join(home, 'attachments'),
  };
}

export function ensureHome(home: string): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
}

const identitySchema = z.object({
  version: z.literal(1),
  publicKey: z.string().regex(/^[0-9a-f]{64}$/),
  secretKey: z.string().regex(/^[0-9a-f]{128}$/),
  name: z.string().min(1).max(100),
  createdAt: z.number(),
  /** The user gave the name (init --name, the web app); absent in older files and for the host-name default. */
  nameChosen: z.boolean().optional(),
});
export type IdentityFile = z.infer<typeof identitySchema>;

export interface Identity {
  keyPair: KeyPair;
  deviceId: string;
  name: string;
  /** False while the name is the default one (the host name): the web app then asks for one first. */
  nameChosen?: boolean;
}

/** Writes a file readable by this user only, atomically (temp + rename). */
export function writePrivateFile(path: string, data: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

export function loadIdentity(home: string): Identity | null {
  const file = homePaths(home).identity;
  if (!existsSync(file)) return null;
  let parsed: IdentityFile;
  try {
    parsed = identitySchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    throw new AgoraError('NOT_INITIALIZED', `The identity file ${file} is damaged (${(err as Error).message}). Restore it from a backup; deleting it makes this a new device.`);
  }
  return {
    keyPair: { publicKey: Buffer.from(parsed.publicKey, 'hex'), secretKey: Buffer.from(parsed.secretKey, 'hex') },
    deviceId: parsed.publicKey,
    name: parsed.name,
    nameChosen: parsed.nameChosen === true,
  };
}

/** Creates the identity if there is none; `init` twice keeps the same id (and may rename). */
export function initIdentity(home: string, name?: string): Identity {
  ensureHome(home);
  const existing = loadIdentity(home);
  if (existing) {
    if (name && (name !== existing.name || !existing.nameChosen)) saveName(home, existing, name);
    return name ? { ...existing, name, nameChosen: true } : existing;
  }
  const keyPair = generateKeyPair();
  const identity: Identity = { keyPair, deviceId: keyPair.publicKey.toString('hex'), name: name ?? defaultName(), nameChosen: name !== undefined };
  save(home, identity);
  return identity;
}

/** A name saved this way was chosen by the user (the first-run screen is then done). */
export function saveName(home: string, identity: Identity, name: string): void {
  save(home, { ...identity, name, nameChosen: true });
}

function save(home: string, identity: Identity): void {
  const file: IdentityFile = {
    version: 1,
    publicKey: identity.keyPair.publicKey.toString('hex'),
    secretKey: identity.keyPair.secretKey.toString('hex'),
    name: identity.name,
    createdAt: Date.now(),
    nameChosen: identity.nameChosen,
  };
  writePrivateFile(homePaths(home).identity, JSON.stringify(file, null, 2) + '\n');
}

function defaultName(): string {
  const host = hostname().trim().slice(0, 100);
  return host.length > 0 ? host : 'My computer';
}
