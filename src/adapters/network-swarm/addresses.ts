import { networkInterfaces } from 'node:os';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port" or "[v6]:port"; null for anything else (other adapters' addresses too). */
export function parseHostPort(address: string): HostPort | null {
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(address) ?? /^([^:[\]]+):(\d{1,5})$/.exec(address);
  if (match === null) return null;
  const host = match[1];
  const port = Number(match[2]);
  if (host === undefined || host === '' || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host, port };
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Sockets accepted on a dual-stack listener report IPv4 peers as "::ffff:a.b.c.d". */
export function plainHost(host: string): string {
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice('::ffff:'.length) : host;
}

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::';
}

/**
 * The addresses others can dial to reach a TCP listener bound to `host`. A wildcard bind
 * is reachable on every interface, so each non-internal IPv4 address is listed, then loopback
 * for peers on the same machine.
 */
export function dialableAddresses(host: string, port: number): string[] {
  if (!isWildcard(host)) return [formatHostPort(host, port)];
  return [...new Set([...lanIpv4s(), '127.0.0.1'].map((ip) => formatHostPort(ip, port)))];
}

/** This machine's non-internal IPv4 addresses, in interface order. */
export function lanIpv4s(): string[] {
  const found: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const nic of list ?? []) {
      if (nic.family === 'IPv4' && !nic.internal) found.push(nic.address);
    }
  }
  return [...new Set(found)];
}
