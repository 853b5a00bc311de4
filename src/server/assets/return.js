// The payment system's return page: tell the element the outcome, or (paid) go on to the shop.
(function () {
  const el = document.querySelector('[data-onpay-result]');
  if (!el) return;
  const msg = { type: 'onpay:result', id: el.getAttribute('data-id'), status: el.getAttribute('data-onpay-result'), reason: el.getAttribute('data-reason') || undefined };
  const origins = (el.getAttribute('data-origins') || '').split(' ').filter(Boolean);
  const target = window.opener || (window.parent !== window ? window.parent : null);
  if (target) {
    // postMessage delivers only to a matching origin: the merchant's allowed origins and ours.
    origins.forEach(function (o) { try { target.postMessage(msg, o); } catch (e) { /* closed */ } });
    if (window.opener) setTimeout(function () { window.close(); }, 300);
    return;
  }
  // The element's popup (it names its window «onpay-payment») whose link to the shop's page was cut
  // on the way (a payment page sending Cross-Origin-Opener-Policy does that): no one to tell, so the
  // window closes itself; the element learns the outcome from the payment's status stream.
  if (window.name === 'onpay-payment') {
    setTimeout(function () { window.close(); }, 300);
    return;
  }
  // At top level a failed payment stays on this page: it says why and offers another method.
  if (msg.status === 'paid') window.location.replace(el.getAttribute('data-next'));
})();
