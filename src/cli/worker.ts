/**
 * `npm run worker`: a PAY dispatcher, a reconciler, the receipt checker and the subscriptions'
 * scheduler in their own process, on the gateway's database and
 * configuration (`--config path.json` or `ONPAY_CONFIG`, the same environment as `npm start`). Run
 * as many as you like: each notification is claimed by one of them at a time (PostgreSQL: `FOR
 * UPDATE SKIP LOCKED`; SQLite: one writer). Set `dispatcher.inProcess: false` in the configuration
 * when only workers should deliver.
 */
import { ConfigError } from '../server/config.ts';
import { createGateway } from '../server/app.ts';
import { loadConfig } from '../server/bootstrap.ts';
import { dispatcherFromConfig, processOwner } from '../server/dispatcher/from-config.ts';
import { reconcilerFromConfig } from '../server/dispatcher/reconcile.ts';
import { createReceiptChecker } from '../server/dispatcher/receipt-checks.ts';
import { subscriptionSchedulerFromConfig } from '../server/dispatcher/subscriptions.ts';
import { openDatabase } from '../server/storage/db.ts';
import { createStorage } from '../server/storage/storage.ts';
import { settlesWithin, stopDispatcher } from '../server/bootstrap.ts';
import { createLogger, logFunction } from '../server/logger.ts';
import { onShutdownSignal } from './shutdown.ts';

async function main(): Promise<void> {
  let config;
  let logger;
  try {
    logger = createLogger({ level: process.env.LOG_LEVEL, format: process.env.LOG_FORMAT });
    config = loadConfig(process.argv.slice(2), process.env);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof RangeError) {
      console.error(e instanceof ConfigError ? e.message : `configuration: ${(e as Error).message}`);
      process.exit(2);
    }
    throw e;
  }
  const database = await openDatabase(config.database, { poolSize: config.databasePoolSize, busyMs: config.storageBusyMs });
  const storage = createStorage(database.db, database.dialect);
  const dispatcher = dispatcherFromConfig(config, storage, { owner: processOwner('worker'), log: logFunction(logger), logger });
  dispatcher.start();
  // Reconciliation too: the payment service (no HTTP served) asks the providers and applies answers.
  const { service } = createGateway({ config, storage, log: logFunction(logger) });
  const reconciler = reconcilerFromConfig(config, storage, service, { owner: processOwner('worker-rc'), log: logFunction(logger) });
  reconciler.start();
  const receiptChecker = createReceiptChecker({ storage, service, now: Date.now, owner: processOwner('worker-rcpt'), log: logFunction(logger) });
  receiptChecker.start();
  // Subscriptions' periods (issue 26): charged once each, whichever gateway or worker claims them.
  const subscriptionScheduler = subscriptionSchedulerFromConfig(config, storage, service.subscriptions, { owner: processOwner('worker-sub'), log: logFunction(logger) });
  subscriptionScheduler.start();
  console.log(`onpay-checkout worker ${dispatcher.owner} delivering from ${config.database.startsWith('sqlite:') ? config.database : 'postgres'}`);
  logger.info({ owner: dispatcher.owner, node: process.version }, 'worker started');
  const deadlineMs = config.shutdownTimeoutMs;
  onShutdownSignal({
    deadlineMs,
    logger,
    // Attempts in flight are finished and recorded; past the deadline the leases are given back.
    close: async () => {
      const [finished] = await Promise.all([
        stopDispatcher(dispatcher, storage, deadlineMs, logFunction(logger)),
        settlesWithin(reconciler.stop(), deadlineMs),
        settlesWithin(receiptChecker.stop(), deadlineMs),
        settlesWithin(subscriptionScheduler.stop(), deadlineMs),
      ]);
      await database.close();
      return { cut: !finished };
    },
  });
}

main().catch((e: unknown) => {
  console.error(`worker failed to start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
