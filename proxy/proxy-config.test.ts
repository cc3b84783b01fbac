import { describe, expect, it } from 'vitest';
import { ipv4CidrContains, masqueradeMark, parseIPv4, parseIPv4Cidr } from './proxy-config.js';

describe('masqueradeMark', () => {
  it.each([
    [undefined, '0x4000'],
    [14, '0x4000'],
    [0, '0x1'],
    [31, '0x80000000'],
  ])('bit %s → %s', (bit, want) => {
    expect(masqueradeMark({ nodeName: 'n', nodeIPs: [], ...(bit !== undefined ? { masqueradeBit: bit } : {}) })).toBe(want);
  });

  it('rejects a bit outside 0..31', () => {
    expect(() => masqueradeMark({ nodeName: 'n', nodeIPs: [], masqueradeBit: 32 })).toThrow(/masqueradeBit 32/);
  });
});

describe('IPv4 helpers', () => {
  it.each([
    ['10.0.0.1', 0x0a000001],
    ['255.255.255.255', 0xffffffff],
    ['1.2.3', undefined],
    ['1.2.3.256', undefined],
    ['1.2.3.4.5', undefined],
    ['fd00::1', undefined],
    ['', undefined],
    ['1..2.3', undefined],
  ])('parseIPv4(%s)', (s, want) => {
    expect(parseIPv4(s)).toBe(want);
  });

  it.each([
    ['10.0.0.0/8', '10.180.0.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['203.0.113.0/25', '203.0.113.127', true],
    ['203.0.113.0/25', '203.0.113.128', false],
    ['0.0.0.0/0', '1.2.3.4', true],
    ['10.180.0.2', '10.180.0.2', true],
    ['10.180.0.2', '10.180.0.3', false],
    ['10.0.0.0/33', '10.0.0.1', false],
  ])('%s contains %s: %s', (cidr, ip, want) => {
    expect(ipv4CidrContains(cidr, ip)).toBe(want);
  });

  it('parses a CIDR', () => {
    expect(parseIPv4Cidr('10.244.0.0/16')).toEqual({ base: 0x0af40000, bits: 16 });
    expect(parseIPv4Cidr('10.244.0.0/')).toBeUndefined();
  });
});
