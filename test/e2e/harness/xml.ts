/**
 * The XML of AWS's REST-XML and query protocols, as a small tree: elements with attributes and
 * children, text with the five predefined entities and numeric references, comments and the
 * declaration skipped, CDATA as text. Enough for the harness to read a request (a CloudFront
 * configuration, a Route 53 change batch) and to rewrite a moto answer element by element,
 * without a dependency the project does not have.
 */

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlNode[];
}

export type XmlNode = XmlElement | string;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
    return ENTITIES[ref] ?? whole;
  });
}

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
const escapeAttribute = (text: string) => escapeText(text).replace(/"/g, '&quot;');

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  fail(message: string): never {
    throw new Error(`XML: ${message} at offset ${this.pos}`);
  }

  /** Skips the declaration, processing instructions, comments, doctype and whitespace. */
  private skipMisc(): void {
    for (;;) {
      while (this.pos < this.text.length && /\s/.test(this.text[this.pos] ?? '')) this.pos += 1;
      if (this.text.startsWith('<?', this.pos)) this.pos = this.indexAfter('?>');
      else if (this.text.startsWith('<!--', this.pos)) this.pos = this.indexAfter('-->');
      else if (this.text.startsWith('<!DOCTYPE', this.pos)) this.pos = this.indexAfter('>');
      else return;
    }
  }

  private indexAfter(token: string): number {
    const at = this.text.indexOf(token, this.pos);
    if (at < 0) this.fail(`missing ${token}`);
    return at + token.length;
  }

  document(): XmlElement {
    this.skipMisc();
    const root = this.element();
    this.skipMisc();
    if (this.pos < this.text.length) this.fail('content after the root element');
    return root;
  }

  private element(): XmlElement {
    if (this.text[this.pos] !== '<') this.fail('expected <');
    const head = /^<([A-Za-z_][\w.:-]*)/.exec(this.text.slice(this.pos, this.pos + 200));
    if (!head?.[1]) this.fail('expected an element name');
    const name = head[1];
    this.pos += head[0].length;
    const attributes: Record<string, string> = {};
    for (;;) {
      const attr = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(this.text.slice(this.pos, this.pos + 4000));
      if (!attr?.[1]) break;
      attributes[attr[1]] = decodeEntities(attr[3] ?? attr[4] ?? '');
      this.pos += attr[0].length;
    }
    const close = /^\s*(\/?)>/.exec(this.text.slice(this.pos, this.pos + 200));
    if (!close) this.fail(`malformed start tag <${name}>`);
    this.pos += close[0].length;
    const element: XmlElement = { name, attributes, children: [] };
    if (close[1] === '/') return element;
    this.content(element);
    return element;
  }

  private content(element: XmlElement): void {
    let text = '';
    const flush = () => {
      if (text !== '') element.children.push(decodeEntities(text));
      text = '';
    };
    while (this.pos < this.text.length) {
      if (this.text.startsWith('</', this.pos)) {
        flush();
        const end = this.indexAfter('>');
        const closing = this.text.slice(this.pos + 2, end - 1).trim();
        if (closing !== element.name) this.fail(`</${closing}> closes <${element.name}>`);
        this.pos = end;
        return;
      }
      if (this.text.startsWith('<![CDATA[', this.pos)) {
        const end = this.indexAfter(']]>');
        flush();
        element.children.push(this.text.slice(this.pos + 9, end - 3));
        this.pos = end;
      } else if (this.text.startsWith('<!--', this.pos)) {
        this.pos = this.indexAfter('-->');
      } else if (this.text[this.pos] === '<') {
        flush();
        element.children.push(this.element());
      } else {
        const next = this.text.indexOf('<', this.pos);
        const end = next < 0 ? this.text.length : next;
        text += this.text.slice(this.pos, end);
        this.pos = end;
      }
    }
    this.fail(`unclosed <${element.name}>`);
  }
}

/** Parses a document; throws on XML that is not well formed. */
export function parseXml(text: string | Buffer): XmlElement {
  return new Parser(typeof text === 'string' ? text : text.toString('utf8')).document();
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
export const child = (parent: XmlElement | undefined, name: string): XmlElement | undefined => children(parent, name)[0];

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
export const textAt = (parent: XmlElement | undefined, ...path: string[]): string | undefined => text(find(parent, ...path));

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
    return { name: e.name, attributes: {}, children: e.children.filter((c) => !(hasElements && typeof c === 'string' && c.trim() === '')).map((c) => (typeof c === 'string' ? c : strip(c))) };
  };
  return serializeXml(strip(element));
}
