/**
 * A small, careful XML writer for the simulators' SOAP answers. Every text and
 * attribute value passes through an escaper; only markup built by `el()` (an
 * `XmlMarkup`) is inserted verbatim, so a camera name such as `Lobby <A&B>`
 * can never break a response.
 */

/** Markup produced by this writer, safe to embed as-is. */
export class XmlMarkup {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

export type XmlChild = XmlMarkup | string | number | boolean | null | undefined | readonly XmlChild[];
export type XmlAttrs = Readonly<Record<string, string | number | boolean | undefined>>;

// XML 1.0 cannot carry most C0 controls even as character references; such
// characters never mean anything in our data, so they become U+FFFD.
// eslint-disable-next-line no-control-regex
const invalidXmlChars = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXmlText(value: string): string {
  return value.replace(invalidXmlChars, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeXmlAttr(value: string): string {
  // Tabs and line breaks are written as references: attribute-value
  // normalisation would otherwise turn them into spaces on the reader's side.
  return escapeXmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

const qName = /^(?:[A-Za-z_][\w.-]*:)?[A-Za-z_][\w.-]*$/;

function scalar(value: string | number | boolean): string {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`XML value must be a finite number, got ${value}`);
    return String(value);
  }
  return String(value);
}

function render(child: XmlChild, out: string[]): void {
  if (child === null || child === undefined) return;
  if (child instanceof XmlMarkup) out.push(child.markup);
  else if (Array.isArray(child)) for (const c of child as readonly XmlChild[]) render(c, out);
  else out.push(escapeXmlText(scalar(child as string | number | boolean)));
}

/**
 * `el('tt:Bounds', { width: 640 })` → `<tt:Bounds width="640"/>`. Attributes
 * whose value is `undefined` are left out; children are escaped text or markup.
 */
export function el(name: string, attrs?: XmlAttrs | null, ...children: XmlChild[]): XmlMarkup {
  if (!qName.test(name)) throw new Error(`not an XML element name: ${JSON.stringify(name)}`);
  let open = `<${name}`;
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined) continue;
    if (!qName.test(key)) throw new Error(`not an XML attribute name: ${JSON.stringify(key)}`);
    open += ` ${key}="${escapeXmlAttr(scalar(value))}"`;
  }
  const body: string[] = [];
  for (const c of children) render(c, body);
  return new XmlMarkup(body.length === 0 ? `${open}/>` : `${open}>${body.join('')}</${name}>`);
}

/** Shorthand for an element with text or child elements and no attributes. */
export function leaf(name: string, ...children: XmlChild[]): XmlMarkup {
  return el(name, null, ...children);
}

/** Concatenates fragments into one. */
export function fragment(...children: XmlChild[]): XmlMarkup {
  const out: string[] = [];
  for (const c of children) render(c, out);
  return new XmlMarkup(out.join(''));
}

/** xs:dateTime in UTC with milliseconds, the form every ONVIF client parses. */
export function xsDateTime(date: Date): string {
  return date.toISOString();
}
