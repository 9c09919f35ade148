import type { PulseEvent } from './event';

/**
 * The page a page_view counts for: `properties.path`, else `context.page.path`, else the path
 * of `properties.url` (a full URL or a bare path). One rule, so every engine and every
 * dashboard groups pages the same way.
 */
export function pagePath(event: Pick<PulseEvent, 'properties' | 'context'>): string {
  const fromProps = event.properties?.path;
  if (typeof fromProps == 'string' && fromProps) return fromProps;
  const fromContext = event.context?.page?.path;
  if (typeof fromContext == 'string' && fromContext) return fromContext;
  const url = event.properties?.url;
  if (typeof url != 'string' || !url) return '';
  if (url.startsWith('/')) return url.split(/[?#]/)[0] ?? url;
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
