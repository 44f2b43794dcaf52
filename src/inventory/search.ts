import { AppError } from '../errors.js';
import { escapeLike } from './text.js';

/*
 * Search (docs/api.md "Shop floor"): every word of `q` must match the item — sku, name, barcode, location,
 * tags or description — as a case-insensitive substring, or, for words of 4+ characters, typo-tolerantly:
 * pg_trgm word similarity ≥ 0.6 ("ethiopa" finds Ethiopia). Both tests run against items.search_text, a
 * generated column of all those fields lower-cased (migration 017), which one GIN trigram index serves
 * for LIKE '%word%' and for `%>` alike, so 100,000 items are searched through the index, not scanned
 * (bench/search.mjs). LIKE wildcards in a word are escaped: `50%` means the three characters.
 *
 * Best match first: a relevance score per item, an integer so that keyset pagination stays exact (the
 * same row always gets the same score, and cursors compare integers, never floats):
 *   the whole query is the item's SKU or barcode     +1,000,000
 *   per word: the SKU is the word                    +50,000
 *             the SKU starts with the word           +10,000
 *             the name contains the word             +4,000
 *             some field contains the word           +3,000
 *             else word similarity (0..1)            +0..1,000
 * so exact identifiers beat names, names beat descriptions, and substring matches beat typo matches.
 */

export const SEARCH = {
  /** More words than this is a 400: each is a condition and a score term. */
  maxWords: 8,
  /** Shorter words match only as substrings: their trigrams say too little. */
  fuzzyMinLength: 4,
  /** pg_trgm word similarity a typo-tolerant match needs (the contract's 0.6). */
  similarity: 0.6,
} as const;

/** The folded query split into distinct words, or a 400. */
export function searchWords(folded: string): string[] {
  const words = [...new Set(folded.split(/\s+/u).filter((w) => w !== ''))];
  if (words.length > SEARCH.maxWords) {
    throw new AppError('validation', `q must have at most ${SEARCH.maxWords} words.`, {
      errors: [{ path: 'q', message: `must have at most ${SEARCH.maxWords} words` }],
    });
  }
  return words;
}

/** Whether any word is long enough for the trigram test (the caller then sets the threshold). */
export const usesSimilarity = (words: readonly string[]) => words.some((w) => [...w].length >= SEARCH.fuzzyMinLength);

/**
 * The WHERE conditions (one per word) and the relevance expression. `param` binds a value and returns
 * its placeholder; only these fixed SQL fragments and placeholders are produced, never client text.
 * `raw` is the query as typed (trimmed), for the exact barcode test; `folded` the folded query.
 */
export function searchSql(
  words: readonly string[],
  raw: string,
  folded: string,
  param: (value: unknown) => string,
): { conditions: string[]; relevance: string } {
  const conditions: string[] = [];
  const terms: string[] = [];
  for (const word of words) {
    const w = param(word);
    const contains = param(`%${escapeLike(word)}%`);
    const prefix = param(`${escapeLike(word)}%`);
    const fuzzy = [...word].length >= SEARCH.fuzzyMinLength;
    conditions.push(`(search_text LIKE ${contains} ESCAPE '\\'${fuzzy ? ` OR search_text %> ${w}` : ''})`);
    terms.push(
      `CASE WHEN sku_key = ${w} THEN 50000 ELSE 0 END`,
      `CASE WHEN sku_key LIKE ${prefix} ESCAPE '\\' THEN 10000 ELSE 0 END`,
      `CASE WHEN name_key LIKE ${contains} ESCAPE '\\' THEN 4000 ELSE 0 END`,
      // A substring match scores as a perfect similarity, without computing it: word_similarity reads
      // the item's whole text into trigrams, the most expensive step of a search, so it runs only for
      // items the word reached by a typo.
      `CASE WHEN search_text LIKE ${contains} ESCAPE '\\' THEN 3000 ELSE round(word_similarity(${w}, search_text) * 1000)::integer END`,
    );
  }
  terms.push(`CASE WHEN sku_key = ${param(folded)} OR barcode = ${param(raw)} THEN 1000000 ELSE 0 END`);
  return { conditions, relevance: `(${terms.join(' + ')})` };
}
