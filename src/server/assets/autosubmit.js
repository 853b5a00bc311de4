// A form that only carries the buyer on (the issuer's 3-D Secure page): sent as soon as the page shows.
(function () {
  const form = document.querySelector('form[data-autosubmit]');
  if (form) form.submit();
})();
