// Finds elements in a phone configuration file by position, without a full XML parser: real
// CUCM output uses prefixes it never binds (`xsi:type="axl:XIPPhone"`), which strict parsers
// reject, and Outpost must keep every byte it does not change.

export interface Span {
  /** Offset of `<tag`. */
  start: number;
  /** Offset just after the closing tag (or after `/>`). */
  end: number;
  /** The element's content; empty (innerStart === innerEnd) for `<tag/>`. */
  innerStart: number;
  innerEnd: number;
  selfClosing: boolean;
}

/** The text with every comment and CDATA section blanked out, so searches never match inside them. */
export function maskComments(text: string): string {
  return text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g, (m) => ' '.repeat(m.length));
}

/** Every `<tag>` element (any case of the same spelling is not matched: CUCM's tags are exact) inside [from, to). */
export function elements(masked: string, tag: string, from = 0, to = masked.length): Span[] {
  const open = new RegExp(`<${tag}(?=[\\s/>])[^>]*?(/?)>`, 'g');
  const close = `</${tag}>`;
  const out: Span[] = [];
  open.lastIndex = from;
  for (let m = open.exec(masked); m && m.index < to; m = open.exec(masked)) {
    const innerStart = m.index + m[0].length;
    if (m[1] === '/') {
      out.push({ start: m.index, end: innerStart, innerStart, innerEnd: innerStart, selfClosing: true });
      continue;
    }
    // Same-named nesting does not occur in phone configs; the next close tag ends the element.
    const innerEnd = masked.indexOf(close, innerStart);
    if (innerEnd < 0 || innerEnd + close.length > to) break;
    out.push({ start: m.index, end: innerEnd + close.length, innerStart, innerEnd, selfClosing: false });
    open.lastIndex = innerEnd + close.length;
  }
  return out;
}

export function first(masked: string, tag: string, within?: Span): Span | undefined {
  return elements(masked, tag, within?.innerStart ?? 0, within?.innerEnd ?? masked.length)[0];
}

/** An element's text content, entity-decoded and trimmed. */
export function textOf(text: string, span: Span | undefined): string | undefined {
  if (!span) return undefined;
  return decodeEntities(text.slice(span.innerStart, span.innerEnd)).trim();
}

export function decodeEntities(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_m, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e] ?? '');
}

export function encodeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One replacement of [start, end) in the original text. */
export interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Replaces an element's content (a `<tag/>` becomes `<tag>value</tag>`). */
export function setText(original: string, span: Span, tag: string, value: string): Edit {
  if (span.selfClosing) {
    const openTag = original.slice(span.start, span.end).replace(/\s*\/>$/, '>');
    return { start: span.start, end: span.end, text: `${openTag}${encodeText(value)}</${tag}>` };
  }
  return { start: span.innerStart, end: span.innerEnd, text: encodeText(value) };
}

/** Applies non-overlapping edits; everything between them stays byte for byte. */
export function applyEdits(text: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) continue; // overlapping edit: the first one wins
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}
