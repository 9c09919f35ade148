import type { Properties } from '@pulse/contract';

/**
 * Captures clicks on `[data-pulse-event]` elements (their `data-pulse-*` attributes become
 * properties), links and buttons.
 */
export const watchClicks = (onClick: (name: string, properties: Properties) => void): void => {
  addEventListener(
    'click',
    (e) => {
      const el = (e.target as Element | null)?.closest?.('[data-pulse-event],a,button');
      if (!el) return;
      const props: Properties = {
        tag: el.tagName.toLowerCase(),
        text: (el.textContent || '').trim().slice(0, 100),
      };
      if (el.id) props.id = el.id;
      const href = el.getAttribute('href');
      if (href) props.href = href;
      for (const [k, v] of Object.entries((el as HTMLElement).dataset))
        if (k.startsWith('pulse') && k !== 'pulseEvent')
          props[k[5]!.toLowerCase() + k.slice(6)] = v;
      onClick((el as HTMLElement).dataset.pulseEvent || 'click', props);
    },
    true,
  );
};
