// A customer's saved cards in the cabinet (issue 26): searched by the shop's customer id over
// GET /api/v1/customers/{customer}/methods, each removed (DELETE, which also revokes it at the
// provider where it allows) only after the page's confirmation dialog. Server values go in as text.

const $ = (id) => document.getElementById(id);

/** The card as the buyer would recognise it: its first six and last four digits as the provider reported them. */
const cardText = (card) => `${card.first6 ? `${card.first6}…` : '•••• '}${card.last4 || '····'}`;

/**
 * Wires the section's form. `deps` are the cabinet script's helpers: its API call (session cookie
 * and CSRF token), its words for this section, and its ways of showing text and asking.
 */
export function wireSavedMethods({ api, S, el, timeCell, say, complain, guarded, confirmAction, fill }) {
  const path = (customer, id) => `/api/v1/customers/${encodeURIComponent(customer)}/methods${id ? `/${encodeURIComponent(id)}` : ''}`;

  async function load(customer) {
    const { methods } = await api(path(customer), { absolute: true });
    const body = $('methods-body');
    body.replaceChildren();
    for (const m of methods) {
      const tr = el('tr');
      const card = cardText(m.card);
      tr.append(el('td', card), el('td', m.way), el('td', m.card.expiry || '—'), timeCell(m.createdAt));
      tr.append(m.lastUsedAt ? timeCell(m.lastUsedAt) : el('td', S.never));
      const remove = el('button', S.remove, { type: 'button', class: 'secondary', 'aria-label': `${S.remove}: ${card}` });
      remove.addEventListener('click', () => guarded(async () => {
        if (!(await confirmAction(fill(S.confirm, { card, customer })))) return;
        await api(path(customer, m.id), { absolute: true, method: 'DELETE' });
        await load(customer);
        say(fill(S.removed, { card }));
        $('c-customer').focus();
      }));
      const td = el('td');
      td.append(remove);
      tr.append(td);
      body.append(tr);
    }
    $('methods-table').hidden = methods.length === 0;
    $('methods-none').hidden = methods.length !== 0;
  }

  $('customer-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const customer = $('c-customer').value.trim();
    if (!customer) {
      complain($('c-customer').validationMessage);
      return;
    }
    guarded(() => load(customer));
  });
}
