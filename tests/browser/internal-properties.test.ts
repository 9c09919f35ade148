import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_PROPERTIES } from '../../sdk/internal-properties';
import { launchChromium } from './harness';

/**
 * The IIFE's minifier (swc) may shorten the names of sdk/internal-properties.ts everywhere,
 * also where a name is a built-in's member. That is safe only while no listed name is a member
 * of anything the browser provides: `ids.at(-1)` would become `ids.x(-1)` if `at` were listed.
 * So no listed name may be a property of a global, of a global's prototype, or of a global
 * constructor's prototype in Chromium.
 */
const listed = INTERNAL_PROPERTIES.source.replace(/^\^\(|\)\$$/g, '').split('|');

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

describe('property names shortened in the IIFE', () => {
  it('are read from the list as it is', () => {
    expect(listed.length).toBeGreaterThan(10);
    for (const name of listed) expect(name).toMatch(INTERNAL_PROPERTIES);
  });

  it("are no member of any of the browser's built-ins", async () => {
    const page = await browser.newPage();
    const clashes = await page.evaluate((names) => {
      const found: string[] = [];
      const seen = new Set<object>();
      const visit = (owner: string, value: unknown) => {
        for (let o = value; o && (typeof o == 'object' || typeof o == 'function');) {
          if (seen.has(o)) break;
          seen.add(o);
          for (const name of names) if (Object.hasOwn(o, name)) found.push(`${owner}.${name}`);
          o = Object.getPrototypeOf(o);
        }
      };
      visit('window', window);
      for (const g of Object.getOwnPropertyNames(window)) {
        let value: unknown;
        try {
          value = (window as unknown as Record<string, unknown>)[g];
        } catch {
          continue;
        }
        visit(g, value);
        if (typeof value == 'function') visit(`${g}.prototype`, value.prototype);
      }
      return found;
    }, listed);
    await page.close();
    expect(clashes).toEqual([]);
  });
});
