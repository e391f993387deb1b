import { describe, expect, it } from 'vitest';
import { identifyLanguage } from './language-id.js';

describe('identifyLanguage', () => {
  it('tells common languages apart by script and stop words', () => {
    expect(identifyLanguage('The cat is on the mat and it is happy with this.')).toBe('en');
    expect(identifyLanguage('El gato está en la casa de los vecinos y por eso no viene.')).toBe('es');
    expect(identifyLanguage('Le chat est dans la maison et il ne veut pas sortir pour les courses.')).toBe(
      'fr',
    );
    expect(identifyLanguage('Der Hund ist nicht in dem Haus und die Katze ist auf dem Dach.')).toBe('de');
    expect(identifyLanguage('Кошка сидит на крыше и смотрит на птиц.')).toBe('ru');
    expect(identifyLanguage('今日はとても良い天気ですね。')).toBe('ja');
    expect(identifyLanguage('我们今天去公园散步。')).toBe('zh');
    expect(identifyLanguage('12345 !!!')).toBe('und');
  });
});
