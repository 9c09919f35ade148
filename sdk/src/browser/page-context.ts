import type { EventContext } from '@pulse/contract';
import { VERSION } from '../core/version';

export interface PageContext {
  get(): EventContext;
  /** An SPA navigation happened: the page we left becomes the referrer. */
  navigated(from: string): void;
}

/** The context of each event: locale, timezone, page, screen, campaign (utm_*), library. */
export const createPageContext = (): PageContext => {
  let referrer = document.referrer;
  let search: string | undefined;
  let campaign: Record<string, string> = {};
  let timezone: string | undefined;
  try {
    timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    // Left out where Intl is missing.
  }
  return {
    // `location` is named at each use: fewer bytes than an alias.
    get: () => {
      if (location.search !== search) {
        search = location.search;
        campaign = {};
        // Every utm_* parameter (GA4's utm_id, utm_source_platform… too); utm_campaign is the name.
        for (const [k, v] of new URLSearchParams(search)) {
          if (k.startsWith('utm_') && v) campaign[k == 'utm_campaign' ? 'name' : k.slice(4)] = v;
        }
      }
      return {
        locale: navigator.language,
        timezone,
        page: {
          url: location.href,
          path: location.pathname,
          title: document.title,
          referrer,
          search: location.search,
        },
        screen: { width: screen.width, height: screen.height, density: devicePixelRatio },
        campaign: { ...campaign },
        library: { name: '@pulse/sdk', version: VERSION },
      };
    },
    navigated: (from) => {
      referrer = from;
    },
  };
};
