/**
 * Runs the CloudPayments emulator on its own, for a gateway or shop developed offline:
 *
 *   node --import tsx src/server/providers/cloudpayments/emulator-main.ts \
 *     --port 8091 --public-id pk_test --api-secret test_secret \
 *     --gateway http://127.0.0.1:8080 --provider cp [--json]
 *
 * Then point the provider entry at it: `{ "id": "cp", "type": "cloudpayments", "publicId": "pk_test",
 * "apiSecret": "test_secret", "apiUrl": "http://127.0.0.1:8091" }`.
 */
import { notifyUrlsFor, startCloudPaymentsEmulator } from './emulator.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const gateway = arg('gateway', 'http://127.0.0.1:8080');
const provider = arg('provider', 'cp');
const emulator = await startCloudPaymentsEmulator({
  port: Number(arg('port', '8091')),
  publicId: arg('public-id', 'pk_test_cloudpayments'),
  apiSecret: arg('api-secret', 'test_api_secret'),
  notify: notifyUrlsFor(gateway, provider),
  format: process.argv.includes('--json') ? 'json' : 'form',
});
console.error(`CloudPayments emulator at ${emulator.url}, notifying ${gateway}/providers/${provider}/notify`);
const stop = () => void emulator.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
