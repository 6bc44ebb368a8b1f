import { readdir, readFile } from 'node:fs/promises';

const EXAMPLES_DIR = new URL('../examples/graphql/', import.meta.url);

/**
 * The example operations GraphiQL opens with, one tab each: `examples/graphql/*.graphql`, in name
 * order. A file may start with `# variables: {...}` to preload variables.
 */
export async function loadGraphiqlExamples(): Promise<{ query: string; variables?: string }[]> {
  let names: string[];
  try {
    names = (await readdir(EXAMPLES_DIR)).filter((name) => name.endsWith('.graphql')).sort();
  } catch {
    return [];
  }
  return Promise.all(
    names.map(async (name) => {
      const query = await readFile(new URL(name, EXAMPLES_DIR), 'utf8');
      const variables = /^# variables: (.+)$/m.exec(query)?.[1];
      return variables === undefined ? { query } : { query, variables };
    }),
  );
}
