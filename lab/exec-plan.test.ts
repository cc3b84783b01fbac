import { describe, expect, it } from 'vitest';
import { parseEnviron, planExec } from './exec-plan.js';

describe('planExec', () => {
  it('joins a live container\'s namespaces with its environment', () => {
    expect(planExec({ kind: 'container', pid: 42, env: { A: '1' } }, ['dig', 'web'])).toEqual({
      argv: ['nsenter', '--target=42', '--net', '--mount', '--uts', '--', 'dig', 'web'],
      env: { A: '1' },
    });
  });

  it('joins a bare network namespace', () => {
    expect(planExec({ kind: 'netns', netns: '/run/netns/nk-x-p1' }, ['ip', 'addr']).argv).toEqual(['nsenter', '--net=/run/netns/nk-x-p1', '--', 'ip', 'addr']);
  });

  it('bind-mounts the pod files in a private mount namespace and passes them as parameters, never in the script', () => {
    const plan = planExec(
      { kind: 'pod', files: { netns: '/run/netns/nk-x-p1', resolvConf: '/d/resolv.conf', hosts: '/d/etc-hosts', hostname: '/d/hostname' } },
      ['curl', 'http://web'],
    );
    const i = plan.argv.indexOf('-c');
    expect(plan.argv.slice(0, i)).toEqual(['nsenter', '--net=/run/netns/nk-x-p1', '--', 'unshare', '--mount', '--uts', '--propagation', 'private', '--', 'sh']);
    const script = plan.argv[i + 1]!;
    expect(script).toContain('mount --bind "$1" /etc/resolv.conf');
    expect(script).toContain('mount --bind "$2" /etc/hosts');
    expect(script).toContain('hostname "$(cat "$3")"');
    expect(script).toMatch(/shift 3 && exec "\$@"$/);
    expect(plan.argv.slice(i + 2)).toEqual(['netkube-exec', '/d/resolv.conf', '/d/etc-hosts', '/d/hostname', 'curl', 'http://web']);
    expect(script).not.toContain('/d/');
  });

  it('leaves out files the agent did not write', () => {
    const plan = planExec({ kind: 'pod', files: { netns: '/n' } }, ['true']);
    expect(plan.argv.slice(-3)).toEqual(['shift 0 && exec "$@"', 'netkube-exec', 'true']);
    expect(plan.argv.join(' ')).not.toContain('mount --bind');
  });

  it('needs a command', () => expect(() => planExec({ kind: 'netns', netns: '/n' }, [])).toThrow('no command'));
});

it('parses /proc/PID/environ', () => {
  expect(parseEnviron('A=1\0B=x=y\0\0')).toEqual({ A: '1', B: 'x=y' });
});
