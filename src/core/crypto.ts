import crypto from 'hypercore-crypto';
import type { KeyPair } from '../ports/network.js';

/** Ed25519 via libsodium: the same keys secret-stream's Noise handshake authenticates. */
export function generateKeyPair(): KeyPair {
  return crypto.keyPair();
}

export function sign(message: Buffer, secretKey: Buffer): Buffer {
  return crypto.sign(message, secretKey);
}

export function verify(message: Buffer, signature: Buffer, publicKeyHex: string): boolean {
  if (signature.byteLength !== 64 || !/^[0-9a-f]{64}$/.test(publicKeyHex)) return false;
  try {
    return crypto.verify(message, signature, Buffer.from(publicKeyHex, 'hex'));
  } catch {
    return false;
  }
}

export function randomBytes(n: number): Buffer {
  return crypto.randomBytes(n);
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
