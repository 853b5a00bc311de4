/**
 * The demo shop: a product page and cart, orders in the shop's own SQLite, the shop's API URL
 * answering CHECK and PAY with the merchant kit (API 2), and an order page that embeds
 * `<onpay-checkout>` from the gateway's CDN path — plus the classic payment link and the gateway's
 * HTML snippet, so all three ways of embedding are shown.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { Hono } from 'hono';
import { html, raw } from 'hono/html';
import { compress } from 'hono/compress';
import { createMerchantHandler, fetchCheckoutHtml, preloadLinks, signPaymentLink } from '../src/merchant/index.ts';
import { formatAmount } from '../src/protocol/money.ts';
import { sendEarlyHints } from '../src/server/http/early-hints.ts';
import { faviconResponse } from '../src/server/http/favicon.ts';
import { loadPageStyle } from '../src/server/http/page-style.ts';

export interface ShopOptions {
  /** The gateway's public URL. */
  gateway: string;
  merchantLogin: string;
  /** The merchant's secret key K (shared with the gateway). */
  secret: string;
  /** `path/to/shop.sqlite` or `:memory:`. */
  database: string;
  /** The shop's own public URL. */
  publicUrl: string;
  /** Payment systems' origins whose pages the element may frame (the CSP's `frame-src`), beside the gateway. */
  frameOrigins?: string[];
}

const PRODUCTS = [
  { id: 'tea', name: 'Чай «Иван-чай», 100 г', priceMinor: 45000n },
  { id: 'honey', name: 'Мёд липовый, 500 г', priceMinor: 89050n },
  { id: 'jam', name: 'Варенье из морошки', priceMinor: 120000n },
] as const;

type OrderStatus = 'new' | 'paid' | 'cancelled';
interface OrderRow { id: number; items: string; total_minor: number; status: OrderStatus; paid_amount: string | null; onpay_id: number | null }

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

export function createShop(opts: ShopOptions) {
  if (opts.database !== ':memory:') mkdirSync(dirname(opts.database), { recursive: true });
  const db = new SQLite(opts.database);
  db.pragma('journal_mode = WAL');
  db.exec(`create table if not exists orders (
    id integer primary key autoincrement, items text not null, total_minor integer not null,
    status text not null default 'new', paid_amount text, onpay_id integer, created_at integer not null)`);
  const getOrder = db.prepare<[number], OrderRow>('select * from orders where id = ?');
  const payFor = (id: number) => `demo-${id}`;
  const orderOf = (pf: string): OrderRow | undefined => {
    const m = /^demo-(\d{1,12})$/.exec(pf);
    return m ? getOrder.get(Number(m[1])) : undefined;
  };

  const api = createMerchantHandler({
    secret: opts.secret,
    onCheck: (c) => {
      const order = orderOf(c.payFor);
      if (!order) return { accept: false, comment: 'Нет такого заказа' };
      if (order.status === 'cancelled') return { accept: false, comment: 'Заказ отменён' };
      if (order.status === 'paid') return { accept: false, comment: 'Заказ уже оплачен' };
      if (c.ticker !== 'RUR' || c.amount !== formatAmount(BigInt(order.total_minor))) return { accept: false, comment: 'Сумма не совпадает с заказом' };
      return true;
    },
    onPay: (p) => {
      const order = orderOf(p.payFor);
      if (!order) throw new Error(`PAY for an unknown order ${p.payFor}`);
      // Idempotent: a repeated PAY for a paid order changes nothing and is answered as success.
      db.prepare("update orders set status = 'paid', paid_amount = ?, onpay_id = ? where id = ? and status != 'paid'")
        .run(`${p.balanceAmount} ${p.balanceTicker}`, p.onpayId, order.id);
    },
  });

  // The shop's 428-byte stylesheet inline, allowed by its hash: a linked one held the first paint of
  // the order page (and its server-rendered picker) back by one more round trip (bench/buyer.ts).
  const style = loadPageStyle([
    "default-src 'self'", `script-src 'self' ${opts.gateway}`, `connect-src 'self' ${opts.gateway}`,
    `frame-src ${[opts.gateway, ...(opts.frameOrigins ?? [])].join(' ')}`, "style-src 'self'", "img-src 'self' data:", "base-uri 'none'",
  ].join('; '), `${STATIC_DIR}shop.css`);
  const csp = style.csp;

  const page = (title: string, body: unknown, head: unknown = '') => html`<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — Демо-магазин</title><style>${raw(style.css)}</style>${head}</head>
<body><header><nav aria-label="Демо-магазин"><a href="/" class="brand">Демо-магазин</a> <a href="/orders">Заказы</a> <a href="${opts.gateway}/cabinet">Кабинет магазина</a></nav></header>
<main>${body}</main></body></html>`;

  const app = new Hono();
  // The order page carries the picker's form and payload (≈ 20 KB): gzip makes it ≈ 5 on the wire.
  app.use('*', compress());
  app.use('*', async (c, next) => {
    await next();
    if ((c.res.headers.get('content-type') ?? '').startsWith('text/html')) c.header('content-security-policy', csp);
  });

  app.get('/', (c) => c.html(page('Товары', html`<h1>Товары</h1>
<form method="post" action="/cart">
<ul class="products">${PRODUCTS.map((p) => html`<li><label><input type="number" name="${p.id}" min="0" max="20" value="0" aria-label="Количество: ${p.name}"> ${p.name} — ${formatAmount(p.priceMinor)} ₽</label></li>`)}</ul>
<button type="submit">Оформить заказ</button>
</form>`)));

  app.post('/cart', async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const items: string[] = [];
    let total = 0n;
    for (const p of PRODUCTS) {
      const n = Number(form.get(p.id) ?? '0');
      if (!Number.isInteger(n) || n < 0 || n > 20) return c.html(page('Ошибка', html`<p role="alert">Количество «${p.name}»: от 0 до 20</p>`), 400);
      if (n > 0) {
        items.push(`${p.name} × ${n}`);
        total += p.priceMinor * BigInt(n);
      }
    }
    if (total === 0n) return c.html(page('Ошибка', html`<p role="alert">Корзина пуста</p><p><a href="/">Назад</a></p>`), 400);
    const r = db.prepare('insert into orders (items, total_minor, created_at) values (?, ?, ?)').run(items.join('; '), Number(total), Date.now());
    return c.redirect(`/orders/${r.lastInsertRowid}`, 303);
  });

  app.get('/orders', (c) => {
    const rows = db.prepare<[], OrderRow>('select * from orders order by id desc limit 50').all();
    return c.html(page('Заказы', html`<h1>Заказы</h1><ul>${rows.map((o) => html`<li><a href="/orders/${o.id}">Заказ ${payFor(o.id)}</a> — ${formatAmount(BigInt(o.total_minor))} ₽ — <span class="status-${o.status}">${o.status}</span></li>`)}</ul>`));
  });

  const loadOrder = (id: string) => (/^\d{1,12}$/.test(id) ? getOrder.get(Number(id)) : undefined);

  // The module the gateway's snippet loaded last time: hinted (103) before the next order page is made.
  let modulePreload: string | undefined;

  app.get('/orders/:id', async (c) => {
    const order = loadOrder(c.req.param('id'));
    if (!order) return c.html(page('Нет заказа', html`<p role="alert">Нет такого заказа</p>`), 404);
    const link = signPaymentLink({
      gateway: opts.gateway, merchantLogin: opts.merchantLogin, secret: opts.secret, price: BigInt(order.total_minor), payFor: payFor(order.id),
      note: order.items.slice(0, 255), ln: 'ru', urlSuccess: `${opts.publicUrl}/orders/${order.id}?paid=1`, urlFail: `${opts.publicUrl}/orders/${order.id}?failed=1`,
    });
    // The picker rendered here, on the shop's server (the kit fetches the gateway's snippet: the form
    // and its payload inside the element), unless `?render=client` asks for the element alone, which
    // loads the payload itself (preloaded by the head's <link>).
    const clientOnly = c.req.query('render') === 'client';
    const serverRender = order.status === 'new' && !clientOnly;
    const hints = [`<${opts.gateway}>; rel=preconnect`, ...(serverRender && modulePreload ? [modulePreload] : [])];
    if (order.status === 'new' && !serverRender) hints.push(`<${link.payloadUrl}>; rel=preload; as=fetch; crossorigin`, `<${opts.gateway}/cdn/onpay-checkout.js>; rel=modulepreload; crossorigin`);
    sendEarlyHints(c.env, hints);
    const checkout = serverRender ? await fetchCheckoutHtml(link) : undefined;
    if (checkout?.preload) modulePreload = checkout.preload;
    const status = { new: 'Ожидает оплаты', paid: 'Оплачен', cancelled: 'Отменён' }[order.status];
    const attrs = Object.entries(link.attributes).map(([k, v]) => html` ${raw(k)}="${v}"`);
    // The outcome the gateway sent the buyer back with (url_success / url_fail): said, never guessed
    // from the query alone: «paid» only shows as paid once the shop has the PAY.
    const back = c.req.query('paid') === '1' ? 'paid' : c.req.query('failed') === '1' ? 'failed' : null;
    const outcome = back === 'paid'
      ? html`<p id="order-outcome" role="status" data-outcome="${order.status === 'paid' ? 'paid' : 'confirming'}">${order.status === 'paid' ? 'Оплата получена. Спасибо!' : 'Платёжная система приняла оплату; ждём подтверждения — обновите страницу через минуту.'}</p>`
      : back === 'failed' && order.status !== 'paid'
        ? html`<p id="order-outcome" role="alert" data-outcome="failed">Оплата не прошла, деньги не списаны. Можно попробовать ещё раз ниже.</p>`
        : '';
    return c.html(page(`Заказ ${payFor(order.id)}`, html`<h1>Заказ ${payFor(order.id)}</h1>
${outcome}
<p>${order.items}</p>
<p>Сумма: <strong>${formatAmount(BigInt(order.total_minor))} ₽</strong></p>
<p>Статус: <strong id="order-status" data-order="${order.id}" data-status="${order.status}">${status}</strong>${order.paid_amount ? html` (получено ${order.paid_amount}, платёж № ${order.onpay_id})` : ''}</p>
${order.status === 'new' ? html`<section aria-labelledby="pay-h"><h2 id="pay-h">Оплата</h2>
${checkout ? raw(checkout.html) : html`<onpay-checkout${attrs}></onpay-checkout>`}
<p class="alt">Или: <a id="pay-link" href="${link.url}">оплатить на странице платёжного шлюза</a> · <a href="/orders/${order.id}/snippet">форма из HTML-кода шлюза</a></p>
<form method="post" action="/orders/${order.id}/cancel"><button type="submit" class="secondary">Отменить заказ</button></form>
</section>` : ''}`, html`${order.status === 'new' && !checkout ? html`${raw(preloadLinks(link))}<script type="module" src="${opts.gateway}/cdn/onpay-checkout.js"></script>` : ''}<script type="module" src="/static/order.js"></script>`));
  });

  // The third way: the shop's server fetches the gateway's HTML snippet and pastes it in.
  app.get('/orders/:id/snippet', async (c) => {
    const order = loadOrder(c.req.param('id'));
    if (!order) return c.html(page('Нет заказа', html`<p role="alert">Нет такого заказа</p>`), 404);
    const link = signPaymentLink({ gateway: opts.gateway, merchantLogin: opts.merchantLogin, secret: opts.secret, price: BigInt(order.total_minor), payFor: payFor(order.id), note: order.items.slice(0, 255), urlSuccess: `${opts.publicUrl}/orders/${order.id}?paid=1`, urlFail: `${opts.publicUrl}/orders/${order.id}?failed=1` });
    const res = await fetch(`${opts.gateway}/pay/${opts.merchantLogin}/snippet?${new URLSearchParams(link.query).toString()}`);
    if (!res.ok) return c.html(page('Ошибка', html`<p role="alert">Шлюз не выдал форму (${res.status})</p>`), 502);
    const snippetHtml = await res.text();
    return c.html(page(`Заказ ${payFor(order.id)}`, html`<h1>Заказ ${payFor(order.id)}</h1><p>Форма оплаты из HTML-кода шлюза:</p>${raw(snippetHtml)}`, html`<script type="module" src="/static/order.js"></script>`));
  });

  app.post('/orders/:id/cancel', (c) => {
    const order = loadOrder(c.req.param('id'));
    if (!order) return c.text('no such order', 404);
    db.prepare("update orders set status = 'cancelled' where id = ? and status = 'new'").run(order.id);
    return c.redirect(`/orders/${order.id}`, 303);
  });

  app.get('/orders/:id/status', (c) => {
    const order = loadOrder(c.req.param('id'));
    return order ? c.json({ id: order.id, status: order.status }) : c.json({ error: 'not found' }, 404);
  });

  app.post('/onpay/api', (c) => api(c.req.raw));

  // The gateway's icon: browsers ask every page's origin for one.
  app.get('/favicon.ico', () => faviconResponse());
  app.get('/static/:name', async (c) => {
    const name = c.req.param('name');
    if (!/^[a-z-]+\.(js|css)$/.test(name)) return c.text('not found', 404);
    try {
      const body = await readFile(`${STATIC_DIR}${name}`, 'utf8');
      return c.body(body, 200, { 'content-type': name.endsWith('.js') ? 'text/javascript; charset=utf-8' : 'text/css; charset=utf-8' });
    } catch {
      return c.text('not found', 404);
    }
  });

  // `env`: the Node adapter's `{ incoming, outgoing }`, for `103 Early Hints`.
  return { fetch: (r: Request, env?: unknown) => Promise.resolve(app.fetch(r, env)), close: () => db.close(), db };
}
