import { describe, expect, it } from 'vitest';
import { DEFAULT_LAB_FLAGS, LabConfigError, planLab } from './lab-config.js';

describe('planLab --overlay', () => {
  const flags = { ...DEFAULT_LAB_FLAGS, home: '/tmp/nk-home' };
  it('defaults to vxlan and keeps the mode in the plan (lab.json)', () => {
    expect(DEFAULT_LAB_FLAGS.overlay).toBe('vxlan');
    expect(planLab(flags).overlay).toBe('vxlan');
    expect(planLab({ ...flags, overlay: 'host-gw' }).overlay).toBe('host-gw');
  });

  it('names the flag and the choices for anything else', () => {
    expect(() => planLab({ ...flags, overlay: 'geneve' as never })).toThrow(LabConfigError);
    expect(() => planLab({ ...flags, overlay: 'geneve' as never })).toThrow('--overlay: "geneve" must be one of vxlan, host-gw');
  });
});
