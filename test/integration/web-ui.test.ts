/**
 * The Temporal Web UI as an operator uses it, in headless Chromium: an order whose SKU matches no
 * catalogue item ('fbm-mug-01' vs 'FBM-MUG-01') needs attention; the operator finds it with the
 * search attribute query `NeedsAttention = true`, opens it and reads its input and history in plain
 * JSON — decoded by Conduit's codec server (the payloads are AES-GCM encrypted on the server).
 *
 * The runner's shared dev server has no codec endpoint, so this file starts its own dev server
 * with `--ui-codec-endpoint` pointing at a codec server it starts, and a Conduit stack on it.
 * Chromium is the Debian package (/usr/bin/chromium); CI installs it. Without it this test fails.
 * Screenshots: test/artifacts/web-ui-list.png, web-ui-order.png (decoded input), web-ui-order-history.png (decoded signal).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { AesGcmPayloadCodec } from '../../codec/payload-codec';
import { startCodecServer } from '../../codec/server';
import { provisionTemporal, type TemporalServer } from '../../scripts/lib/temporal-server';
import type { SimCatalogueItem, SimOrderView } from '../../simulator/control-client';
import { orderStatusQuery, orderWorkflowId } from '../../workflows/contracts/orders';
import { defaultCatalogue, seedConduitCatalogue, startStack, type Stack } from '../support/stack';
import { waitFor } from '../support/wait';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.resolve(__dirname, '../artifacts');
const connectionId = 'uk-webui';
const typoItem: SimCatalogueItem = { sku: 'fbm-mug-01', asin: 'B0MUG00002', title: 'Enamel mug (typo listing)', productType: 'DRINKING_CUP', price: 12.5, fulfilment: 'FBM', fbmQuantity: 5 };

let server: TemporalServer | undefined;
let codec: { url: string; endpoint: string; close(): Promise<void> } | undefined;
let stack: Stack | undefined;
let browser: BrowserContext | undefined;
let userDataDir: string | undefined;
let order: SimOrderView;
let workflowId: string;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  const key = randomBytes(32);
  const [port, uiPort] = [await freePort(), await freePort()];
  const uiOrigins = [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`];
  codec = await startCodecServer({ codec: new AesGcmPayloadCodec({ test: key }, 'test'), token: randomBytes(16).toString('hex'), port: 0, corsOrigins: uiOrigins });
  server = await provisionTemporal({ namespace: 'default', port, uiPort, codecEndpoint: codec.endpoint, cliPath: process.env.TEMPORAL_CLI_PATH || undefined });
  stack = await startStack({ connectionId, notifications: true, catalogue: [...defaultCatalogue, typoItem], seedConduit: false, temporalAddress: server.address, encryptionKey: key });
  await seedConduitCatalogue(stack.db, connectionId, defaultCatalogue);
});

after(async () => {
  await browser?.close().catch(() => {});
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  await stack?.stop();
  await server?.stop();
  await codec?.close();
});

test('Chromium is installed (CI installs the Debian package; this test does not skip)', () => {
  assert.ok(
    fs.existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH; the Web UI test needs a real browser.`,
  );
});

test('an order with a near-miss SKU needs attention (SKU_MISMATCH)', async () => {
  const s = stack!;
  const { orders } = await s.control.createOrders(s.sellerId, [{ fulfilledBy: 'MERCHANT', items: [{ sku: 'fbm-mug-01', quantity: 1 }], pendingSeconds: 0 }]);
  order = orders[0]!;
  workflowId = orderWorkflowId(order.marketplaceId, order.orderId);
  const status = await waitFor('SKU_MISMATCH', async () => {
    const st = await s.client.workflow.getHandle(workflowId).query(orderStatusQuery);
    return st.state === 'SKU_MISMATCH' ? st : undefined;
  });
  assert.equal(status.needsAttention, true);
  // Visibility is eventually consistent: the Web UI lists what this query lists.
  await waitFor('NeedsAttention = true in visibility', async () => {
    for await (const w of s.client.workflow.list({ query: `NeedsAttention = true AND ConduitConnection = "${connectionId}"` })) if (w.workflowId === workflowId) return true;
    return false;
  });
});

test('the Web UI finds it by NeedsAttention = true, opens it, and shows decoded payloads', async () => {
  assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
  assert.ok(server?.uiUrl, 'the dev server has a Web UI');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conduit-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1600, height: 1000 },
  });
  const page: Page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(60_000);
  const codecCalls: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(codec!.url)) codecCalls.push(`${r.method()} ${new URL(r.url()).pathname.replace(/\/t\/[^/]+/, '/t/<token>')}`);
  });

  // The list, filtered by the search attribute, as an operator would type it.
  const query = `NeedsAttention = true AND ConduitConnection = "${connectionId}"`;
  await page.goto(`${server!.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`, { waitUntil: 'domcontentloaded' });
  const row = page.getByText(workflowId, { exact: true }).first();
  await row.waitFor({ state: 'visible' });
  await page.screenshot({ path: path.join(ARTIFACTS, 'web-ui-list.png'), fullPage: true });

  // Open it, then the Input and Results / history: the order's input in plain JSON.
  await row.click();
  await page.waitForURL(/\/workflows\/order[^/]*\/[0-9a-f-]{36}/);
  await page.getByText('downloadedVia', { exact: false }).first().waitFor({ state: 'visible' });
  const body = await page.locator('body').innerText();
  await page.screenshot({ path: path.join(ARTIFACTS, 'web-ui-order.png'), fullPage: true });

  assert.match(body, new RegExp(`"amazonOrderId":\\s*"${order.orderId}"`), 'the decoded input names the Amazon order');
  assert.match(body, new RegExp(`"connectionId":\\s*"${connectionId}"`));
  assert.ok(!body.includes('YmluYXJ5L2VuY3J5cHRlZA'), 'no payload is left encrypted (base64 of binary/encrypted)');
  assert.ok(codecCalls.some((c) => c.startsWith('POST ') && c.endsWith('/decode')), `the browser called the codec server's /decode (calls: ${codecCalls.join(', ') || 'none'})`);

  // The SKU arrives in the amazonOrderUpdated signal: readable in the event history once decoded.
  await page.getByText('Event History', { exact: false }).first().click();
  // Oldest first, so the signal's decoded input is on screen for the screenshot (cosmetic: ignored if the button differs).
  await page.getByRole('button', { name: /Descending/ }).first().click({ timeout: 5_000 }).catch(() => {});
  await page.getByText('Workflow Execution Signaled', { exact: false }).first().click();
  await page.getByText('fbm-mug-01', { exact: false }).first().waitFor({ state: 'visible' });
  await page.getByText('fbm-mug-01', { exact: false }).first().scrollIntoViewIfNeeded();
  assert.match(await page.locator('body').innerText(), /"sku":\s*"fbm-mug-01"/, 'the signal payload (the order lines) is decoded');
  await page.screenshot({ path: path.join(ARTIFACTS, 'web-ui-order-history.png'), fullPage: true });
  // docs/operators.md sends operator signals and updates from here: More Actions → Send a Signal / Send an Update.
  await page.getByRole('button', { name: /More Actions/ }).first().click();
  await page.waitForTimeout(1_000);
  const menu = await page.locator('[role="menu"], [role="listbox"], ul').allInnerTexts();
  assert.match(menu.join('\n'), /Send a Signal[\s\S]*Send an Update/, `More Actions offers: ${menu.join(' | ')}`);
  assert.match(menu.join('\n'), /retry/, 'the order workflow offers its retry signal by name');
  await page.keyboard.press('Escape');
  for (const file of ['web-ui-list.png', 'web-ui-order.png', 'web-ui-order-history.png']) assert.ok(fs.statSync(path.join(ARTIFACTS, file)).size > 10_000, `${file} was written`);
});
