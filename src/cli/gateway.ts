/**
 * `npm start`: runs the gateway (sandbox payment systems, SQLite under ./data by default).
 * `--config path.json` or `ONPAY_CONFIG` selects a configuration file; see README.md.
 */
import { ConfigError } from '../server/config.ts';
import { loadConfig, startGateway } from '../server/bootstrap.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const running = await startGateway(config, { log: (m) => console.error(m) });
  const base = running.config.publicUrl;
  const demo = config.merchants[0];
  const lines = [`onpay-checkout gateway on ${running.url} (public URL ${base}), database ${config.database.startsWith('sqlite:') ? config.database : 'postgres'}`];
  if (demo) {
    lines.push(`  hosted payment page: ${base}/pay/${demo.login}?price=100.0&ticker=RUR&pay_for=1001&ln=ru`);
    lines.push(`  form payload (JSON): curl -H 'accept: application/json' '${base}/pay/${demo.login}?price=100.0&pay_for=1001'`);
    lines.push(`  HTML snippet:        ${base}/pay/${demo.login}/snippet?price=100.0&pay_for=1001`);
  }
  lines.push(`  element script:      ${base}/cdn/onpay-checkout.js`);
  console.log(lines.join('\n'));
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e: unknown) => {
  console.error(`gateway failed to start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
