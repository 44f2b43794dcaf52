import { AppError } from '../errors.js';

/*
 * Search (docs/api.md "Shop floor"): every word of `q` must match the item — sku, name, barcode, location,
 * tags or description — as a case-insensitive substring, or, for words of 4+ characters, typo-tolerantly:
 * pg_trgm word similarity ≥ 0.6 ("ethiopa" finds Ethiopia). LIKE wildcards in a word are escaped: `50%`
 * means the three characters.
 *
 * Where it runs (migration 019, docs/architecture.md "Search"): not on items, whose FORCEd row-level
 * security keeps the trigram index from being used (LIKE and %> are not LEAKPROOF, so the policy's
 * barrier makes every search a sequential scan: bench/results/), but on item_search, a copy of what
 * search needs kept by a trigger on items, through the SECURITY DEFINER function search_items(). It
 * takes the shop from app.shop_id (never an argument), filters, ranks and pages there, and returns one
 * page of item ids; the items are then read by id behind their policy (searchPageSql below).
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
 * (item_search_statement() in migration 019 writes these terms.)
 */

/** The rules as migration 019 writes them into SQL (search-table.test.ts checks that the two agree). */
export const SEARCH = {
  /** More words than this is a 400: each is a condition and a score term. */
  maxWords: 8,
  /** Shorter words match only as substrings: their trigrams say too little. */
  fuzzyMinLength: 4,
  /** pg_trgm word similarity a typo-tolerant match needs (the contract's 0.6; search_items() sets it). */
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

/** A search's sort, filters and cursor, as search_items() takes them. */
export interface SearchPage {
  words: readonly string[];
  /** The folded query (exact SKU test) and the query as typed (exact barcode test). */
  folded: string;
  raw: string;
  location: string | undefined;
  tag: string | undefined;
  archived: boolean;
  lowStock: boolean;
  /** One of list.ts's SORTS; search_items() refuses any other. */
  sort: string;
  /** The previous page's last (relevance, sort key, id), or none for the first page. */
  after: { relevance: number; key: string; id: string } | undefined;
  /** Rows to return (the page size plus one, to know whether there is a next page). */
  rows: number;
}

/**
 * One page of a search: search_items() picks the ids (in order, WITH ORDINALITY keeps it), and the items
 * are joined by id behind their row-level security policy. `shop_id = $1` is the first wall; the
 * policy and search_items' own app.shop_id are the second. Values are bound, never spliced.
 */
export function searchPageSql(columns: string, shopId: string, p: SearchPage): { sql: string; params: unknown[] } {
  return {
    sql: `SELECT ${columns}, items.sku_key, items.name_key, s.relevance
      FROM search_items($2::text[], $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::uuid, $13) WITH ORDINALITY AS s(item_id, relevance, ord)
      JOIN items ON items.id = s.item_id
     WHERE items.shop_id = $1
     ORDER BY s.ord`,
    params: [
      shopId,
      p.words,
      p.folded,
      p.raw,
      p.location ?? null,
      p.tag ?? null,
      p.archived,
      p.lowStock,
      p.sort,
      p.after?.relevance ?? null,
      p.after?.key ?? null,
      p.after?.id ?? null,
      p.rows,
    ],
  };
}
