import { peerHost, throttleKeyOf } from './peer-address';

describe('peerHost', () => {
  it.each([
    ['127.0.0.1:50123', '127.0.0.1'],
    ['10.1.2.3', '10.1.2.3'],
    ['::1:50123', '::1'],
    ['[::1]:50123', '::1'],
    ['[2001:db8::7]', '2001:db8::7'],
    ['ipv4:192.0.2.1:443', '192.0.2.1'],
    ['ipv6:[2001:db8::1]:443', '2001:db8::1'],
    ['::ffff:127.0.0.1:40000', '::ffff:127.0.0.1'],
    ['fe80::1%eth0:4000', 'fe80::1'],
    ['unknown', 'unknown'],
  ])('%s → %s', (peer, host) => {
    expect(peerHost(peer)).toBe(host);
  });
});

describe('throttleKeyOf', () => {
  it.each([
    ['127.0.0.1:1', '127.0.0.1'],
    ['::ffff:127.0.0.1:40000', '127.0.0.1'],
    ['[::ffff:7f00:1]:40000', '127.0.0.1'],
    ['[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:5', '2001:db8:1:2::/64'],
    ['[2001:db8:1:2::9]:5', '2001:db8:1:2::/64'],
    ['[2001:db8::]:5', '2001:db8:0:0::/64'],
    ['::1:5000', '0:0:0:0::/64'],
    ['unknown', 'unknown'],
  ])('%s → %s', (peer, key) => {
    expect(throttleKeyOf(peer)).toBe(key);
  });

  it('gives two ports of one address, and two addresses of one /64, the same key', () => {
    expect(throttleKeyOf('192.0.2.1:1000')).toBe(throttleKeyOf('192.0.2.1:2000'));
    expect(throttleKeyOf('[2001:db8:0:1::a]:1')).toBe(throttleKeyOf('[2001:db8:0:1::b]:1'));
    expect(throttleKeyOf('192.0.2.1:1000')).not.toBe(throttleKeyOf('192.0.2.2:1000'));
  });
});
