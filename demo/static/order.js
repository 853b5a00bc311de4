// The order page follows its order: when the shop's server records the PAY, the page shows it.
const el = document.getElementById('order-status');
if (el && el.dataset.status === 'new') {
  const id = el.dataset.order;
  // Set once the element takes the buyer to the success page itself: this page's own reload must
  // not cut that navigation short (it would, arriving while the success page is still loading).
  let leaving = false;
  document.addEventListener('onpay-success', (e) => {
    // Read once every listener has run: a shop that keeps the buyer here (preventDefault) still gets the reload.
    setTimeout(() => { if (!e.defaultPrevented) leaving = true; });
  });
  const timer = setInterval(async () => {
    try {
      const r = await fetch(`/orders/${id}/status`);
      const { status } = await r.json();
      if (status !== 'new' && !leaving) {
        clearInterval(timer);
        location.replace(`/orders/${id}`);
      }
    } catch { /* the next tick tries again */ }
  }, 1500);
}
