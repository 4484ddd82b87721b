import { iso, DAY } from './clock';
import type { AmazonSimulator } from './simulator';
import { invalidInput, notFound } from './api-error';
import type { CallerContext } from './auth';
import { fbaChannelCode } from './marketplaces';
import type { Seller, SimReport, SimReturn } from './state';

export const SUPPORTED_REPORT_TYPES = ['GET_MERCHANT_LISTINGS_ALL_DATA', 'GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE', 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA'];

const LISTINGS_COLUMNS = [
  'item-name', 'item-description', 'listing-id', 'seller-sku', 'price', 'quantity', 'open-date', 'image-url',
  'item-is-marketplace', 'product-id-type', 'zshop-shipping-fee', 'item-note', 'item-condition', 'zshop-category1',
  'zshop-browse-path', 'zshop-storefront-feature', 'asin1', 'asin2', 'asin3', 'will-ship-internationally',
  'expedited-shipping', 'zshop-boldface', 'product-id', 'bid-for-featured-placement', 'add-delete', 'pending-quantity',
  'fulfillment-channel', 'merchant-shipping-group', 'status',
];

const FBM_RETURNS_COLUMNS = [
  'Order ID', 'Order date', 'Return request date', 'Return request status', 'Amazon RMA ID', 'Merchant RMA ID',
  'Label type', 'Label cost', 'Currency code', 'Return carrier', 'Tracking ID', 'Label to be paid by', 'A-to-z claim',
  'Is prime', 'ASIN', 'Merchant SKU', 'Item Name', 'Return quantity', 'Return Reason', 'In policy', 'Return type',
  'Resolution', 'Invoice number', 'Return delivery date', 'Order Amount', 'Order quantity', 'Refunded Amount',
];

const FBA_RETURNS_COLUMNS = [
  'return-date', 'order-id', 'sku', 'asin', 'fnsku', 'product-name', 'quantity', 'fulfillment-center-id',
  'detailed-disposition', 'reason', 'status', 'license-plate-number', 'customer-comments',
];

function cell(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).replace(/[\t\r\n]+/g, ' ');
}

function tsv(columns: string[], rows: Record<string, unknown>[]): string {
  return [columns.join('\t'), ...rows.map((r) => columns.map((c) => cell(r[c])).join('\t'))].join('\n') + '\n';
}

function gmt(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '')} GMT`;
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Reports 2021-06-30 for listings and returns, plus the returns the control API creates. */
export class ReportsService {
  constructor(private readonly sim: AmazonSimulator) {}

  private get core() {
    return this.sim.core;
  }

  forCaller(caller: CallerContext, reportId: string): SimReport {
    const report = this.core.state.reports.get(reportId);
    if (!report || report.sellerId !== caller.seller?.sellerId) throw notFound(`Report ${reportId} was not found.`);
    return report;
  }

  create(seller: Seller, body: { reportType: string; marketplaceIds: string[]; dataStartTime?: number; dataEndTime?: number; reportOptions?: Record<string, string> }): SimReport {
    const now = this.core.now();
    const report: SimReport = {
      reportId: `${this.core.rng('ids').int(5, 9)}${this.core.rng('ids').digits(10)}`,
      sellerId: seller.sellerId,
      reportType: body.reportType,
      marketplaceIds: body.marketplaceIds,
      dataStartTime: body.dataStartTime,
      dataEndTime: body.dataEndTime,
      reportOptions: body.reportOptions,
      createdAt: now,
      status: 'IN_QUEUE',
    };
    this.core.state.reports.set(report.reportId, report);
    const total = this.core.randomIn(this.core.options.reportProcessingMs);
    this.core.after(Math.round(total / 4), `report ${report.reportId} starts`, () => {
      if (report.status !== 'IN_QUEUE') return;
      report.status = 'IN_PROGRESS';
      report.processingStartAt = this.core.now();
      this.core.after(total - Math.round(total / 4), `report ${report.reportId} done`, () => this.finish(report));
    });
    return report;
  }

  cancel(report: SimReport): void {
    if (report.status !== 'IN_QUEUE') throw invalidInput(`Report ${report.reportId} cannot be cancelled: its processingStatus is ${report.status}.`);
    report.status = 'CANCELLED';
    report.processingEndAt = this.core.now();
  }

  private finish(report: SimReport): void {
    if (report.status !== 'IN_PROGRESS') return;
    const content = this.generate(report);
    report.processingEndAt = this.core.now();
    if (content === undefined) {
      // Amazon cancels reports that have no data.
      report.status = 'CANCELLED';
      return;
    }
    const doc = this.sim.documents.create(report.sellerId, 'report', 'text/plain; charset=utf-8', Buffer.from(content, 'utf8'));
    report.reportDocumentId = doc.documentId;
    report.status = 'DONE';
  }

  private generate(report: SimReport): string | undefined {
    const seller = this.core.state.sellers.get(report.sellerId);
    if (!seller) return undefined;
    const end = report.dataEndTime ?? this.core.now();
    const start = report.dataStartTime ?? end - 30 * DAY;
    const inRange = (r: SimReturn) => r.sellerId === seller.sellerId && r.returnDate >= start && r.returnDate <= end && report.marketplaceIds.includes(r.marketplaceId);
    switch (report.reportType) {
      case 'GET_MERCHANT_LISTINGS_ALL_DATA': {
        const rows: Record<string, unknown>[] = [];
        for (const l of this.sim.listings.listFor(seller.sellerId).sort((a, b) => (a.sku < b.sku ? -1 : 1))) {
          const price = this.sim.listings.price(l);
          const base = {
            'item-name': this.sim.listings.title(l),
            'item-description': this.sim.listings.description(l) ?? '',
            'listing-id': `${day(l.createdAt).replace(/-/g, '').slice(2)}${l.asin.slice(-6)}`,
            'seller-sku': l.sku,
            price: price?.amount ?? '',
            'open-date': gmt(l.createdAt),
            'item-is-marketplace': 'y',
            'product-id-type': '1',
            'item-condition': '11',
            asin1: l.asin,
            'will-ship-internationally': '',
            'product-id': l.asin,
            'merchant-shipping-group': 'Migrated Template',
          };
          if (l.fulfilment !== 'FBA') {
            rows.push({ ...base, quantity: l.fbmQuantity, 'fulfillment-channel': 'DEFAULT', 'pending-quantity': 0, status: l.fbmQuantity > 0 ? 'Active' : 'Inactive' });
          }
          if (l.fulfilment !== 'FBM') {
            const fba = this.sim.fba.realLevel(seller.sellerId, l.sku);
            rows.push({ ...base, quantity: '', 'fulfillment-channel': fbaChannelCode(seller.region), status: fba > 0 ? 'Active' : 'Inactive' });
          }
        }
        return rows.length > 0 ? tsv(LISTINGS_COLUMNS, rows) : undefined;
      }
      case 'GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE': {
        const rows = this.core.state.returns
          .filter((r) => r.channel === 'FBM' && inRange(r))
          .map((r) => ({
            'Order ID': r.orderId ?? '',
            'Order date': r.orderDate !== undefined ? day(r.orderDate) : '',
            'Return request date': day(r.returnDate),
            'Return request status': 'Approved',
            'Amazon RMA ID': r.rmaId,
            'Merchant RMA ID': '',
            'Label type': 'AmazonUnPaidLabel',
            'Label cost': '0.00',
            'Currency code': r.currencyCode,
            'Return carrier': 'Royal Mail',
            'Tracking ID': '',
            'Label to be paid by': 'Customer',
            'A-to-z claim': 'N',
            'Is prime': 'N',
            ASIN: r.asin,
            'Merchant SKU': r.sku,
            'Item Name': r.title,
            'Return quantity': r.quantity,
            'Return Reason': r.reason,
            'In policy': 'Y',
            'Return type': 'C-Returns',
            Resolution: 'StandardRefund',
            'Invoice number': '',
            'Return delivery date': '',
            'Order Amount': r.refundedAmount,
            'Order quantity': r.quantity,
            'Refunded Amount': r.refundedAmount,
          }));
        return rows.length > 0 ? tsv(FBM_RETURNS_COLUMNS, rows) : undefined;
      }
      case 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA': {
        const rows = this.core.state.returns
          .filter((r) => r.channel === 'FBA' && inRange(r))
          .map((r) => ({
            'return-date': iso(r.returnDate).replace(/\.\d{3}Z$/, '+00:00'),
            'order-id': r.orderId ?? '',
            sku: r.sku,
            asin: r.asin,
            fnsku: this.sim.listings.get(r.sellerId, r.sku)?.fnSku ?? '',
            'product-name': r.title,
            quantity: r.quantity,
            'fulfillment-center-id': 'LTN4',
            'detailed-disposition': r.disposition,
            reason: r.reason,
            status: r.disposition === 'SELLABLE' ? 'Unit returned to inventory' : 'Reimbursed',
            'license-plate-number': `LPN${r.rmaId.slice(-9)}`,
            'customer-comments': '',
          }));
        return rows.length > 0 ? tsv(FBA_RETURNS_COLUMNS, rows) : undefined;
      }
      default:
        return undefined;
    }
  }

  render(report: SimReport): Record<string, unknown> {
    const out: Record<string, unknown> = {
      reportId: report.reportId,
      reportType: report.reportType,
      marketplaceIds: report.marketplaceIds,
      createdTime: iso(report.createdAt),
      processingStatus: report.status,
    };
    if (report.dataStartTime !== undefined) out.dataStartTime = iso(report.dataStartTime);
    if (report.dataEndTime !== undefined) out.dataEndTime = iso(report.dataEndTime);
    if (report.processingStartAt !== undefined) out.processingStartTime = iso(report.processingStartAt);
    if (report.processingEndAt !== undefined) out.processingEndTime = iso(report.processingEndAt);
    if (report.reportDocumentId) out.reportDocumentId = report.reportDocumentId;
    return out;
  }

  list(sellerId: string, filter: { reportTypes: string[]; marketplaceIds?: string[]; processingStatuses?: string[]; createdSince?: number; createdUntil?: number }): SimReport[] {
    const since = filter.createdSince ?? this.core.now() - 90 * DAY;
    const until = filter.createdUntil ?? this.core.now();
    return [...this.core.state.reports.values()]
      .filter(
        (r) =>
          r.sellerId === sellerId &&
          filter.reportTypes.includes(r.reportType) &&
          (!filter.marketplaceIds || r.marketplaceIds.some((m) => filter.marketplaceIds?.includes(m))) &&
          (!filter.processingStatuses || filter.processingStatuses.includes(r.status)) &&
          r.createdAt >= since &&
          r.createdAt <= until,
      )
      .sort((a, b) => b.createdAt - a.createdAt || (a.reportId < b.reportId ? 1 : -1));
  }

  getReportDocument(seller: Seller, reportDocumentId: string): { reportDocumentId: string; url: string } {
    const doc = this.sim.documents.get(reportDocumentId);
    if (!doc || doc.sellerId !== seller.sellerId || doc.kind !== 'report') throw notFound(`Report document ${reportDocumentId} was not found.`);
    return { reportDocumentId: doc.documentId, url: this.sim.documents.presign(doc, 'GET') };
  }

  /** A customer return (control API). FBA sellable units go back to FBA stock; FBM returns never touch the listing. */
  createReturn(seller: Seller, input: { channel: 'FBM' | 'FBA'; sku: string; quantity: number; orderId?: string; reason?: string; disposition?: string; marketplaceId?: string }): SimReturn {
    const listing = this.sim.listings.get(seller.sellerId, input.sku);
    if (!listing) throw new Error(`sku: seller ${seller.sellerId} has no listing ${JSON.stringify(input.sku)}`);
    if (input.channel === 'FBA' && listing.fulfilment === 'FBM') throw new Error(`channel: ${input.sku} is not fulfilled by Amazon; an FBA return needs an FBA or HYBRID SKU`);
    if (input.channel === 'FBM' && listing.fulfilment === 'FBA') throw new Error(`channel: ${input.sku} is fulfilled by Amazon only; an FBM return needs an FBM or HYBRID SKU`);
    const order = input.orderId ? this.sim.orders.get(input.orderId) : undefined;
    if (input.orderId && (!order || order.sellerId !== seller.sellerId)) throw new Error(`orderId: no order ${input.orderId} for seller ${seller.sellerId}`);
    const price = this.sim.listings.price(listing);
    const disposition = input.disposition ?? (input.channel === 'FBA' ? 'SELLABLE' : 'Unopened');
    const ret: SimReturn = {
      returnId: `ret-${this.core.nextSerial()}`,
      sellerId: seller.sellerId,
      channel: input.channel,
      orderId: input.orderId,
      orderDate: order?.createdAt,
      marketplaceId: input.marketplaceId ?? order?.marketplaceId ?? seller.marketplaceIds[0] ?? '',
      sku: listing.sku,
      asin: listing.asin,
      title: this.sim.listings.title(listing),
      quantity: input.quantity,
      reason: input.reason ?? (input.channel === 'FBA' ? 'UNWANTED_ITEM' : 'No longer needed'),
      disposition,
      returnDate: this.core.now(),
      rmaId: `D${this.core.rng('ids').alnumUpper(8)}RRMA`,
      refundedAmount: (Number(price?.amount ?? 0) * input.quantity).toFixed(2),
      currencyCode: price?.currencyCode ?? 'GBP',
    };
    this.core.state.returns.push(ret);
    if (input.channel === 'FBA') {
      if (disposition === 'SELLABLE') this.sim.fba.move(seller.sellerId, listing.sku, input.quantity, 'customer return (sellable)', ret.returnId);
      else {
        const stock = this.sim.fba.get(seller.sellerId, listing.sku);
        if (stock) stock.unfulfillable += input.quantity;
      }
    }
    return ret;
  }
}
