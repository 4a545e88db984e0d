const LINE_WIDTH = 110;
const INDENT = '  ';

/**
 * JSON text laid out as the repository's formatter (Biome) lays it out, so that a results file written by
 * the soak passes `npm run lint` as it is: objects one key per line, arrays of plain values on one line when
 * they fit in 110 columns (else one value per line), two-space indent, a final newline.
 *
 * @example
 * ```ts
 * writeFileSync('soak/results/latest.json', toJson(report));
 * ```
 * @param value - JSON data (no `undefined`, functions or cycles).
 * @returns the text.
 */
export function toJson(value: unknown): string {
  return `${layout(value, 0, 0, 0)}\n`;
}

/**
 * `value` at nesting `depth`, on a line where `prefix` characters (indent, key) come before it and `suffix`
 * after it (1 for the comma when more follows).
 */
function layout(value: unknown, depth: number, prefix: number, suffix: number): string {
  const inner = INDENT.repeat(depth + 1);
  const close = INDENT.repeat(depth);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((item) => item === null || typeof item !== 'object')) {
      const line = `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
      if (prefix + line.length + suffix <= LINE_WIDTH) return line;
    }
    const items = value.map(
      (item, index) => `${inner}${layout(item, depth + 1, inner.length, index < value.length - 1 ? 1 : 0)}`,
    );
    return `[\n${items.join(',\n')}\n${close}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([key, item], index) => {
      const head = `${inner}${JSON.stringify(key)}: `;
      return `${head}${layout(item, depth + 1, head.length, index < entries.length - 1 ? 1 : 0)}`;
    });
    return `{\n${lines.join(',\n')}\n${close}}`;
  }
  return JSON.stringify(value);
}
