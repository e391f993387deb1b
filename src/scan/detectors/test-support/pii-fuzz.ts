/**
 * Seeded random texts for checking fast detector paths against their reference
 * implementations: fragments of PII shapes (digit groups, separators, cue words,
 * titles, sign-offs, street words, ids, addresses) and of what surrounds them
 * (letters, base64-like runs, unusual whitespace), glued in random order.
 */
import { seededRandom } from '../../seeded-random.js';

/** The shared seeded generator, re-exported for the fuzz tests. */
export { seededRandom };

const FRAGMENTS = [
  'Mr',
  'Mrs.',
  'Ms ',
  'Dr.',
  'Prof',
  'Miss',
  'My name is',
  'my name is ',
  'Name:',
  'name: ',
  'Full name:',
  'named',
  'Called',
  'called ',
  'Patient:',
  'Customer:',
  'Employee: ',
  'Contact:',
  'contact',
  'Regards',
  'Best wishes',
  'Best',
  'Thanks',
  'Thank you',
  'Cheers',
  'Yours truly',
  'Cordially',
  'Sincerely',
  ',',
  '\n',
  '\n',
  ' ',
  ' ',
  ' ',
  '  ',
  '\t',
  '\u00a0',
  '\u2003',
  '\r\n',
  'John',
  'Smith',
  'Anne-Marie',
  "O'Neil",
  'Team',
  'Dear',
  'Alice',
  'Johnson',
  'Watson',
  'Bob',
  '4111',
  '1111',
  '5555',
  '4444',
  '-',
  '-',
  '.',
  '.',
  '(',
  ')',
  '+',
  '+44',
  '+1',
  ':',
  '::',
  'fe80',
  '2001:db8',
  '4860',
  '8888',
  '@',
  'a@b.com',
  'jane.roe@acme-mail.com',
  'x@example.com',
  'SSN',
  'ssn: ',
  'social security',
  'ss#',
  'Steuer-ID:',
  'BSN',
  'Aadhaar',
  'PESEL',
  'CPF',
  'tin',
  'uid',
  'DE89',
  'GB82',
  'WEST',
  'AB',
  'X',
  'Y',
  'Z',
  'A',
  'B',
  'C',
  'D',
  'QQ',
  'Street',
  'St',
  'St.',
  'Ave',
  'Parkway',
  'N.',
  'N ',
  'Suite',
  'Apt',
  '#',
  'CA',
  'NY',
  'Mountain',
  'View',
  'Hauptstraße',
  'Musterweg',
  'Lindenstr.',
  'Kanaalstraat',
  'Schlossallee',
  'Marktplatz',
  'Kirchgasse',
  'Ostring',
  'Kurfürstendamm',
  'Dorpslaan',
  'Keizersgracht',
  'Stationsplein',
  'Bahnhofstrasse',
  'Berlin',
  'Köln',
  'v',
  'version ',
  'release ',
  '192.168.',
  '8.8.',
  '10.',
  '255.',
  '300.',
  'a',
  'b',
  'xyz',
  'the',
  'call',
  'phone',
  'tel:',
  'fax',
  'Ä',
  'ß',
  'ü',
  'é',
  'Q~',
  '/',
  '=',
  '_',
  '%',
  'http://',
  '%3D',
  '(415) 555-2671',
  '415.555.2671',
  '+44 20 7946 0958',
  '+1 415 555 2671',
  '8.8.4.4',
  '1.2.3.4',
  '172.16.0.1',
  '2001:4860:4860::8888',
  '10:30:00',
  'DE89 3704 0044 0532 0130 00',
  'GB82 WEST 1234 5698 7654 32',
  'AB123456C',
  'AB 12 34 56 C',
  '12345678Z',
  'X1234567L',
  '1 85 05 78 006 084 91',
  '2A',
  '529.982.247-25',
  '219-09-9999',
  '219 09 9999',
  '4111 1111 1111 1111',
  '3782-822463-10005',
  '86095742719',
  '111222333',
  '44051401359',
  '52998224725',
];

function digits(rnd: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(rnd() * 10));
  return s;
}

/**
 * Shapes of the patterns: `d` a digit, `L` a capital, `l` a lower-case letter, `_` an optional
 * space, `~` a separator (space, dash or dot); anything else stands for itself.
 */
const SHAPES = [
  'LL_dd_dd_dd_L',
  'LLdd_dddd_dddd_dddd_dd',
  'LLdd_LLLL_dddd_dddd_dddd_dd',
  'ddd-dd-dddd',
  'ddd_dd_dddd',
  'd_dd_dd_dd_ddd_ddd_dd',
  'd_dd_dd_2A_ddd_ddd_dd',
  'ddd.ddd.ddd-dd',
  'dddddddd-L',
  'L-ddddddd-L',
  'Lddddddd-L',
  '+dd_(ddd)~ddd~dddd',
  '+d~ddd~ddd~dddd',
  '(ddd)~ddd~dddd',
  'ddd~ddd~dddd',
  'dddd~dddd~dddd~dddd',
  'dddd-dddddd-ddddd',
  'ddd.ddd.ddd.ddd',
  'd.d.d.d',
  'ddddd Llll Llll',
  'dddd Llllll St',
  'ddd N. Llll Ave, Llll, LL ddddd',
  'Lllllstraße dd',
  'Lllllweg ddl, ddddd Lllll',
  'Mr. Llll Lllll',
  'Thanks,\nLllll Lllll\n',
  'ddddddddd',
  'dddddddddddd',
  'dddd dddd dddd',
  'dddd:dddd::dddd',
  'hhhh:hhhh:hhhh:hhhh:hhhh:hhhh:hhhh:hhhh',
];

function shaped(rnd: () => number, shape: string): string {
  let s = '';
  for (const ch of shape) {
    const r = rnd();
    if (ch === 'd') s += String(Math.floor(r * 10));
    else if (ch === 'L') s += String.fromCharCode(65 + Math.floor(r * 26));
    else if (ch === 'l') s += String.fromCharCode(97 + Math.floor(r * 26));
    else if (ch === 'h') s += '0123456789abcdef'[Math.floor(r * 16)];
    else if (ch === '_') s += r < 0.5 ? ' ' : '';
    else if (ch === '~') s += r < 0.4 ? ' ' : r < 0.7 ? '-' : '.';
    else s += ch;
  }
  return s;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** One random text of up to `maxParts` fragments. */
export function fuzzText(rnd: () => number, maxParts = 40): string {
  const parts: string[] = [];
  const n = 1 + Math.floor(rnd() * maxParts);
  for (let i = 0; i < n; i++) {
    const k = rnd();
    if (k < 0.12) parts.push(shaped(rnd, SHAPES[Math.floor(rnd() * SHAPES.length)] as string));
    else if (k < 0.3) parts.push(digits(rnd, 1 + Math.floor(rnd() * (rnd() < 0.8 ? 5 : 16))));
    else if (k < 0.35) {
      let s = '';
      for (let j = Math.floor(rnd() * 40); j > 0; j--) s += BASE64[Math.floor(rnd() * 64)];
      parts.push(s);
    } else parts.push(FRAGMENTS[Math.floor(rnd() * FRAGMENTS.length)] as string);
    if (rnd() < 0.35) parts.push(rnd() < 0.7 ? ' ' : rnd() < 0.5 ? '-' : '.');
  }
  return parts.join('');
}
