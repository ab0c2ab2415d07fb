import { createHash } from 'node:crypto';

/** The DHT topic of a space: only holders of the space secret can compute it. */
export function spaceTopic(spaceId: string, secret: Buffer): Buffer {
  return createHash('sha256').update('agora/space-topic/1').update(Buffer.from(spaceId, 'hex')).update(secret).digest();
}
