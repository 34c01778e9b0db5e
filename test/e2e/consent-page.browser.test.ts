/**
 * The customer's opt-out page in headless Chromium (the npm package's, see
 * test/support/browser.ts): the link comes from the consent email in the local SES inbox, the
 * page shows the claim and changes nothing, and clicking "Deny this association" rejects the claim.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.js';
import { startTestApi, type TestApi } from '../support/test-api.js';
import { castOf, claimIn, getClaim } from '../support/workflow.js';

describe('the consent page in Chromium', () => {
  let api: TestApi;
  let browser: Browser;

  beforeAll(async () => {
    api = await startTestApi({ lifecycle: true });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
  });

  it('opens the emailed link, shows the claim, and denies it with one click', async () => {
    const cast = await castOf(api);
    const claim = await claimIn(api, { partner: cast.alice, rita: cast.rita }, 'approved', {
      name: 'Browser <b>consent</b> check',
    });
    await api.cloud.lifecycle?.settle();
    const { emails } = (await (await fetch(`${api.sesUrl}/store`)).json()) as {
      emails: { destination: { to: string[] }; body: { text: string } }[];
    };
    const email = emails.find((e) => e.body.text.includes('Browser <b>consent</b> check'));
    const link = /https?:\/\/\S+\/consent\/[A-Za-z0-9_-]{43}/.exec(email?.body.text ?? '')?.[0];
    expect(link, 'a consent link in the email').toBeDefined();

    const page = await browser.newPage({ viewport: { width: 375, height: 740 } });
    const scriptErrors: string[] = [];
    page.on('pageerror', (error) => scriptErrors.push(error.message));
    const response = await page.goto(link as string);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
    expect(await page.locator('h1').textContent()).toContain('A partner claims');
    // Escaped claim text shows as text, never as markup.
    expect(await page.locator('dd').first().textContent()).toBe('Browser <b>consent</b> check');
    expect(await page.locator('b').count()).toBe(0);
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    const deny = page.getByRole('button', { name: 'Deny this association' });
    expect(await deny.isVisible()).toBe(true);
    // Fits a phone screen: no horizontal scrolling.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
    expect((await getClaim(api, cast.alice, claim.id)).status).toBe('approved');

    await deny.click();
    await page.waitForLoadState();
    expect(await page.locator('h1').textContent()).toBe('Association denied');
    expect(scriptErrors).toEqual([]);
    const rejected = await getClaim(api, cast.alice, claim.id);
    expect(rejected.status).toBe('rejected');
    expect(rejected.rejection).toMatchObject({ reason: 'customerDecline', final: true });

    const again = await page.goto(link as string);
    expect(again?.status()).toBe(410);
    await page.close();
  });
});
