/**
 * Reads SOAP requests into a namespace-resolved element tree. ONVIF clients
 * disagree on prefixes (`tds:`, `ns1:`, a default namespace...), so the
 * simulators dispatch on (namespace URI, local name), never on the prefix.
 * fast-xml-parser does the tokenising; well-formedness is checked first with
 * its validator, because its parser is lenient.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  /** Namespace URI ('' when none). */
  readonly ns: string;
  /** Local name, prefix removed. */
  readonly name: string;
  /** Attributes by local name (prefix removed, `xmlns` declarations left out). */
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  /** Concatenated, trimmed character data directly inside this element. */
  readonly text: string;
}

export class XmlReadError extends Error {
  override readonly name = 'XmlReadError';
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  // Also decodes numeric character references (&#9;), which plain entity processing leaves alone.
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type OrderedNode = Record<string, unknown>;

const maxDepth = 64;

/** Parses one XML document; throws XmlReadError when it is not well formed or declares a DTD. */
export function readXml(xml: string): XmlElement {
  // SOAP 1.2 part 1 §5: a SOAP message must not contain a document type
  // declaration. Refusing it also closes the entity-expansion door.
  if (/<!DOCTYPE/i.test(xml)) throw new XmlReadError('document type declarations are not allowed in SOAP messages');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new XmlReadError(`${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  const nodes = parser.parse(xml) as OrderedNode[];
  const roots = nodes.filter((n) => elementKey(n) !== undefined);
  if (roots.length !== 1) throw new XmlReadError('expected exactly one root element');
  return toElement(roots[0], new Map([['xml', 'http://www.w3.org/XML/1998/namespace']]), 0);
}

function elementKey(node: OrderedNode): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text');
}

function splitQName(qname: string): [prefix: string, local: string] {
  const i = qname.indexOf(':');
  return i < 0 ? ['', qname] : [qname.slice(0, i), qname.slice(i + 1)];
}

function toElement(node: OrderedNode, inherited: ReadonlyMap<string, string>, depth: number): XmlElement {
  if (depth > maxDepth) throw new XmlReadError(`elements nested deeper than ${maxDepth}`);
  const key = elementKey(node)!;
  const rawAttrs = (node[':@'] ?? {}) as Record<string, string>;
  let scope = inherited;
  const attrs: Record<string, string> = {};
  for (const [name, value] of Object.entries(rawAttrs)) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      if (scope === inherited) scope = new Map(inherited);
      (scope as Map<string, string>).set(name === 'xmlns' ? '' : name.slice(6), value);
    }
  }
  for (const [name, value] of Object.entries(rawAttrs)) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) continue;
    attrs[splitQName(name)[1]] = value;
  }
  const [prefix, local] = splitQName(key);
  const ns = scope.get(prefix);
  if (ns === undefined && prefix !== '') throw new XmlReadError(`undeclared namespace prefix "${prefix}" on <${key}>`);
  const children: XmlElement[] = [];
  const text: string[] = [];
  for (const child of (node[key] ?? []) as OrderedNode[]) {
    if ('#text' in child) text.push(String(child['#text']));
    else if (elementKey(child) !== undefined) children.push(toElement(child, scope, depth + 1));
  }
  return { ns: ns ?? '', name: local, attrs, children, text: text.join(' ').trim() };
}

/** First child with this local name (and namespace, when given). */
export function child(parent: XmlElement | undefined, name: string, ns?: string): XmlElement | undefined {
  return parent?.children.find((c) => c.name === name && (ns === undefined || c.ns === ns));
}

export function children(parent: XmlElement | undefined, name: string, ns?: string): XmlElement[] {
  return parent?.children.filter((c) => c.name === name && (ns === undefined || c.ns === ns)) ?? [];
}

/** Follows a path of local names: `path(body, 'StreamSetup', 'Transport', 'Protocol')`. */
export function path(parent: XmlElement | undefined, ...names: string[]): XmlElement | undefined {
  let cur = parent;
  for (const n of names) cur = child(cur, n);
  return cur;
}

export function textAt(parent: XmlElement | undefined, ...names: string[]): string | undefined {
  return path(parent, ...names)?.text;
}

/** The local part of a QName value such as `dn:NetworkVideoTransmitter`. */
export function localPart(qname: string): string {
  return splitQName(qname.trim())[1];
}
