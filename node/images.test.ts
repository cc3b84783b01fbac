import { describe, expect, it } from 'vitest';
import { ImageError, normalizeImage, resolveContainerArgv } from './images.js';

const paths = { node: '/usr/bin/node', images: '/opt/netkube/dist/node/images' };

describe('normalizeImage', () => {
  it.each([
    ['busybox', 'busybox'],
    ['busybox:1.36', 'busybox'],
    ['docker.io/library/busybox:1.36', 'busybox'],
    ['library/alpine', 'alpine'],
    ['ghcr.io/netkube/echo:v1', 'netkube/echo'],
    ['localhost:5000/netkube/echo', 'netkube/echo'],
    ['netkube/echo@sha256:abcd', 'netkube/echo'],
  ])('%s → %s', (image, want) => {
    expect(normalizeImage(image)).toBe(want);
  });
});

describe('resolveContainerArgv', () => {
  it.each([
    { name: 'a built-in image runs its program', c: { image: 'netkube/echo' }, want: ['/usr/bin/node', '/opt/netkube/dist/node/images/echo-server.js'] },
    { name: 'args replace the built-in cmd and keep the entrypoint', c: { image: 'netkube/echo:latest', args: ['--http-port', '80'] }, want: ['/usr/bin/node', '/opt/netkube/dist/node/images/echo-server.js', '--http-port', '80'] },
    { name: 'the DNS image runs `netkube dns` with args as its flags', c: { image: 'netkube/dns', args: ['--resolv-conf', '/dev/null'] }, want: ['/usr/bin/node', '/opt/netkube/dist/node/images/netkube-dns.js', '--resolv-conf', '/dev/null'] },
    { name: 'command replaces the entrypoint', c: { image: 'netkube/echo', command: ['/bin/true'] }, want: ['/bin/true'] },
    { name: 'busybox with command runs the host binary', c: { image: 'busybox', command: ['sh', '-c', 'echo hi'] }, want: ['sh', '-c', 'echo hi'] },
    { name: 'busybox without command runs a shell, as its image does', c: { image: 'busybox' }, want: ['/bin/sh'] },
    { name: 'any image with command runs it', c: { image: 'example.com/app:1', command: ['/usr/bin/env'], args: ['A=1'] }, want: ['/usr/bin/env', 'A=1'] },
  ])('$name', ({ c, want }) => {
    expect(resolveContainerArgv(c, paths)).toEqual(want);
  });

  it('refuses an unknown image without command, naming it', () => {
    expect(() => resolveContainerArgv({ image: 'nginx:1.27' }, paths)).toThrow(ImageError);
    expect(() => resolveContainerArgv({ image: 'nginx:1.27' }, paths)).toThrow(/"nginx:1.27"/);
  });
});
