// The script-tag snippet: a stub `pulse` that records calls until the bundle loads and replays
// them. The bundle URL comes from the tag's data-pulse-src attribute.
(function (w, d) {
  if (w.pulse) return;
  var q = [];
  var p = (w.pulse = { _q: q });
  'init track page identify alias reset flush consent use on'.split(' ').forEach(function (m) {
    p[m] = function () {
      q.push([m, [].slice.call(arguments)]);
    };
  });
  var c = d.currentScript;
  var s = d.createElement('script');
  s.async = true;
  s.src = (c && c.getAttribute('data-pulse-src')) || 'https://cdn.pulse.dev/sdk/pulse.iife.js';
  d.head.appendChild(s);
})(window, document);
