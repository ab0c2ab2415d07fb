// Hand-written declarations for hypercore-crypto (the package ships none).
declare module 'hypercore-crypto' {
  export function keyPair(seed?: Buffer): { publicKey: Buffer; secretKey: Buffer };
  export function sign(message: Buffer, secretKey: Buffer): Buffer;
  export function verify(message: Buffer, signature: Buffer, publicKey: Buffer): boolean;
  export function randomBytes(n: number): Buffer;
  export function hash(data: Buffer | Buffer[], out?: Buffer): Buffer;
  export function discoveryKey(publicKey: Buffer): Buffer;
  const crypto: {
    keyPair: typeof keyPair;
    sign: typeof sign;
    verify: typeof verify;
    randomBytes: typeof randomBytes;
    hash: typeof hash;
    discoveryKey: typeof discoveryKey;
  };
  export default crypto;
}
