// The built-in image `netkube/dns`: `netkube dns` with the container's args as
// its flags. Only the DNS command is loaded (not the whole CLI with the API
// server), so a DNS pod costs one lean Node.js process. In a pod it finds the
// API server through in-cluster config: KUBERNETES_SERVICE_HOST/PORT and the
// service-account token the node agent mounts.
import { Command, CommanderError } from 'commander';
import { registerDnsCommand } from '../../dns/dns-command.js';

const program = new Command('netkube').exitOverride().configureOutput({ writeErr: (s) => process.stderr.write(s) });
registerDnsCommand(program);

try {
  await program.parseAsync(['dns', ...process.argv.slice(2)], { from: 'user' });
} catch (e) {
  // As `netkube`: commander has already printed its own errors; ours are one line, never a stack trace.
  if (e instanceof CommanderError) process.exitCode = e.exitCode;
  else {
    process.stderr.write(`netkube dns: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
