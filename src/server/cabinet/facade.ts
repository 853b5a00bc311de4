/**
 * The cabinet as the routes see it: every merchant-side operation (payments, sessions, search,
 * timeline, overview, export, integration test, settings, keys), bound to its storage and clock at
 * the composition root. Routes get this and never the storage, not even its type.
 *
 * @example
 * const cabinet = createCabinetFacade({ storage, now: Date.now, merchantHttp, checkTimeoutMs: 10_000, secureCookies: true });
 * const page = await cabinet.search(merchant, query);
 */
import type { MerchantHttp } from '../merchants/merchant-http.ts';
import type { Merchant } from '../types.ts';
import { createCabinet, type CabinetDeps } from './cabinet.ts';
import { exportCsv, type CsvOptions } from './export-csv.ts';
import { runIntegrationTest, type IntegrationTestInput } from './integration-test.ts';
import { searchPayments, type SearchQuery } from './search.ts';
import { createCabinetSessions } from './session.ts';
import { changeSettings, rotateCabinetKey, rotateSecret, settingsView } from './settings.ts';
import { overview, type OverviewQuery } from './summary.ts';
import { timelineOf } from './timeline.ts';
import { receiptView } from '../refunds/closing-receipt.ts';

export type { CabinetSession } from '../storage/cabinet-storage.ts';

export interface CabinetFacadeDeps extends CabinetDeps {
  /** CHECK and PAY requests of the integration test. */
  merchantHttp: MerchantHttp;
  /** How long the integration test's CHECK waits for the merchant. */
  checkTimeoutMs: number;
  /** Private merchant URLs allowed (tests, the demo): the integration tester then shows only excerpts of answers. */
  allowPrivate: boolean;
  /** `Secure` on the session cookie: the gateway's public URL is https. */
  secureCookies: boolean;
}

export type CabinetFacade = ReturnType<typeof createCabinetFacade>;

/** Builds the cabinet facade over one storage. */
export function createCabinetFacade(deps: CabinetFacadeDeps) {
  const { storage, now } = deps;
  return {
    ...createCabinet(deps),
    /** Cabinet page sign-in sessions (cookie and CSRF token). */
    sessions: createCabinetSessions({ storage, now, secureCookies: deps.secureCookies }),
    /** One page of the merchant's payments. */
    search: (m: Merchant, q: SearchQuery) => searchPayments(storage, m, q),
    /** A payment's timeline (the caller has checked it is the merchant's). */
    timeline: (paymentId: string) => timelineOf(storage, paymentId),
    /** A payment's fiscal receipts with their registration status (the caller has checked it is the merchant's). */
    receipts: async (paymentId: string) => (await storage.receiptsOf(paymentId)).map(receiptView),
    /** Totals over a period. */
    overview: (m: Merchant, q: OverviewQuery) => overview(storage, m, q, now()),
    /** The merchant's payments as a CSV stream. */
    exportCsv: (m: Merchant, q: SearchQuery, o: CsvOptions) => exportCsv(storage, m, q, o),
    /** Runs the integration test against the merchant's API URL. */
    integrationTest: (m: Merchant, input: IntegrationTestInput) => runIntegrationTest({ storage, merchantHttp: deps.merchantHttp, now, checkTimeoutMs: deps.checkTimeoutMs, allowPrivate: deps.allowPrivate }, m, input),
    settingsView: (m: Merchant) => settingsView({ storage, now }, m),
    changeSettings: (m: Merchant, patch: Parameters<typeof changeSettings>[2], actor?: string) => changeSettings({ storage, now }, m, patch, actor),
    rotateCabinetKey: (m: Merchant, opts: Parameters<typeof rotateCabinetKey>[2]) => rotateCabinetKey({ storage, now }, m, opts),
    rotateSecret: (m: Merchant, opts: Parameters<typeof rotateSecret>[2]) => rotateSecret({ storage, now }, m, opts),
  };
}
