/**
 * `npm start`: with no configuration file, the whole demo — the gateway (sandbox payment systems,
 * SQLite under ./data), the demo shop on the next port, and the T-Bank, YooKassa and CloudPayments
 * emulators on 8091–8093 (free ports when those are taken, or when PORT=0), their ways offered. With `--config path.json` or
 * `ONPAY_CONFIG`, the gateway alone, as configured; see README.md.
 */
import { ConfigError, type GatewayConfig } from '../server/config.ts';
import { configPath, DEMO_MERCHANT, loadConfig, startGateway, type RunningGateway } from '../server/bootstrap.ts';
import { merchantWarnings } from '../server/merchants/merchant-warnings.ts';
import { sqlitePermissionProblems } from '../server/storage/file-modes.ts';
import { startDemo } from './demo.ts';
import { DEMO_EMULATOR_PORTS, FREE_PORTS } from './demo-emulators.ts';
import { signPaymentLink } from '../merchant/index.ts';
import { createLogger, logFunction, type Logger } from '../server/logger.ts';
import { onShutdownSignal } from './shutdown.ts';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let running: RunningGateway;
  let config: GatewayConfig;
  let shopUrl: string | undefined;
  let emulatorLines: string[] = [];
  let close: () => Promise<unknown>;
  let logger: Logger;
  try {
    logger = createLogger({ level: process.env.LOG_LEVEL, format: process.env.LOG_FORMAT });
  } catch (e) {
    console.error(`configuration: ${(e as Error).message}`);
    process.exit(2);
  }
  const log = logFunction(logger);
  try {
    if (configPath(argv, process.env)) {
      config = loadConfig(argv, process.env);
      running = await startGateway(config, { log, logger, cacheAssets: process.env.NODE_ENV === 'production' });
      close = () => running.close();
    } else {
      const port = Number(process.env.PORT ?? 8080);
      const demo = await startDemo({
        argv, env: process.env, shopPort: Number(process.env.SHOP_PORT ?? (port === 0 ? 0 : port + 1)),
        shopDatabase: process.env.SHOP_DATABASE ?? './data/demo-shop.sqlite', log, logger,
        emulators: port === 0 ? FREE_PORTS : DEMO_EMULATOR_PORTS,
      });
      emulatorLines = demo.emulators?.describe() ?? [];
      running = demo.gateway;
      config = running.config;
      shopUrl = demo.shopUrl;
      close = () => demo.close();
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const base = running.config.publicUrl;
  // A ready-signed link only for the built-in demo merchant, whose secret is public anyway: a link
  // signed with an operator's secret in a log is a price anyone can reuse.
  const demo = config.merchants.find((m) => m.login === DEMO_MERCHANT.login && m.secret === DEMO_MERCHANT.secret);
  const lines = [`onpay-checkout gateway on ${running.url} (public URL ${base}), database ${config.database.startsWith('sqlite:') ? config.database : 'postgres'}`];
  if (demo) {
    const q = new URLSearchParams(signPaymentLink({ gateway: base, merchantLogin: demo.login, secret: demo.secret, price: '100.0', payFor: '1001', ln: 'ru' }).query).toString();
    lines.push(`  hosted payment page: ${base}/pay/${demo.login}?${q}`);
    lines.push(`  form payload (JSON): curl -H 'accept: application/json' '${base}/pay/${demo.login}?${q}'`);
    lines.push(`  HTML snippet:        ${base}/pay/${demo.login}/snippet?${q}`);
  }
  lines.push(`  element script:      ${base}/cdn/onpay-checkout.js`);
  lines.push(`  merchant cabinet:    ${base}/cabinet`);
  if (running.metricsUrl) lines.push(`  metrics (own listener): ${running.metricsUrl}`);
  for (const l of emulatorLines) lines.push(`  ${l}`);
  if (shopUrl) lines.push(`demo shop on ${shopUrl} — open it, add something to the cart and pay (cabinet key of "demo": ${demo?.apiKey ?? ''})`);
  console.log(lines.join('\n'));
  // Every merchant, from the file or added with `npm run merchant`, whose settings are careless.
  for (const m of await running.storage.listMerchants()) {
    for (const w of merchantWarnings(m)) console.error(`warning: merchant ${m.login}: ${w.message}`);
  }
  // A database other local users can read gives them every merchant's K: said at every start.
  if (running.config.database.startsWith('sqlite:') && running.config.database !== 'sqlite::memory:') {
    for (const p of sqlitePermissionProblems(running.config.database.slice('sqlite:'.length))) console.error(`WARNING: database: ${p}`);
  }
  logger.info({ url: running.url, publicUrl: base, node: process.version }, 'gateway started');
  onShutdownSignal({ deadlineMs: running.config.shutdownTimeoutMs, logger, close: () => close() });
}

main().catch((e: unknown) => {
  console.error(`gateway failed to start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
