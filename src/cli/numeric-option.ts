import { ContractError } from '../contracts/error.js';

/**
 * Parses a non-negative integer option (indices, tree sizes, limits).
 * @throws ContractError `contract.invalid` naming the option
 */
export function parseIndex(text: string, option: string): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new ContractError('contract.invalid', `${option}: expected a non-negative integer, got "${text}"`);
  }
  return Number(text);
}
