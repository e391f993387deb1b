/**
 * Whether a UTF-16 code unit is whitespace in the sense of the JavaScript RegExp class
 * `\s` (and so of `String.prototype.trim`): the hot loops that split or fold text by
 * hand must agree with the regular expressions used elsewhere.
 */
export function isJsWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}
