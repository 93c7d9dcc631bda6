// How numbers, sizes and dates read in the UI.

export function score(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(2);
}

export function bytes(n) {
  if (n === null || n === undefined) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Number(n);
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function megabytes(mb) {
  return `${Number(mb).toFixed(1)} MB`;
}

export function date(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function seconds(s) {
  return `${Number(s).toFixed(2)} s`;
}
