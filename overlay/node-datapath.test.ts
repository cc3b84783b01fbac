import { describe, expect, it } from 'vitest';
import { isOverlayMode, OVERLAY_MODES, podMtuForMode } from './node-datapath.js';

describe('node datapath modes', () => {
  it('accepts exactly vxlan, host-gw and none', () => {
    expect([...OVERLAY_MODES]).toEqual(['vxlan', 'host-gw', 'none']);
    for (const m of OVERLAY_MODES) expect(isOverlayMode(m)).toBe(true);
    for (const m of ['VXLAN', 'geneve', '', 'hostgw']) expect(isOverlayMode(m)).toBe(false);
  });

  it('leaves the pod MTU at 1500 without VXLAN (no encapsulation to pay for)', async () => {
    expect(await podMtuForMode('host-gw', '192.0.2.1')).toBe(1500);
    expect(await podMtuForMode('none', '192.0.2.1')).toBe(1500);
  });
});
