/**
 * Calls `onPage` on load and on every SPA navigation (pushState, replaceState to another path,
 * popstate, hashchange is left to the app).
 */
export const watchPageViews = (onPage: () => void): void => {
  let last = location.pathname + location.search;
  const check = () => {
    const now = location.pathname + location.search;
    if (now !== last) {
      last = now;
      onPage();
    }
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args);
      check();
    };
  }
  addEventListener('popstate', check);
  onPage();
};
