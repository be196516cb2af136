import { describe, expect, it } from 'vitest';
import { canonicalIp, ipv4ToInt, ipv6ToBigInt, isPublicIpv4 } from '../src/model/ip.js';

describe('canonicalIp', () => {
  it('keeps canonical IPv4 and rebuilds zero-padded quads', () => {
    expect(canonicalIp('10.40.0.7')).toBe('10.40.0.7');
    expect(canonicalIp('0.0.0.0')).toBe('0.0.0.0');
    expect(canonicalIp('010.040.000.007')).toBe('10.40.0.7');
    expect(canonicalIp('00.00.000.00')).toBe('0.0.0.0');
    expect(canonicalIp('192.168.001.010')).toBe('192.168.1.10');
  });
  it('rejects what is not an address', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4a', 'host', '192.168.1.10055', '1..2.3', '-']) expect(canonicalIp(bad), bad).toBeNull();
    expect(canonicalIp(null)).toBeNull();
  });
  it('compresses IPv6 per RFC 5952 and shows IPv4-mapped as IPv4', () => {
    expect(canonicalIp('2001:0db8:0001:0000:0000:0000:0000:0010')).toBe('2001:db8:1::10');
    expect(canonicalIp('FE80:0000:0000:0000:0202:B3FF:FE1E:8329')).toBe('fe80::202:b3ff:fe1e:8329');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('::ffff:192.0.2.128')).toBe('192.0.2.128');
    expect(canonicalIp('0000:0000:0000:0000:0000:ffff:c000:0280')).toBe('192.0.2.128');
    expect(canonicalIp('fe80::1%eth0')).toBe('fe80::1');
    expect(canonicalIp('::')).toBe('::');
    expect(canonicalIp('1:2:3:4:5:6:7:8:9')).toBeNull();
  });
  it('converts to integers for the matcher', () => {
    expect(ipv4ToInt('10.40.0.7')).toBe(10 * 2 ** 24 + 40 * 2 ** 16 + 7);
    expect(ipv4ToInt('255.255.255.255')).toBe(2 ** 32 - 1);
    expect(ipv6ToBigInt('::1')).toBe(1n);
    expect(isPublicIpv4(ipv4ToInt('203.0.113.10'))).toBe(true);
    expect(isPublicIpv4(ipv4ToInt('10.1.2.3'))).toBe(false);
    expect(isPublicIpv4(ipv4ToInt('172.20.0.1'))).toBe(false);
    expect(isPublicIpv4(ipv4ToInt('100.64.0.1'))).toBe(false);
  });
});
