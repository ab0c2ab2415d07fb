import { describe, expect, it } from 'vitest';
import { keeperDaemonFlags, type KeeperOptions } from '../../src/cli/keeper-command.js';
import { UsageError } from '../../src/cli/output.js';

const base: KeeperOptions = { listen: '0.0.0.0:0', dhtPort: '49737', api: '127.0.0.1:7420', mdns: true };
const none = () => false;

describe('agora keeper: daemon flags', () => {
  it('runs as a keeper on the DHT port, passing on only what was typed', () => {
    expect(keeperDaemonFlags(base, none)).toEqual(['--keeper', '--dht-port', '49737']);
    const typed = new Set(['listen', 'api']);
    expect(
      keeperDaemonFlags({ ...base, listen: '0.0.0.0:7000', publicHost: 'keeper.example.com', bootstrap: '203.0.113.9:49737', mdns: false }, (n) => typed.has(n)),
    ).toEqual(['--keeper', '--dht-port', '49737', '--public-host', 'keeper.example.com', '--listen', '0.0.0.0:7000', '--api', '127.0.0.1:7420', '--bootstrap', '203.0.113.9:49737', '--no-mdns']);
  });

  for (const bad of ['0', '65534', 'abc', '49737x', '-1']) {
    it(`--dht-port ${bad} is a usage error (its DHT nodes need the port and the two after it)`, () => {
      expect(() => keeperDaemonFlags({ ...base, dhtPort: bad }, none)).toThrow(UsageError);
    });
  }

  for (const bad of ['keeper.example.com:7000', 'http://keeper', 'a b', '']) {
    it(`--public-host "${bad}" is a usage error`, () => {
      expect(() => keeperDaemonFlags({ ...base, publicHost: bad }, none)).toThrow(/--public-host must be a host name or an IP address/);
    });
  }

  it('takes an IPv6 address in brackets', () => {
    expect(keeperDaemonFlags({ ...base, publicHost: '[2001:db8::1]' }, none)).toContain('[2001:db8::1]');
  });
});
