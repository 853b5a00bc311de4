// The order page follows its order: when the shop's server records the PAY, the page shows it.
const el = document.getElementById('order-status');
if (el && el.dataset.status === 'new') {
  const id = el.dataset.order;
  const timer = setInterval(async () => {
    try {
      const r = await fetch(`/orders/${id}/status`);
      const { status } = await r.json();
      if (status !== 'new') {
        clearInterval(timer);
        location.replace(`/orders/${id}`);
      }
    } catch { /* the next tick tries again */ }
  }, 1500);
}
