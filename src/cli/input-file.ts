import { readFile } from 'node:fs/promises';
import { ContractError } from '../contracts/error.js';

/**
 * Reads a file named by an option, or stdin for `-`.
 * @throws ContractError `contract.invalid` naming the option and the file
 */
export async function readInput(path: string, option: string): Promise<string> {
  try {
    if (path === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new ContractError('contract.invalid', `${option}: cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
