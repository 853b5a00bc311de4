/**
 * The connector registry: the connector modules the gateway knows, by type, and the connectors built
 * from the configuration — one per provider account (`providers`), plus the built-in sandbox account
 * `sandbox` serving the ways with a `system`. The payment service is given a registry and knows the
 * contract only, never a provider.
 *
 * Adding a provider type is two lines in `modules.ts`: import its module, list it in `CONNECTOR_MODULES`.
 *
 * @example
 * const registry = createConnectorRegistry(config, { http: createProviderHttp(), now: Date.now, publicUrl: config.publicUrl, timeoutMs: 10_000 });
 * const entry = registry.way('TBC'); // { way, connector, method: 'card' }
 */
import type { Connector, ConnectorDeps, ConnectorModules, RegistryConfig, WayDefinition } from './contract.ts';
import { CONNECTOR_MODULES, SANDBOX_PROVIDER_ID } from './modules.ts';
import { sandboxModule } from './sandbox/sandbox.ts';

/** A way with the connector and method that serve it. */
export interface WayEntry {
  way: WayDefinition;
  connector: Connector;
  method: string;
}

export interface ConnectorRegistry {
  /** The connector of a provider account (`sandbox` included), by id. */
  connector(id: string): Connector | undefined;
  /** Every account's connector. */
  connectors(): Connector[];
  /** The way with this code, with its connector and method. */
  way(code: string): WayEntry | undefined;
}

/**
 * Builds one connector per provider account of a parsed configuration (`parseConfig` already checked
 * each entry against its module's schema, and each way's provider and method). Throws on a type it
 * does not know: a configuration parsed with other modules.
 */
export function createConnectorRegistry(config: RegistryConfig, deps: ConnectorDeps, modules: ConnectorModules = CONNECTOR_MODULES): ConnectorRegistry {
  const byId = new Map<string, Connector>();
  const sandboxWays = config.ways.filter((w) => w.system !== undefined);
  byId.set(SANDBOX_PROVIDER_ID, sandboxModule.create({ id: SANDBOX_PROVIDER_ID, type: 'sandbox', secret: config.secret, ways: sandboxWays }, deps));
  for (const p of config.providers) {
    const module = modules.get(p.type);
    if (!module) throw new Error(`no connector module of type ${p.type} (provider ${p.id})`);
    byId.set(p.id, module.create(p, deps));
  }
  const ways = new Map<string, WayEntry>(config.ways.map((w) => {
    const id = w.provider ?? SANDBOX_PROVIDER_ID;
    const connector = byId.get(id);
    if (!connector) throw new Error(`way ${w.code}: no provider ${id}`);
    return [w.code, { way: w, connector, method: w.method ?? w.system! }];
  }));
  return {
    connector: (id) => byId.get(id),
    connectors: () => [...byId.values()],
    way: (code) => ways.get(code),
  };
}
