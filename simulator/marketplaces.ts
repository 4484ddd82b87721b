/** Marketplaces per SP-API region (reference §6). */
export type Region = 'eu' | 'na' | 'fe';

export const REGIONS: readonly Region[] = ['eu', 'na', 'fe'];

export interface MarketplaceInfo {
  id: string;
  region: Region;
  name: string;
  /** ISO 3166-1 alpha-2 (GB, not UK). */
  countryCode: string;
  defaultCurrencyCode: string;
  defaultLanguageCode: string;
  domainName: string;
}

const m = (id: string, region: Region, name: string, countryCode: string, currency: string, language: string, domain: string): MarketplaceInfo => ({
  id, region, name, countryCode, defaultCurrencyCode: currency, defaultLanguageCode: language, domainName: domain,
});

export const MARKETPLACES: readonly MarketplaceInfo[] = [
  m('A2EUQ1WTGCTBG2', 'na', 'Amazon.ca', 'CA', 'CAD', 'en_CA', 'www.amazon.ca'),
  m('ATVPDKIKX0DER', 'na', 'Amazon.com', 'US', 'USD', 'en_US', 'www.amazon.com'),
  m('A1AM78C64UM0Y8', 'na', 'Amazon.com.mx', 'MX', 'MXN', 'es_MX', 'www.amazon.com.mx'),
  m('A2Q3Y263D00KWC', 'na', 'Amazon.com.br', 'BR', 'BRL', 'pt_BR', 'www.amazon.com.br'),
  m('A1F83G8C2ARO7P', 'eu', 'Amazon.co.uk', 'GB', 'GBP', 'en_GB', 'www.amazon.co.uk'),
  m('A28R8C7NBKEWEA', 'eu', 'Amazon.ie', 'IE', 'EUR', 'en_IE', 'www.amazon.ie'),
  m('A1RKKUPIHCS9HS', 'eu', 'Amazon.es', 'ES', 'EUR', 'es_ES', 'www.amazon.es'),
  m('A13V1IB3VIYZZH', 'eu', 'Amazon.fr', 'FR', 'EUR', 'fr_FR', 'www.amazon.fr'),
  m('AMEN7PMS3EDWL', 'eu', 'Amazon.com.be', 'BE', 'EUR', 'fr_BE', 'www.amazon.com.be'),
  m('A1805IZSGTT6HS', 'eu', 'Amazon.nl', 'NL', 'EUR', 'nl_NL', 'www.amazon.nl'),
  m('A1PA6795UKMFR9', 'eu', 'Amazon.de', 'DE', 'EUR', 'de_DE', 'www.amazon.de'),
  m('APJ6JRA9NG5V4', 'eu', 'Amazon.it', 'IT', 'EUR', 'it_IT', 'www.amazon.it'),
  m('A2NODRKZP88ZB9', 'eu', 'Amazon.se', 'SE', 'SEK', 'sv_SE', 'www.amazon.se'),
  m('A1C3SOZRARQ6R3', 'eu', 'Amazon.pl', 'PL', 'PLN', 'pl_PL', 'www.amazon.pl'),
  m('ARBP9OOSHTCHU', 'eu', 'Amazon.eg', 'EG', 'EGP', 'ar_EG', 'www.amazon.eg'),
  m('A33AVAJ2PDY3EV', 'eu', 'Amazon.com.tr', 'TR', 'TRY', 'tr_TR', 'www.amazon.com.tr'),
  m('A17E79C6D8DWNP', 'eu', 'Amazon.sa', 'SA', 'SAR', 'ar_AE', 'www.amazon.sa'),
  m('A2VIGQ35RCS4UG', 'eu', 'Amazon.ae', 'AE', 'AED', 'en_AE', 'www.amazon.ae'),
  m('A21TJRUUN4KGV', 'eu', 'Amazon.in', 'IN', 'INR', 'en_IN', 'www.amazon.in'),
  m('AE08WJ6YKNBMC', 'eu', 'Amazon.co.za', 'ZA', 'ZAR', 'en_ZA', 'www.amazon.co.za'),
  m('A19VAU5U5O7RUS', 'fe', 'Amazon.sg', 'SG', 'SGD', 'en_SG', 'www.amazon.sg'),
  m('A39IBJ37TRP1C6', 'fe', 'Amazon.com.au', 'AU', 'AUD', 'en_AU', 'www.amazon.com.au'),
  m('A1VC38T7YXB528', 'fe', 'Amazon.co.jp', 'JP', 'JPY', 'ja_JP', 'www.amazon.co.jp'),
];

export function marketplace(id: string): MarketplaceInfo | undefined {
  return MARKETPLACES.find((mp) => mp.id === id);
}

/** FBA fulfilment channel code per region (AMAZON_NA is documented; EU/FE codes NV). */
export function fbaChannelCode(region: Region): string {
  return region === 'na' ? 'AMAZON_NA' : region === 'eu' ? 'AMAZON_EU' : 'AMAZON_JP';
}
