import type { EventContext } from '@pulse/contract';

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ == 'string' ? __VERSION__ : 'dev';

/** Page, screen, locale and UTM campaign of the current document. */
export const pageContext = (): EventContext => {
  const { href, pathname, search } = location;
  const campaign: Record<string, string> = {};
  new URLSearchParams(search).forEach((v, k) => {
    if (k.startsWith('utm_')) campaign[k === 'utm_campaign' ? 'name' : k.slice(4)] = v;
  });
  return {
    locale: navigator.language,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    page: { url: href, path: pathname, title: document.title, referrer: document.referrer, search },
    screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
    campaign,
    library: { name: '@pulse/sdk', version: VERSION },
  };
};
