import { describe, expect, it } from '@jest/globals';
import { addressBucket } from './client-address.js';

describe('addressBucket', () => {
  it.each([
    ['192.0.2.7', '192.0.2.7'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['::FFFF:192.0.2.7', '192.0.2.7'],
    ['::ffff:c000:207', '192.0.2.7'],
    ['0:0:0:0:0:ffff:c000:0207', '192.0.2.7'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    // Not IPv4-mapped: a /64 like any other.
    ['::192.0.2.7', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.7', '64:ff9b:0:0::/64'],
    ['2001:db8:1:2:3:4:192.0.2.7', '2001:db8:1:2::/64'],
  ])('%s is bucketed as %s', (ip, bucket) => {
    expect(addressBucket(ip)).toBe(bucket);
  });

  it.each([
    undefined,
    '',
    'garbage',
    '1.2.3',
    '2001:db8::1::2',
    '::ffff:256.0.0.1',
    '1.2.3.4, 5.6.7.8',
  ])('%j shares the one bucket of addresses that are none', (ip) => {
    expect(addressBucket(ip)).toBe('unknown');
  });
});
