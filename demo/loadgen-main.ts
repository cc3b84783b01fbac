// `node dist/demo/loadgen-main.js --mode url|dns|headless …`: the load
// generator as a process, run inside the client pod (`netkube exec client --
// node …`). Writes JSON lines to stdout (see loadgen.ts), diagnostics to
// stderr; exit 0 after the run, 2 on bad flags. SIGINT/SIGTERM stop sending
// early and still flush what was measured.
import { LOADGEN_USAGE, parseLoadgenArgs, type ParsedArgs } from './loadgen-args.js';
import { runLoad, type LoadgenLine } from './loadgen.js';

async function main(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseLoadgenArgs(argv);
  } catch (e) {
    process.stderr.write(`loadgen: ${e instanceof Error ? e.message : String(e)}\n${LOADGEN_USAGE}\n`);
    return 2;
  }
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  const emit = (l: LoadgenLine) => void process.stdout.write(JSON.stringify(l) + '\n');
  await runLoad({ ...args, emit, signal: stop.signal });
  // Let stdout drain (it is a pipe when run through `netkube exec`) before exiting.
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`loadgen: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
