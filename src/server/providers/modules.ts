/**
 * The connector types the gateway knows, and the id of its built-in sandbox account. Kept apart from
 * the registry, which builds connectors from a parsed configuration: the configuration's schema needs
 * the modules, and nothing here needs the configuration, so the two never import each other.
 *
 * Adding a provider type is two lines here: import its module, list it in `CONNECTOR_MODULES`.
 */
import type { AnyConnectorModule, ConnectorModules } from './contract.ts';
import { cloudPaymentsModule } from './cloudpayments/index.ts';
import { sandboxModule } from './sandbox/sandbox.ts';
import { tbankModule } from './tbank/index.ts';
import { yookassaModule } from './yookassa/index.ts';

/** The id (and type) of the built-in sandbox account. Reserved: no provider entry may use it. */
export const SANDBOX_PROVIDER_ID = 'sandbox';

/** Modules by type; a type registered twice is a programming error. */
export function moduleTable(modules: readonly AnyConnectorModule[]): ConnectorModules {
  const table = new Map<string, AnyConnectorModule>();
  for (const m of modules) {
    if (table.has(m.type)) throw new Error(`connector type ${m.type} registered twice`);
    table.set(m.type, m);
  }
  return table;
}

/** Every connector type the gateway knows. */
export const CONNECTOR_MODULES: ConnectorModules = moduleTable([
  sandboxModule,
  tbankModule,
  cloudPaymentsModule,
  yookassaModule,
]);

