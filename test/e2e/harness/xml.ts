/**
 * The XML of AWS's REST-XML and query protocols, as a small tree: elements with attributes and
 * children, text with the five predefined entities and numeric references, comments and the
 * declaration skipped, CDATA as text (parsed by fast-xml-parser). Enough for the harness to read
 * a request (a CloudFront configuration, a Route 53 change batch) and to rewrite a moto answer
 * element by element.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
}

export type XmlNode = XmlElement | string;

const escapeText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
const escapeAttribute = (text: string) => escapeText(text).replace(/"/g, '&quot;');

/** fast-xml-parser in its order-keeping form: every node is `{ name: children, ':@': attributes }` or `{ '#text': … }`. */
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // The five XML entities and numeric character references.
  processEntities: true,
  htmlEntities: true,
});

type OrderedNode = Record<string, unknown>;

function toNode(node: OrderedNode): XmlNode {
  if ('#text' in node) return String(node['#text']);
  const name = Object.keys(node).find((key) => key !== ':@') ?? '';
  const attributes = Object.fromEntries(
    Object.entries((node[':@'] as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [k, String(v)]),
  );
  return { name, attributes, children: ((node[name] as OrderedNode[] | undefined) ?? []).map(toNode) };
}

/** Parses a document; throws on XML that is not well formed. */
export function parseXml(text: string | Buffer): XmlElement {
  const source = typeof text === 'string' ? text : text.toString('utf8');
  const valid = XMLValidator.validate(source);
  if (valid !== true) throw new Error(`XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  const roots = (parser.parse(source) as OrderedNode[]).map(toNode).filter(isElement);
  if (roots.length !== 1 || !roots[0]) throw new Error(`XML: expected one root element, found ${roots.length}`);
  return roots[0];
}

/** Serializes an element (and, with `declaration`, the XML declaration AWS puts first). */
export function serializeXml(element: XmlElement, declaration = false): string {
  const attributes = Object.entries(element.attributes)
    .map(([k, v]) => ` ${k}="${escapeAttribute(v)}"`)
    .join('');
  const inner = element.children.map((c) => (typeof c === 'string' ? escapeText(c) : serializeXml(c))).join('');
  const xml = `<${element.name}${attributes}>${inner}</${element.name}>`;
  return declaration ? `<?xml version="1.0" encoding="UTF-8"?>\n${xml}` : xml;
}

/** A new element; string children become text. */
export function el(name: string, children: XmlNode[] = [], attributes: Record<string, string> = {}): XmlElement {
  return { name, attributes, children };
}

/** A leaf element holding `text`. */
export const leaf = (name: string, text: string | number | boolean): XmlElement => el(name, [String(text)]);

export const isElement = (node: XmlNode | undefined): node is XmlElement => typeof node === 'object' && node !== null;

/** The child elements of `parent` (named `name`, when given). */
export function children(parent: XmlElement | undefined, name?: string): XmlElement[] {
  return (parent?.children ?? []).filter(isElement).filter((c) => name === undefined || c.name === name);
}

/** The first child element named `name`. */
export const child = (parent: XmlElement | undefined, name: string): XmlElement | undefined =>
  children(parent, name)[0];

/** The element at a path of child names (`find(root, 'ChangeBatch', 'Changes')`). */
export function find(parent: XmlElement | undefined, ...path: string[]): XmlElement | undefined {
  let at = parent;
  for (const name of path) at = child(at, name);
  return at;
}

/** The text content of an element (its text children joined), or undefined when absent. */
export function text(element: XmlElement | undefined): string | undefined {
  if (!element) return undefined;
  return element.children.filter((c): c is string => typeof c === 'string').join('');
}

/** The text of the child at `path`. */
export const textAt = (parent: XmlElement | undefined, ...path: string[]): string | undefined =>
  text(find(parent, ...path));

/** Replaces the first child named `name` in place (or appends `replacement` when there is none). */
export function setChild(parent: XmlElement, replacement: XmlElement): void {
  const index = parent.children.findIndex((c) => isElement(c) && c.name === replacement.name);
  if (index < 0) parent.children.push(replacement);
  else parent.children[index] = replacement;
}

/** Sets the text of the child named `name`, creating it when absent. */
export const setText = (parent: XmlElement, name: string, value: string): void => setChild(parent, leaf(name, value));

/** A deep copy. */
export const cloneXml = (element: XmlElement): XmlElement => structuredClone(element);

/** The same element without insignificant whitespace between child elements (for comparisons). */
export function canonical(element: XmlElement): string {
  const strip = (e: XmlElement): XmlElement => {
    const hasElements = e.children.some(isElement);
    return {
      name: e.name,
      attributes: {},
      children: e.children
        .filter((c) => !(hasElements && typeof c === 'string' && c.trim() === ''))
        .map((c) => (typeof c === 'string' ? c : strip(c))),
    };
  };
  return serializeXml(strip(element));
}
