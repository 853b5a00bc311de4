/**
 * Saved methods in the T-Bank emulator: customers of a terminal (`AddCustomer`, `GetCustomer`,
 * `RemoveCustomer`), their cards (`GetCardList`, `RemoveCard`) and the `RebillId` of a card saved by
 * a paid `Init` with `Recurrent: "Y"` and `CustomerKey`, which `Charge` uses. From T-Bank's «Методы
 * работы с клиентами», «Методы работы с картами» and «Рекуррентный платеж». In memory.
 */
import { idOf, MESSAGES } from './emulator-wire.ts';

/** A card bound to a customer, as `GetCardList` shows it. */
export interface EmulatorCard {
  cardId: string;
  /** The full test card number (what decides a `Charge` with it). */
  pan: string;
  expDate: string;
  /** `A` active, `D` deleted. */
  status: 'A' | 'D';
  /** Set when the card was saved by a recurrent payment (`Recurrent: "Y"`). */
  rebillId: string | null;
}

export interface EmulatorCustomer {
  terminalKey: string;
  customerKey: string;
  email?: string;
  phone?: string;
  cards: EmulatorCard[];
}

/** How `Charge` with a saved card ends (a test switch: real cards decide this themselves). */
export type ChargeOutcome = 'success' | 'decline' | 'insufficient_funds' | '3ds_required';

type Answer = Record<string, unknown> | Record<string, unknown>[];

function fail(terminalKey: string, code: string, details = ''): Record<string, unknown> {
  return { Success: false, ErrorCode: code, Message: MESSAGES[code] ?? 'Неверные параметры', Details: details, TerminalKey: terminalKey };
}

/** Masks a card number as T-Bank shows it (`220138******0013`). */
export function maskPan(pan: string): string {
  return `${pan.slice(0, 6)}******${pan.slice(-4)}`;
}

/**
 * The store of customers and saved cards. `nextId` gives numeric ids (`CardId`, `RebillId`).
 */
export function createCustomerStore(nextId: () => string) {
  const customers = new Map<string, EmulatorCustomer>();
  const rebills = new Map<string, { customer: EmulatorCustomer; card: EmulatorCard }>();
  const outcomes = new Map<string, ChargeOutcome>();
  const keyOf = (terminalKey: string, customerKey: string): string => `${terminalKey}\u0000${customerKey}`;

  function ensure(terminalKey: string, customerKey: string): EmulatorCustomer {
    const k = keyOf(terminalKey, customerKey);
    let c = customers.get(k);
    if (!c) {
      c = { terminalKey, customerKey, cards: [] };
      customers.set(k, c);
    }
    return c;
  }

  return {
    /**
     * A paid payment of a customer saves its card (Init registers the customer itself); with
     * `Recurrent: "Y"` the card gets a `RebillId` for `Charge`.
     */
    saveCard(terminalKey: string, customerKey: string, pan: string, recurrent: boolean): EmulatorCard {
      const customer = ensure(terminalKey, customerKey);
      let card = customer.cards.find((c) => c.pan === pan && c.status === 'A');
      if (!card) {
        card = { cardId: nextId(), pan, expDate: '1230', status: 'A', rebillId: null };
        customer.cards.push(card);
      }
      if (recurrent && !card.rebillId) {
        card.rebillId = nextId();
        rebills.set(card.rebillId, { customer, card });
      }
      return card;
    },

    /** The active card behind a `RebillId` of this terminal. */
    rebill(terminalKey: string, rebillId: unknown): EmulatorCard | undefined {
      const id = idOf(rebillId);
      const r = id === undefined ? undefined : rebills.get(id);
      if (!r || r.customer.terminalKey !== terminalKey || r.card.status !== 'A' || !customers.has(keyOf(terminalKey, r.customer.customerKey))) return undefined;
      return r.card;
    },

    chargeOutcome: (rebillId: string): ChargeOutcome => outcomes.get(rebillId) ?? 'success',
    setChargeOutcome(rebillId: string, outcome: ChargeOutcome): void {
      outcomes.set(rebillId, outcome);
    },

    customer: (terminalKey: string, customerKey: string) => customers.get(keyOf(terminalKey, customerKey)),

    /** The customer methods; undefined for any other method. */
    handle(method: string, terminalKey: string, body: Record<string, unknown>): Answer | undefined {
      if (!['AddCustomer', 'GetCustomer', 'RemoveCustomer', 'GetCardList', 'RemoveCard'].includes(method)) return undefined;
      const customerKey = body.CustomerKey;
      if (typeof customerKey !== 'string' || customerKey === '') return fail(terminalKey, '2', 'CustomerKey');
      if (customerKey.length > 36) return fail(terminalKey, '216', 'CustomerKey');
      if (method === 'AddCustomer') {
        // Adding a known customer again is not an error: its contacts are updated.
        const c = ensure(terminalKey, customerKey);
        if (typeof body.Email === 'string' && body.Email !== '') c.email = body.Email;
        if (typeof body.Phone === 'string' && body.Phone !== '') c.phone = body.Phone;
        return { Success: true, ErrorCode: '0', Message: 'OK', Details: '', TerminalKey: terminalKey, CustomerKey: customerKey };
      }
      const c = customers.get(keyOf(terminalKey, customerKey));
      if (!c) return fail(terminalKey, '7', 'Клиент не найден.');
      switch (method) {
        case 'GetCustomer':
          return {
            Success: true, ErrorCode: '0', Message: 'OK', Details: '', TerminalKey: terminalKey, CustomerKey: customerKey,
            ...(c.email ? { Email: c.email } : {}), ...(c.phone ? { Phone: c.phone } : {}),
          };
        case 'RemoveCustomer':
          customers.delete(keyOf(terminalKey, customerKey));
          for (const card of c.cards) card.status = 'D';
          return { Success: true, ErrorCode: '0', Message: 'OK', Details: '', TerminalKey: terminalKey, CustomerKey: customerKey };
        case 'GetCardList':
          // Deleted cards are listed too (Status D), as the reference says.
          return c.cards.map((card) => ({
            CardId: card.cardId, Pan: maskPan(card.pan), Status: card.status, CardType: 0, ExpDate: card.expDate,
            ...(card.rebillId ? { RebillId: card.rebillId } : {}),
          }));
        default: {
          const cardId = idOf(body.CardId);
          if (cardId === undefined) return fail(terminalKey, '2', 'CardId');
          const card = c.cards.find((x) => x.cardId === cardId && x.status === 'A');
          if (!card) return fail(terminalKey, '231', 'Не удалось удалить карту клиента, для данного клиента такая карта не существует');
          card.status = 'D';
          return { Success: true, ErrorCode: '0', Message: 'OK', Details: '', TerminalKey: terminalKey, CustomerKey: customerKey, CardId: cardId, CardType: 0, Status: 'D' };
        }
      }
    },
  };
}

export type CustomerStore = ReturnType<typeof createCustomerStore>;
