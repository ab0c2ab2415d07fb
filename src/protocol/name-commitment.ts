import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { displayName, type NameRef } from './log-entry.js';

const DOMAIN = Buffer.from('agora/name/1\n', 'utf8');

/** A name with the salt that opens its commitment: what travels to those allowed to know it. */
export interface NameDisclosure {
  /** The commitment (hex), as in the log entry. */
  h: string;
  /** 16 random bytes (hex); without them the commitment cannot be tested against guesses. */
  salt: string;
  name: string;
}

export const nameDisclosureSchema = z
  .object({
    h: z.string().regex(/^[0-9a-f]{64}$/),
    salt: z.string().regex(/^[0-9a-f]{32}$/),
    name: displayName,
  })
  .strict();

export function commitmentOf(salt: string, name: string): string {
  return createHash('sha256').update(DOMAIN).update(Buffer.from(salt, 'hex')).update(Buffer.from(name, 'utf8')).digest('hex');
}

/** Commits to a name with a fresh salt; the ref goes into the log, the disclosure is kept. */
export function commitName(name: string): { ref: NameRef; disclosure: NameDisclosure } {
  const salt = randomBytes(16).toString('hex');
  const h = commitmentOf(salt, name);
  return { ref: { h }, disclosure: { h, salt, name } };
}

/** True when the disclosure is well formed and opens its commitment. */
export function opensCommitment(d: NameDisclosure): boolean {
  return nameDisclosureSchema.safeParse(d).success && commitmentOf(d.salt, d.name) === d.h;
}
