/* motcua: the ticket page tells its citizen with a sound and a vibration (where the phone allows) when the turn
   becomes near or the number is called. Plain ES5, no framework, no inline script (the page's CSP).
   It watches the card live.js swaps in: #ticket-status data-status="serving" (called) or data-near="yes".
   A browser plays sound only after the person touched the page once: the first touch unlocks it. */
(function () {
  "use strict";
  var audio = null;
  var last = { status: null, near: null };

  function unlock() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!audio && Ctx) { audio = new Ctx(); }
  }
  document.addEventListener("touchstart", unlock, true);
  document.addEventListener("click", unlock, true);

  function beep(times) {
    if (navigator.vibrate) { navigator.vibrate([400, 200, 400, 200, 400]); }
    if (!audio) { return; }
    for (var i = 0; i < times; i++) {
      var osc = audio.createOscillator();
      var gain = audio.createGain();
      osc.frequency.value = 880;
      osc.connect(gain);
      gain.connect(audio.destination);
      var at = audio.currentTime + i * 0.6;
      gain.gain.setValueAtTime(0.4, at);
      gain.gain.setValueAtTime(0, at + 0.35);
      osc.start(at);
      osc.stop(at + 0.4);
    }
  }

  function check() {
    var el = document.getElementById("ticket-status");
    if (!el) { return; }
    var status = el.getAttribute("data-status");
    var near = el.getAttribute("data-near");
    if (last.status !== null) {
      if (status === "serving" && last.status !== "serving") {
        document.body.setAttribute("data-alerted", "called");
        beep(3);
      } else if (near === "yes" && last.near !== "yes") {
        document.body.setAttribute("data-alerted", "near");
        beep(1);
      }
    }
    last.status = status;
    last.near = near;
  }

  var live = document.getElementById("ticket-live");
  if (live && window.MutationObserver) {
    new MutationObserver(check).observe(live, { childList: true });
  }
  check();
}());
