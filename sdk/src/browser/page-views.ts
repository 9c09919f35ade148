/**
 * Automatic page views: one now, and one whenever history.pushState, replaceState or
 * popstate change the path or query (not the hash alone, so in-page anchors do not count).
 */
export const watchPageViews = (page: () => void, navigated: (from: string) => void): void => {
  const where = () => location.pathname + location.search;
  let last = where();
  let href = location.href;
  const check = () => {
    if (where() != last) {
      last = where();
      navigated(href);
      page();
    }
    href = location.href;
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      check();
      return result;
    };
  }
  addEventListener('popstate', check);
  page();
};
