/**
 * Runs the T-Bank emulator alone (the demo, shops developing offline):
 *   node --import tsx src/server/providers/tbank/emulator-main.ts [--port 8091] [--host 127.0.0.1]
 *        [--terminal-key TinkoffBankTest] [--password TinkoffBankTest] [--base-url http://localhost:8091]
 * Prints the `apiUrl` to put in the gateway's `providers` entry.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TERMINAL, startTbankEmulator } from './emulator.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.TBANK_EMULATOR_PORT ?? '8091' },
    host: { type: 'string', default: '127.0.0.1' },
    'terminal-key': { type: 'string', default: DEFAULT_TERMINAL.terminalKey },
    password: { type: 'string', default: process.env.TBANK_EMULATOR_PASSWORD ?? DEFAULT_TERMINAL.password },
    'base-url': { type: 'string' },
  },
});

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`tbank emulator: bad --port ${values.port}`);
  process.exit(2);
}
const emu = await startTbankEmulator({
  port,
  host: values.host,
  terminals: [{ terminalKey: values['terminal-key'], password: values.password }],
  ...(values['base-url'] ? { baseUrl: values['base-url'] } : {}),
});
console.log(`T-Bank emulator: apiUrl ${emu.apiUrl} (terminal ${values['terminal-key']})`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void emu.close().then(() => process.exit(0)));
}
