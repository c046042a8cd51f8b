import { BadRequestException } from '@nestjs/common';
import { assertEndpointAllowed, endpointRefusal } from './endpoint-policy';

describe('endpointRefusal (upstream endpoints)', () => {
  it.each([
    'http://169.254.169.254/latest/meta-data',
    'http://169.254.0.1:8080/v1',
    'http://169.254.169.254./',
    'http://2852039166/',
    'http://0251.0376.0251.0376/',
    'http://0xa9fea9fe/',
    'http://169.254.43518/',
    'http://[::ffff:169.254.169.254]/',
    'http://[::ffff:0:a9fe:a9fe]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://[::a9fe:a9fe]/',
    'http://[2002:a9fe:a9fe::1]/',
    'http://[fe80::1]/',
    'http://[FEBF:ffff::1]:443/v1',
    'http://[fd00:ec2::254]/',
    'http://[fd00:ec2:0:0:0:0:0:254]/',
    'http://168.63.129.16/',
    'http://100.100.100.200/',
    'http://[::ffff:100.100.100.200]/',
    'http://metadata.google.internal/computeMetadata/v1',
    'http://METADATA.Google.Internal./',
    'http://metadata.goog/',
    'http://metadata/',
    'https://metadata.tencentyun.com/',
  ])('refuses %s', (endpoint) => {
    expect(endpointRefusal(endpoint)).toMatch(/link-local|metadata/);
    expect(() => assertEndpointAllowed(endpoint)).toThrow(BadRequestException);
    expect(() => assertEndpointAllowed(endpoint)).toThrow(/^endpoint /);
  });

  it.each([
    'https://api.openai.com/v1',
    'https://my-resource.openai.azure.com',
    'http://10.0.0.5:8000/v1',
    'http://192.168.1.20:11434/v1',
    'http://172.16.0.1/v1',
    'http://[fd00:1::5]:8000/v1',
    'http://127.0.0.1:11434/v1',
    'http://localhost:8080',
    'http://100.101.102.103/v1',
    'http://[::1]:8000',
    'http://169.254.169.254.nip.io/',
    'http://metadata.example.com/',
  ])('allows %s (public, private, loopback; names are not resolved)', (endpoint) => {
    expect(endpointRefusal(endpoint)).toBeUndefined();
  });

  it('refuses what the URL parser does not take, and other schemes', () => {
    expect(endpointRefusal('http://[bad')).toBe('must be a valid http(s) URL');
    expect(endpointRefusal('ftp://example.com')).toBe('must be an http(s) URL');
  });
});
