import { describe, expect, it } from 'vitest';
import { rulesForService } from './proxy-rules.js';

const SAVE = `*nat
:KUBE-SERVICES - [0:0]
-A KUBE-SERVICES -m comment --comment "default/web:http cluster IP" -m tcp -p tcp -d 10.96.0.20 --dport 80 -j KUBE-SVC-AAAA
-A KUBE-SERVICES -m comment --comment "default/other:http cluster IP" -m tcp -p tcp -d 10.96.0.21 --dport 80 -j KUBE-SVC-BBBB
-A KUBE-NODEPORTS -m comment --comment "default/web:http" -m tcp -p tcp --dport 30080 -j KUBE-EXT-AAAA
-A KUBE-EXT-AAAA -j KUBE-SVC-AAAA
-A KUBE-SVC-AAAA -m comment --comment "default/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-X1
-A KUBE-SVC-AAAA -m comment --comment "default/web:http -> 10.244.2.2:8080" -j KUBE-SEP-X2
-A KUBE-SVC-BBBB -j KUBE-SEP-Y1
-A KUBE-SEP-X1 -s 10.244.1.2/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-X1 -m tcp -p tcp -j DNAT --to-destination 10.244.1.2:8080
-A KUBE-SEP-X2 -m tcp -p tcp -j DNAT --to-destination 10.244.2.2:8080
-A KUBE-SEP-Y1 -m tcp -p tcp -j DNAT --to-destination 10.244.3.2:8080
COMMIT
`;

describe('rulesForService', () => {
  it('follows the jumps from the lines naming the Service port, in save order', () => {
    const got = rulesForService(SAVE, 'default/web:http');
    expect(got).toHaveLength(8);
    expect(got.join('\n')).not.toMatch(/BBBB|Y1/);
    expect(got[0]).toContain('cluster IP');
    expect(got.at(-1)).toContain('10.244.2.2:8080');
  });
  it('does not take a Service whose name only starts the same', () => {
    expect(rulesForService(SAVE.replaceAll('default/other', 'default/web2'), 'default/web:http').join('\n')).not.toContain('BBBB');
  });
  it('is empty for an unknown Service', () => {
    expect(rulesForService(SAVE, 'x/y:z')).toEqual([]);
  });
});
