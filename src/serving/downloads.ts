/**
 * What a browser downloads to rank on its own: a model version's verified artifact and the
 * catalogue's display fields, each encoded once (raw and gzip) with the sha256 of its bytes.
 */
import { sha256Hex } from "../digest.ts";
import { MODEL_NAME, type ModelRegistry, type ModelVersion } from "../registry/store.ts";
import { gzip } from "../snapshot/codec.ts";
import type { Catalog } from "./catalog.ts";

/** One downloadable file: its bytes, the same gzipped, and the sha256 (hex) of `bytes`. */
export interface Download {
  bytes: Uint8Array;
  gzip: Uint8Array;
  sha256: string;
}

/**
 * The catalogue as columns (one entry per movie, ascending id): what the page needs to show a
 * card and an explanation without asking the server about any movie.
 */
export interface MovieColumns {
  ids: number[];
  titles: string[];
  years: (number | null)[];
  /** Genre names; `genreIds[i]` indexes them. */
  genres: string[];
  genreIds: number[][];
  overviews: (string | null)[];
  posterUrls: (string | null)[];
}

/** The columns of every movie in `catalog`. */
export function movieColumns(catalog: Catalog): MovieColumns {
  const genres = Object.keys(catalog.genres()).sort();
  const genreIndex = new Map(genres.map((g, i) => [g, i]));
  const c: MovieColumns = {
    ids: [],
    titles: [],
    years: [],
    genres,
    genreIds: [],
    overviews: [],
    posterUrls: [],
  };
  for (const id of catalog.ids()) {
    const m = catalog.get(id)!;
    c.ids.push(m.id);
    c.titles.push(m.title);
    c.years.push(m.year);
    c.genreIds.push(m.genres.map((g) => genreIndex.get(g)!));
    c.overviews.push(m.overview);
    c.posterUrls.push(m.posterUrl);
  }
  return c;
}

// The promise kept for `version` (made by `make` on first use), for the last two versions; a
// failed one is not kept, so the next request tries again.
function remember<T>(kept: Map<number, Promise<T>>, version: number, make: () => Promise<T>) {
  let p = kept.get(version);
  if (!p) {
    p = make();
    p.catch(() => kept.delete(version));
    kept.set(version, p);
    for (const old of kept.keys()) {
      if (kept.size > 2) kept.delete(old);
    }
  }
  return p;
}

async function download(bytes: Uint8Array): Promise<Download> {
  return { bytes, gzip: await gzip(bytes), sha256: await sha256Hex(bytes) };
}

/**
 * Builds downloads on first use and keeps them: the last two versions' artifacts and records, the
 * current catalogue.
 */
export class Downloads {
  readonly #registry: Pick<ModelRegistry, "loadArtifact" | "getVersion">;
  readonly #artifacts = new Map<number, Promise<Download>>();
  readonly #versions = new Map<number, Promise<ModelVersion>>();
  readonly #catalogs = new WeakMap<Catalog, Promise<Download>>();

  constructor(registry: Pick<ModelRegistry, "loadArtifact" | "getVersion">) {
    this.#registry = registry;
  }

  /** Version `version`'s registry record (family, size, sha256), read once: a version never changes. */
  version(version: number): Promise<ModelVersion> {
    return remember(this.#versions, version, () => this.#registry.getVersion(MODEL_NAME, version));
  }

  /** Version `version`'s artifact, read and verified by the registry (size and sha256). */
  artifact(version: number): Promise<Download> {
    return remember(
      this.#artifacts,
      version,
      () => this.#registry.loadArtifact(MODEL_NAME, version).then(({ bytes }) => download(bytes)),
    );
  }

  /** The JSON of {@link movieColumns}, built once per catalogue (a model switch makes a new one). */
  catalog(catalog: Catalog): Promise<Download> {
    let d = this.#catalogs.get(catalog);
    if (!d) {
      d = download(new TextEncoder().encode(JSON.stringify(movieColumns(catalog))));
      this.#catalogs.set(catalog, d);
    }
    return d;
  }
}
