/**
 * Reading ONVIF answers: a small element tree by local name. Devices disagree
 * on prefixes (`tds:`, `ns2:`, a default namespace...) but not on local names
 * within one operation's answer, so matching on local names is what every
 * ONVIF client does in practice (node-onvif strips prefixes the same way).
 * fast-xml-parser tokenises; its validator runs first, because the parser is
 * lenient and a cut-off answer (a firmware bug) must be an error, not half a tree.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlNode {
  /** Local name, prefix removed. */
  readonly name: string;
  /** Attributes by local name. */
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
  /** Character data directly inside the element, trimmed. */
  readonly text: string;
}

export class XmlParseError extends Error {
  override readonly name = 'XmlParseError';
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  removeNSPrefix: true,
  trimValues: true,
  processEntities: true,
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type OrderedNode = Record<string, unknown>;
const maxDepth = 64;

/** Parses one XML document; throws XmlParseError when it is not well formed or declares a DTD. */
export function parseXml(xml: string): XmlNode {
  // SOAP 1.2 forbids a document type declaration; refusing it also closes the entity-expansion door.
  if (/<!DOCTYPE/i.test(xml)) throw new XmlParseError('document type declarations are not allowed in SOAP messages');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new XmlParseError(`${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  const roots = (parser.parse(xml) as OrderedNode[]).filter((n) => elementKey(n) !== undefined);
  if (roots.length !== 1) throw new XmlParseError('expected exactly one root element');
  return toNode(roots[0], 0);
}

function elementKey(node: OrderedNode): string | undefined {
  return Object.keys(node).find((k) => k !== ':@' && k !== '#text');
}

function toNode(node: OrderedNode, depth: number): XmlNode {
  if (depth > maxDepth) throw new XmlParseError(`elements nested deeper than ${maxDepth}`);
  const key = elementKey(node)!;
  const content = (node[key] ?? []) as OrderedNode[];
  const children: XmlNode[] = [];
  let text = '';
  for (const c of content) {
    if ('#text' in c) text += String(c['#text']);
    else if (elementKey(c) !== undefined) children.push(toNode(c, depth + 1));
  }
  return { name: key, attrs: (node[':@'] ?? {}) as Record<string, string>, children, text: text.trim() };
}

/** The first descendant along `path` (local names), or undefined. */
export function child(node: XmlNode | undefined, ...path: string[]): XmlNode | undefined {
  let current = node;
  for (const name of path) current = current?.children.find((c) => c.name === name);
  return current;
}

/** Every direct child named `name`. */
export function childrenNamed(node: XmlNode | undefined, name: string): XmlNode[] {
  return node ? node.children.filter((c) => c.name === name) : [];
}

/** Text of the element along `path`, or undefined. */
export function textAt(node: XmlNode | undefined, ...path: string[]): string | undefined {
  return child(node, ...path)?.text;
}

/** Escapes text for element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
