import { describe, expect, it } from 'vitest';
import { compareNatural, sortNatural } from '../../src/util/natural-sort.js';

describe('natural sort', () => {
  it('orders digit runs numerically', () => {
    expect(sortNatural(['net.10.weight', 'net.2.weight', 'net.2.bias', 'net.1.weight'])).toEqual([
      'net.1.weight',
      'net.2.bias',
      'net.2.weight',
      'net.10.weight',
    ]);
  });

  it('orders torchvision-style names by block then layer', () => {
    const names = ['layer1.10.conv1.weight', 'layer1.9.conv1.weight', 'layer10.0.conv1.weight', 'layer2.0.conv1.weight'];
    expect(sortNatural(names)).toEqual([
      'layer1.9.conv1.weight',
      'layer1.10.conv1.weight',
      'layer2.0.conv1.weight',
      'layer10.0.conv1.weight',
    ]);
  });

  it('is a total order that distinguishes zero-padded spellings', () => {
    expect(compareNatural('a01', 'a1')).toBeGreaterThan(0);
    expect(compareNatural('a1', 'a01')).toBeLessThan(0);
    expect(compareNatural('a', 'a')).toBe(0);
    expect(compareNatural('a', 'a.0')).toBeLessThan(0);
  });

  it('handles numbers beyond 2^53', () => {
    expect(compareNatural('x9007199254740993', 'x9007199254740992')).toBeGreaterThan(0);
  });
});
