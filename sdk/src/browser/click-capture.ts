import type { Properties } from '@pulse/contract';

const TARGET = '[data-pulse-event],a,button,[role=button],input[type=submit],input[type=button]';

/**
 * Opt-in click capture: a click on (or inside) an element with `data-pulse-event`, a link or
 * a button becomes a `click` event named by `data-pulse-event` (else "click"), with the
 * element's tag, id, text and href and every other `data-pulse-*` attribute as properties
 * (`data-pulse-plan-name` → `plan_name`).
 */
export const captureClicks = (click: (name: string, properties: Properties) => void): void =>
  addEventListener(
    'click',
    (e) => {
      const el = (e.target as Element | null)?.closest?.(TARGET);
      if (!el) return;
      const props: Record<string, string> = { tag: el.tagName.toLowerCase() };
      const text = el.textContent?.trim().slice(0, 100);
      if (text) props.text = text;
      if (el.id) props.id = el.id;
      if ((el as HTMLAnchorElement).href) props.href = (el as HTMLAnchorElement).href;
      // The attribute names are spelt out, not joined from a prefix constant: fewer bytes.
      for (const { name, value } of el.attributes) {
        if (name.startsWith('data-pulse-') && name != 'data-pulse-event') {
          props[name.slice(11 /* 'data-pulse-'.length */).replace(/-/g, '_')] = value;
        }
      }
      click(el.getAttribute('data-pulse-event') || 'click', props);
    },
    true,
  );
