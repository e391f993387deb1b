import type { ScanProgress } from './scan-engine.js';

function human(bytes: number): string {
  if (bytes >= 1 << 30) return `${(bytes / (1 << 30)).toFixed(1)} GB`;
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(1)} MB`;
  return `${(bytes / 1024).toFixed(0)} KB`;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m >= 60
    ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
    : `${m}:${String(s % 60).padStart(2, '0')}`;
}

/** One progress-bar line: bar, percent, bytes, records/s and ETA (from bytes, which is what bounds the time). */
export function formatProgress(p: ScanProgress, width = 28): string {
  const frac = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 0;
  const filled = Math.round(frac * width);
  const secs = p.elapsedMs / 1000;
  const rate = secs > 0 ? p.records / secs : 0;
  const eta = frac > 0 && frac < 1 ? (secs / frac) * (1 - frac) : frac >= 1 ? 0 : Number.NaN;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${human(p.bytesRead)}/${human(p.totalBytes)} ${p.records} records ${rate.toFixed(0)} rec/s ETA ${duration(eta)}`;
}
