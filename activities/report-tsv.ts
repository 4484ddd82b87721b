/** Amazon's flat-file reports: tab-separated, a header row, one record per line. */

/** Parses a tab-delimited report into records keyed by header name (header names trimmed; cells kept exactly). */
export function parseTsvReport(text: string): Array<Record<string, string>> {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.length > 0);
  const header = lines.shift();
  if (header === undefined) return [];
  const columns = header.split('\t').map((c) => c.trim());
  return lines.map((line) => {
    const cells = line.split('\t');
    const row: Record<string, string> = {};
    columns.forEach((c, i) => (row[c] = cells[i] ?? ''));
    return row;
  });
}

/** A report date (`2026-11-27`, `2026-11-27T10:00:00+00:00`, `2026-11-27 10:00:00 GMT`) as an ISO instant, or undefined. */
export function reportDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.trim();
  const normalised = /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v.replace(/ GMT$/, 'Z').replace(' ', 'T');
  const ms = Date.parse(normalised);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
