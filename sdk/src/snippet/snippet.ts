/**
 * The inline snippet (built to dist/snippet.min.js). It defines a stub `window.pulse` whose
 * methods record their calls (each returns a promise settled once the bundle has run it),
 * then loads the bundle from the `data-pulse-src` attribute of its own script tag, else
 * from /pulse.iife.js on the same site. The bundle replays the calls in order.
 */
((w: Window & { pulse?: Record<string, unknown> & { _q?: unknown[][] } }, d: Document) => {
  const p = (w.pulse ||= { _q: [] });
  if (!p._q || p.l) return;
  p.l = 1;
  for (const m of 'init track page identify alias reset flush consent decide use on'.split(' ')) {
    p[m] ||= (...a: unknown[]) => new Promise((r) => p._q!.push([m, a, r]));
  }
  const s = d.createElement('script');
  s.async = true;
  s.src = d.currentScript?.getAttribute('data-pulse-src') || '/pulse.iife.js';
  d.head.append(s);
})(window, document);
