/* motcua: keeps a page current by swapping in fragments the server renders (no framework, plain ES5, so it
   also runs on a cheap phone's old browser).
   data-stream="URL": server-sent events, each one the fragment's new HTML (live page, staff console).
   data-poll="URL" data-every="S": fetch the fragment every S seconds while the page is visible (ticket page);
   on a live page without EventSource, the fallback. Polling stops at a fragment marked data-final="yes".
   data-reload-on-change: reload the page when the fragment's data-reload-key changes (the console's buttons
   depend on the ticket in service), unless somebody is typing in a form. */
(function () {
  "use strict";
  var MAX_DELAY = 300000;

  function typing() {
    var fields = document.querySelectorAll("form input:not([type=hidden]), form select, form textarea");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i] === document.activeElement || fields[i].value) { return true; }
    }
    return false;
  }

  function reloadKey(el) {
    var child = el.firstElementChild;
    return child ? child.getAttribute("data-reload-key") : null;
  }

  /* A form being sent: its answer (a new page with its flash message) is on the way, and a reload now would
     swallow that message. */
  var submitting = false;
  document.addEventListener("submit", function () { submitting = true; }, true);

  function swap(el, html) {
    var before = reloadKey(el);
    el.innerHTML = html;
    el.setAttribute("data-updated", String(new Date().getTime()));
    if (el.hasAttribute("data-reload-on-change") && reloadKey(el) !== before && !typing() && !submitting) {
      window.location.reload();
    }
  }

  function poll(el, url, seconds) {
    var delay = seconds * 1000;
    function later() { window.setTimeout(tick, delay); }
    function tick() {
      if (document.hidden) { later(); return; }
      var xhr = new XMLHttpRequest();
      xhr.open("GET", url);
      xhr.onload = function () {
        if (xhr.status === 200) {
          swap(el, xhr.responseText);
          delay = seconds * 1000;
          var card = el.firstElementChild;
          if (card && card.getAttribute("data-final") === "yes") { return; }
        } else if (xhr.status === 404 || xhr.status === 403) {
          return;
        } else {
          delay = Math.min(delay * 2, MAX_DELAY);  /* 429 (rate limit) or the server restarting */
        }
        later();
      };
      xhr.onerror = function () { delay = Math.min(delay * 2, MAX_DELAY); later(); };
      xhr.send();
    }
    later();
  }

  function stream(el, url, fallback) {
    if (!window.EventSource) {
      if (fallback) { poll(el, fallback, 20); }
      return;
    }
    var source = new EventSource(url);
    source.onopen = function () { el.setAttribute("data-connected", "yes"); };
    source.onmessage = function (event) { swap(el, event.data); };
    source.onerror = function () {
      el.setAttribute("data-connected", "no");
      if (source.readyState === 2) {
        /* closed for good (signed out, session expired): a reload shows the sign-in page or reconnects */
        window.setTimeout(function () { window.location.reload(); }, 30000);
      }
    };
  }

  var nodes = document.querySelectorAll("[data-stream], [data-poll]");
  for (var i = 0; i < nodes.length; i++) {
    var el = nodes[i];
    if (el.hasAttribute("data-stream")) {
      stream(el, el.getAttribute("data-stream"), el.getAttribute("data-poll"));
    } else {
      poll(el, el.getAttribute("data-poll"), Number(el.getAttribute("data-every")) || 20);
    }
  }
}());
