// Small DOM and formatting helpers shared by the dashboard's modules. Text from the server only ever
// goes into textContent and attributes (the page's CSP forbids inline code, and this keeps it so).

const svgNs = 'http://www.w3.org/2000/svg';

export const $ = (selector) => document.querySelector(selector);

export function el(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...(Array.isArray(children) ? children : [children]));
  return node;
}

export function svgEl(tag, attributes = {}, text) {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export function statusBadge(status) {
  return el('span', { class: 'status', 'data-status': status }, status);
}

/**
 * A moment shown as "12 s ago": a <time> that ticks (refreshAges, every second), so a page left open
 * never shows the age it had when it was drawn.
 */
export function timeAgo(iso) {
  return el('time', { class: 'ago', datetime: iso, title: iso }, ago(iso));
}

/** Moves a timeAgo element to another moment. */
export function setTimeAgo(node, iso) {
  node.setAttribute('datetime', iso);
  node.setAttribute('title', iso);
  node.textContent = ago(iso);
}

export function refreshAges(root = document) {
  for (const node of root.querySelectorAll('time.ago')) node.textContent = ago(node.getAttribute('datetime'));
}

export function ago(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 90) return `${seconds} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return new Date(iso).toLocaleString();
}

export function bytes(size) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * "0.6892 ± 0.0030": the uncertainty to two significant figures and the value to the same decimal
 * place, the usual way to print a measurement (more digits would be noise).
 */
export function plusMinus(value, uncertainty) {
  const decimals = decimalsFor(uncertainty, value);
  return `${value.toFixed(decimals)} ± ${uncertainty.toFixed(decimals)}`;
}

/** A number printed to the decimal place of `uncertainty` (as plusMinus does). */
export function toPlaceOf(value, uncertainty) {
  return value.toFixed(decimalsFor(uncertainty, value));
}

function decimalsFor(uncertainty, value) {
  const scale = uncertainty > 0 && Number.isFinite(uncertainty) ? uncertainty : Math.abs(value);
  if (!(scale > 0) || !Number.isFinite(scale)) return 4;
  return Math.min(12, Math.max(0, 1 - Math.floor(Math.log10(scale))));
}
