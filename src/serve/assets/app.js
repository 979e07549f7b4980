// dossier web UI: a citation [n] scrolls to paragraph n and highlights it. Everything else is
// plain HTML; pages work without this script (the :target style still marks the paragraph).
(function () {
  'use strict';

  function highlight(id, scroll) {
    var el = document.getElementById(id);
    if (!el || !el.closest('ol.paragraphs')) return false;
    var old = document.querySelectorAll('ol.paragraphs li.highlight');
    for (var i = 0; i < old.length; i++) old[i].classList.remove('highlight');
    el.classList.add('highlight');
    var details = el.closest('details');
    if (details) details.open = true;
    if (scroll) el.scrollIntoView({ behavior: 'smooth', block: 'center' });
    return true;
  }

  document.addEventListener('click', function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest('a.cite, a.pn') : null;
    if (!a) return;
    var href = a.getAttribute('href') || '';
    var hash = href.indexOf('#');
    if (hash < 0) return;
    var path = href.slice(0, hash);
    // A citation on another page (a search result): let the browser go there.
    if (path && path !== window.location.pathname) return;
    var id = decodeURIComponent(href.slice(hash + 1));
    if (highlight(id, true)) {
      ev.preventDefault();
      history.replaceState(null, '', '#' + encodeURIComponent(id));
    }
  });

  function fromHash() {
    if (window.location.hash.length > 1) highlight(decodeURIComponent(window.location.hash.slice(1)), true);
  }
  window.addEventListener('hashchange', fromHash);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', fromHash);
  else fromHash();
})();
