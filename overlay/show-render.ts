// `netkube overlay show`, pure: the northbound model as `ovn-nbctl show`
// prints it, then per chassis the southbound view as `ovn-sbctl show` prints
// it (chassis, encapsulation, port bindings) followed by the kernel state
// compiled for that chassis, spelled as the iproute2 commands that build it.
import { compileNode, OverlayCompileError, type CompileOptions, DEFAULT_COMPILE_OPTIONS } from './compile.js';
import { diffPlan } from './diff.js';
import { renderNbctlShow, type LogicalTopology } from './logical-model.js';
import { describeOp } from './netlink-ops.js';
import { emptyPlan, type NodePlan } from './node-plan.js';

/** Per chassis: its compiled plan, or why there is none yet. */
export type CompiledChassis = { readonly chassis: string; readonly plan: NodePlan } | { readonly chassis: string; readonly error: string };

export function compileAll(model: LogicalTopology, opts: CompileOptions = DEFAULT_COMPILE_OPTIONS): CompiledChassis[] {
  return model.chassis.map((c) => {
    try {
      return { chassis: c.name, plan: compileNode(model, c.name, opts) };
    } catch (e) {
      if (e instanceof OverlayCompileError) return { chassis: c.name, error: e.reason };
      throw e;
    }
  });
}

export function renderSbctlShow(model: LogicalTopology, compiled: readonly CompiledChassis[], opts: Pick<CompileOptions, 'dstPort' | 'vni'> = DEFAULT_COMPILE_OPTIONS): string {
  const out: string[] = [];
  for (const c of model.chassis) {
    out.push(`Chassis "${c.name}"`);
    out.push(`    hostname: ${c.hostname}`);
    out.push(`    Encap ${c.encapType}`);
    out.push(`        ip: "${c.encapIP}"`);
    const options = [`dst_port="${opts.dstPort}"`, `vni="${opts.vni}"`, ...(c.vtepMAC ? [`vtep_mac="${c.vtepMAC}"`] : [])];
    out.push(`        options: {${options.join(', ')}}`);
    const sw = model.switches.find((s) => s.chassis === c.name);
    for (const p of sw?.ports ?? []) if (p.type !== 'router') out.push(`    Port_Binding "${p.name}"`);
    const entry = compiled.find((x) => x.chassis === c.name);
    if (!entry) continue;
    if ('error' in entry) {
      out.push(`    Datapath: not compiled: ${entry.error}`);
      continue;
    }
    out.push(`    Datapath (kernel, as commands from scratch)`);
    for (const op of diffPlan(entry.plan, emptyPlan(entry.plan.node))) out.push(`        ${describeOp(op)}`);
    for (const p of entry.plan.pending ?? []) out.push(`        # not reachable yet: ${p.chassis}: ${p.reason}`);
  }
  return out.join('\n') + '\n';
}

export function renderOverlayShow(model: LogicalTopology, opts: CompileOptions = DEFAULT_COMPILE_OPTIONS): string {
  return `${renderNbctlShow(model)}\n${renderSbctlShow(model, compileAll(model, opts), opts)}`;
}
