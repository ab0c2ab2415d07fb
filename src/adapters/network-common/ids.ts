const DEVICE_ID = /^[0-9a-f]{64}$/;

/** A device id is the lower-case hex of a 32-byte Ed25519 public key. */
export function isDeviceId(value: string): boolean {
  return DEVICE_ID.test(value);
}

export function toDeviceId(publicKey: Buffer): string {
  return publicKey.toString('hex');
}

/** Enough of an id to recognise it in a log line or an error message. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}
