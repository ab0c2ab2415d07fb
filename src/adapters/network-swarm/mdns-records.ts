import { createHash } from 'node:crypto';
import type makeMdns from 'multicast-dns';
import { isDeviceId } from '../network-common/ids.js';
import { formatHostPort } from './addresses.js';

/**
 * The wire format of Agora's mDNS discovery (DNS-SD style), as pure functions: what we
 * announce, and the strict parser for what others announce. No sockets here.
 *
 *   PTR  _agora._tcp.local               -> agora-<id[0..32]>._agora._tcp.local
 *   SRV  agora-<id[0..32]>._agora._tcp.local -> port, target agora-<id[0..32]>.local
 *   TXT  agora-<id[0..32]>._agora._tcp.local -> "v=1", "id=<64 hex>", "t=<tag>", "t=<tag>" …
 *   A    agora-<id[0..32]>.local          -> IPv4 of the interface the packet goes out on
 *
 * A topic never goes on the wire, only its tag (see mdnsTag). More tags than fit one packet
 * are split over several packets, each a complete PTR+SRV+TXT+A set.
 */

export const MDNS_SERVICE = '_agora._tcp.local';
export const MDNS_VERSION = '1';
/** Seconds; the RFC 6762 recommendation for records that name a host. */
export const RECORD_TTL_S = 120;
/** Tags per packet: 20 tags + 4 A records keep a packet at ≤ 1,300 bytes, under a 1,500-byte MTU. */
export const TAGS_PER_PACKET = 20;
/** More topics than this are not announced (13 packets). */
export const MAX_TOPICS = 256;
export const MAX_A_RECORDS = 4;
/** Received packets: only this many records are looked at … */
export const MAX_RECORDS_PER_PACKET = 64;
/** … describing at most this many instances … */
export const MAX_INSTANCES_PER_PACKET = 8;
/** … each with at most this many TXT strings (2 + TAGS_PER_PACKET is what we send). */
export const MAX_TXT_STRINGS = 64;

const TAG_DOMAIN = 'agora-mdns/1';
const TAG = /^[0-9a-f]{32}$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export type OutgoingResponse = makeMdns.ResponseOutgoingPacket;

/** What a peer's packet says about it. `addresses` are "host:port", the packet's source first. */
export interface Announcement {
  deviceId: string;
  /** The peer is leaving (TTL 0): forget it. No port, tags or addresses then. */
  goodbye: boolean;
  tags: string[];
  addresses: string[];
}

/** First 16 bytes (hex) of SHA-256("agora-mdns/1" || topic): members can match it, others learn nothing new. */
export function mdnsTag(topic: Buffer): string {
  return createHash('sha256').update(TAG_DOMAIN).update(topic).digest().subarray(0, 16).toString('hex');
}

function label(deviceId: string): string {
  // A DNS label holds at most 63 bytes: the full id travels in the TXT record.
  return `agora-${deviceId.slice(0, 32)}`;
}

export function instanceName(deviceId: string): string {
  return `${label(deviceId)}.${MDNS_SERVICE}`;
}

export function hostName(deviceId: string): string {
  return `${label(deviceId)}.local`;
}

/** An IPv4 address as a 32-bit unsigned number; null if `text` is not dotted-quad IPv4. */
export function ipv4ToNumber(text: string): number | null {
  const match = IPV4.exec(text);
  if (match === null) return null;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = Number(match[i]);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

/** Whether `host` is on the subnet of `address`/`netmask` (all dotted-quad IPv4). */
export function sameSubnet(host: string, address: string, netmask: string): boolean {
  const a = ipv4ToNumber(host);
  const b = ipv4ToNumber(address);
  const mask = ipv4ToNumber(netmask);
  if (a === null || b === null || mask === null) return false;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

function isLoopback(value: number): boolean {
  return value >>> 24 === 127;
}

/** A unicast IPv4 address worth dialling: not 0/8, multicast, reserved or broadcast; loopback only from loopback. */
function dialable(host: string, source: number | null): boolean {
  const value = ipv4ToNumber(host);
  if (value === null) return false;
  const first = value >>> 24;
  if (first === 0 || first >= 224) return false;
  return !isLoopback(value) || (source !== null && isLoopback(source));
}

/** The packets that announce us: one per TAGS_PER_PACKET tags. None without tags. `ttl` 0 says goodbye. */
export function buildAnnouncements(
  deviceId: string,
  port: number,
  tags: readonly string[],
  addresses: readonly string[],
  ttl = RECORD_TTL_S,
): OutgoingResponse[] {
  const instance = instanceName(deviceId);
  const host = hostName(deviceId);
  const packets: OutgoingResponse[] = [];
  for (let i = 0; i < Math.min(tags.length, MAX_TOPICS); i += TAGS_PER_PACKET) {
    const chunk = tags.slice(i, Math.min(i + TAGS_PER_PACKET, MAX_TOPICS));
    packets.push({
      type: 'response',
      answers: [{ name: MDNS_SERVICE, type: 'PTR', ttl, data: instance }],
      additionals: [
        { name: instance, type: 'SRV', ttl, data: { port, target: host, priority: 0, weight: 0 } },
        { name: instance, type: 'TXT', ttl, data: [`v=${MDNS_VERSION}`, `id=${deviceId}`, ...chunk.map((t) => `t=${t}`)] },
        ...addresses.slice(0, MAX_A_RECORDS).map((address) => ({ name: host, type: 'A' as const, ttl, data: address })),
      ],
    });
  }
  return packets;
}

/** One packet that withdraws us (RFC 6762 §10.1): PTR and TXT with TTL 0. */
export function buildGoodbye(deviceId: string): OutgoingResponse {
  const instance = instanceName(deviceId);
  return {
    type: 'response',
    answers: [{ name: MDNS_SERVICE, type: 'PTR', ttl: 0, data: instance }],
    additionals: [{ name: instance, type: 'TXT', ttl: 0, data: [`v=${MDNS_VERSION}`, `id=${deviceId}`] }],
  };
}

/** Whether a received query asks for our service, our instance or our host name. */
export function asksForUs(packet: unknown, deviceId: string): boolean {
  const questions = field(packet, 'questions');
  if (!Array.isArray(questions)) return false;
  const names = new Set([MDNS_SERVICE, instanceName(deviceId), hostName(deviceId)]);
  return questions.slice(0, 16).some((question: unknown) => {
    const name = field(question, 'name');
    const type = field(question, 'type');
    return typeof name === 'string' && names.has(name.toLowerCase()) && ['PTR', 'SRV', 'TXT', 'A', 'ANY'].includes(String(type));
  });
}

interface RecordView {
  name: string;
  type: string;
  ttl: number | null;
  data: unknown;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function records(packet: unknown): RecordView[] {
  const found: RecordView[] = [];
  for (const section of ['answers', 'additionals']) {
    const list = field(packet, section);
    if (!Array.isArray(list)) continue;
    for (const record of list as unknown[]) {
      if (found.length >= MAX_RECORDS_PER_PACKET) return found;
      const name = field(record, 'name');
      const type = field(record, 'type');
      const ttl = field(record, 'ttl');
      if (typeof name !== 'string' || typeof type !== 'string' || name.length > 255) continue;
      found.push({ name: name.toLowerCase(), type, ttl: typeof ttl === 'number' ? ttl : null, data: field(record, 'data') });
    }
  }
  return found;
}

type Txt = { deviceId: string; tags: string[] };

/** The TXT strings of one instance; a reason string when they are unacceptable. */
function parseTxt(data: unknown): Txt | string {
  if (!Array.isArray(data)) return 'TXT data is not a list';
  if (data.length > MAX_TXT_STRINGS) return `TXT has ${data.length} strings`;
  let version: string | null = null;
  let deviceId: string | null = null;
  const tags = new Set<string>();
  for (const item of data as unknown[]) {
    const text = Buffer.isBuffer(item) ? item.toString('latin1') : typeof item === 'string' ? item : null;
    if (text === null || text.length > 255) return 'TXT string of a wrong kind or size';
    const eq = text.indexOf('=');
    const key = eq < 0 ? text : text.slice(0, eq);
    const value = eq < 0 ? '' : text.slice(eq + 1);
    if (key === 'v') {
      if (version !== null) return 'TXT has two versions';
      version = value;
    } else if (key === 'id') {
      if (deviceId !== null) return 'TXT has two ids';
      deviceId = value;
    } else if (key === 't') {
      if (!TAG.test(value)) return 'TXT has a malformed tag';
      tags.add(value);
    }
    // Other keys: room for later versions of this format.
  }
  if (version !== MDNS_VERSION) return `TXT version ${version ?? 'missing'}`;
  if (deviceId === null || !isDeviceId(deviceId)) return 'TXT has no valid id';
  return { deviceId, tags: [...tags] };
}

/**
 * Reads the Agora instances a decoded mDNS response describes. Anything malformed is left
 * out and explained in `rejected`; never throws, whatever `packet` is.
 */
export function parseResponse(packet: unknown, sourceAddress: string): { announcements: Announcement[]; rejected: string[] } {
  const all = records(packet);
  const instances = new Set<string>();
  const goodbyes = new Set<string>();
  const suffix = `.${MDNS_SERVICE}`;
  for (const record of all) {
    let instance: string | null = null;
    if (record.type === 'PTR' && record.name === MDNS_SERVICE && typeof record.data === 'string') {
      instance = record.data.toLowerCase();
      if (record.ttl === 0) goodbyes.add(instance);
    } else if ((record.type === 'SRV' || record.type === 'TXT') && record.name.endsWith(suffix)) {
      instance = record.name;
    }
    if (instance !== null && instance.endsWith(suffix) && instances.size < MAX_INSTANCES_PER_PACKET) instances.add(instance);
  }

  const source = ipv4ToNumber(sourceAddress);
  const announcements: Announcement[] = [];
  const rejected: string[] = [];
  for (const instance of instances) {
    const txt = all.find((record) => record.type === 'TXT' && record.name === instance);
    if (txt === undefined) {
      rejected.push(`${instance}: no TXT`);
      continue;
    }
    const parsed = parseTxt(txt.data);
    if (typeof parsed === 'string') {
      rejected.push(`${instance}: ${parsed}`);
      continue;
    }
    if (instance !== instanceName(parsed.deviceId)) {
      rejected.push(`${instance}: name does not match its id`);
      continue;
    }
    if (txt.ttl === 0 || goodbyes.has(instance)) {
      announcements.push({ deviceId: parsed.deviceId, goodbye: true, tags: [], addresses: [] });
      continue;
    }
    const srv = all.find((record) => record.type === 'SRV' && record.name === instance);
    const port = field(srv?.data, 'port');
    const target = field(srv?.data, 'target');
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535 || typeof target !== 'string') {
      rejected.push(`${instance}: no valid SRV`);
      continue;
    }
    const hosts = all
      .filter((record) => record.type === 'A' && record.name === target.toLowerCase() && typeof record.data === 'string')
      .map((record) => record.data as string)
      .filter((host) => dialable(host, source))
      .slice(0, MAX_A_RECORDS);
    const origin = dialable(sourceAddress, source) ? [sourceAddress] : [];
    const addresses = [...new Set([...origin, ...hosts])].map((host) => formatHostPort(host, port));
    if (addresses.length === 0) {
      rejected.push(`${instance}: no usable address`);
      continue;
    }
    announcements.push({ deviceId: parsed.deviceId, goodbye: false, tags: parsed.tags, addresses });
  }
  return { announcements, rejected };
}
