/**
 * Runs the offline YooKassa emulator on its own, for a gateway configured by hand:
 *
 * ```sh
 * node --import tsx src/server/providers/yookassa/emulator-main.ts --port 8092 --shop-id 100500 --secret-key test_secret \
 *      --notify-url http://localhost:8080/providers/yk/notify [--oauth-token T] [--methods bank_card,sbp] [--receipts-required]
 * ```
 * then `providers: [{ "id": "yk", "type": "yookassa", "shopId": "100500", "secretKey": "test_secret",
 * "apiUrl": "http://127.0.0.1:8092/v3" }]`. Notifications come from 127.0.0.1: leave `notifyIps` out
 * (or list 127.0.0.1) against the emulator.
 */
import { parseArgs } from 'node:util';
import { startYooKassaEmulator } from './emulator.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8092' },
    host: { type: 'string', default: '127.0.0.1' },
    'shop-id': { type: 'string', default: '100500' },
    'secret-key': { type: 'string', default: 'test_secret' },
    'notify-url': { type: 'string' },
    'oauth-token': { type: 'string', multiple: true },
    methods: { type: 'string' },
    'receipts-required': { type: 'boolean', default: false },
  },
});

const emu = await startYooKassaEmulator({
  shopId: values['shop-id'],
  secretKey: values['secret-key'],
  host: values.host,
  port: Number(values.port),
  ...(values['notify-url'] ? { notificationUrl: values['notify-url'] } : {}),
  ...(values['oauth-token'] ? { oauthTokens: values['oauth-token'] } : {}),
  ...(values.methods ? { methods: values.methods.split(',').map((m) => m.trim()).filter(Boolean) } : {}),
  receiptsRequired: values['receipts-required'],
});
console.error(`YooKassa emulator: API ${emu.apiUrl} (shopId ${values['shop-id']}), notifications to ${emu.notificationUrl ?? '(none)'}`);
const stop = (): void => { void emu.close().then(() => process.exit(0)); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
