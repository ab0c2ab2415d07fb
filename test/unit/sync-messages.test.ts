import { createHash } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import c from 'compact-encoding';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../src/protocol/bounded.js';
import { deflateIndex, ECHO_SIG_BYTES, indexDeflated, indexUpdate, SYNC_LIMITS, type FileRecord, type IndexUpdate } from '../../src/protocol/index.js';

const digest = (s: string, n = 32) => createHash('sha512').update(s).digest().subarray(0, n);
const device = digest('device').toString('hex');
const logPoint = [digest('log entry').toString('hex')];

/** Records as a folder of many small files makes them: the same author and log point, other paths. */
function records(n: number): FileRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    path: `dir_${100 + (i >> 6)}/file_${i % 100}.bin`,
    type: 'file' as const,
    size: 1000 + ((i * 7919) % 15000),
    mtimeMs: 1_795_375_609_517 + i,
    mode: 0o644,
    deleted: false,
    version: [{ device, value: 5000 + i }],
    modifiedBy: device,
    sequence: 5000 + i,
    blocks: [{ hash: digest(`block ${i}`), size: 1000 + ((i * 7919) % 15000) }],
    sig: Buffer.from(digest(`sig ${i}`, 64)),
    at: logPoint,
  }));
}

function update(recs: FileRecord[], echoes: IndexUpdate['echoes'] = []): IndexUpdate {
  return { folderId: digest('folder').toString('hex'), indexId: digest('index', 16).toString('hex'), records: recs, echoes, upToDate: true };
}

const roundTrip = (enc: typeof indexUpdate, value: IndexUpdate) => enc.decode(c.state(0, c.encode(enc, value).byteLength, c.encode(enc, value)));

describe('sync messages: index, echoes and deflated index', () => {
  it('an index message carries records and echoes', () => {
    const u = update(records(3), [{ path: 'a/b.txt', sequence: 9, sig: digest('s', ECHO_SIG_BYTES) }]);
    expect(roundTrip(indexUpdate, u)).toEqual(u);
    // A sender that leaves echoes out sends an empty list.
    const { echoes: _none, ...plain } = u;
    expect(roundTrip(indexUpdate, plain).echoes).toEqual([]);
  });

  it('deflates a batch of small-file records to about half, and inflates it to the same update', () => {
    const u = update(records(1000));
    const plainBytes = c.encode(indexUpdate, u).byteLength;
    expect(deflateIndex(u)).toBe(true);
    const wire = c.encode(indexDeflated, u);
    expect(wire.byteLength).toBeLessThan(plainBytes * 0.6);
    expect(roundTrip(indexDeflated, u)).toEqual(u);
  });

  it('sends small or incompressible updates plain', () => {
    expect(deflateIndex(update(records(1)))).toBe(false);
    const random = update([{ ...records(1)[0]!, blocks: Array.from({ length: 400 }, (_, i) => ({ hash: digest(`h${i}`), size: 100_000 + i })) }]);
    expect(deflateIndex(random)).toBe(false);
  });

  it('refuses a deflated message that inflates past the limit (a compression bomb), or is not deflate, or has trailing bytes', () => {
    const bomb = deflateRawSync(Buffer.alloc(SYNC_LIMITS.indexBytes + 1));
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    const decode = (body: Buffer) => indexDeflated.decode(c.state(0, c.encode(c.buffer, body).byteLength, c.encode(c.buffer, body)));
    expect(() => decode(bomb)).toThrow(/does not inflate within/);
    expect(() => decode(Buffer.from([0xff, 0xff, 0xff]))).toThrow(DecodeError);
    const trailing = deflateRawSync(Buffer.concat([c.encode(indexUpdate, update(records(2))), Buffer.from([0])]));
    expect(() => decode(trailing)).toThrow(/after|trailing|end/i);
    expect(decode(deflateRawSync(c.encode(indexUpdate, update(records(2)))))).toEqual(update(records(2)));
  });
});
