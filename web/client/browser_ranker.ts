/**
 * Ranking in the visitor's browser, loaded on demand by the grid island: the production model
 * (verified, cached), the same kernel.wasm, feature encoding and Recommender as the server, and
 * the same leave-one-out explanations. Histories given to it never leave the page.
 */
import { Recommender } from "../../src/model/browser.ts";
import type { MovieColumns } from "../../src/serving/downloads.ts";
import type { CardMovie } from "../components/movie_card.tsx";
import { fetchUsablePointer, type Pointer, pruneExcept, verifiedBytes } from "./model_store.ts";

/** A ranking made here. */
export interface BrowserAnswer {
  strategy: "model";
  modelVersion: number;
  items: CardMovie[];
}

type Usable = Pointer & { artifactUrl: string };

interface Loaded {
  pointer: Usable;
  model: Recommender;
  movies: Map<number, CardMovie>;
  genres: Map<string, number[]>;
  masks: Map<string, Uint8Array>;
}

async function load(module: WebAssembly.Module, pointer: Usable): Promise<Loaded> {
  const [bytes, catalog] = await Promise.all([
    verifiedBytes(pointer.artifactUrl, pointer.sha256),
    verifiedBytes(pointer.catalog.url, pointer.catalog.sha256),
  ]);
  const c: MovieColumns = JSON.parse(new TextDecoder().decode(catalog));
  const movies = new Map<number, CardMovie>();
  const genres = new Map<string, number[]>();
  c.ids.forEach((id, i) => {
    const names = c.genreIds[i].map((g) => c.genres[g]);
    movies.set(id, {
      id,
      title: c.titles[i],
      year: c.years[i],
      genres: names,
      overview: c.overviews[i],
      posterUrl: c.posterUrls[i],
    });
    for (const g of names) genres.set(g, [...genres.get(g) ?? [], id]);
  });
  const model = await Recommender.open(bytes, { module, threads: 1 });
  await pruneExcept([pointer.artifactUrl, pointer.catalog.url]);
  return { pointer, model, movies, genres, masks: new Map() };
}

/** The model in this page; {@link update} swaps in a new production version. */
export class BrowserRanker {
  readonly #module: WebAssembly.Module;
  #loaded: Loaded;

  private constructor(module: WebAssembly.Module, loaded: Loaded) {
    this.#module = module;
    this.#loaded = loaded;
  }

  /**
   * Compiles the kernel at `kernelUrl` and loads the model `pointer` names (the production one
   * when not given; cached when it can be). ServerOnlyModel when its family cannot rank here.
   */
  static async open(kernelUrl: string, pointer?: Usable): Promise<BrowserRanker> {
    const [module, p] = await Promise.all([
      WebAssembly.compileStreaming(fetch(kernelUrl)),
      pointer ?? fetchUsablePointer(),
    ]);
    return new BrowserRanker(module, await load(module, p));
  }

  /** The version ranking here. */
  get version(): number {
    return this.#loaded.pointer.version;
  }

  /**
   * Top `k` for `history` (movie ids, oldest first), each with the history movies that drove it:
   * what POST /api/v1/recommendations with `explain` answers, computed here.
   */
  rank(history: readonly number[], options: { k: number; genre?: string }): BrowserAnswer {
    const { model, movies, pointer } = this.#loaded;
    const allow = options.genre === undefined ? undefined : this.#mask(options.genre);
    const [scored] = model.recommendMany([{ history, k: options.k, allow }]);
    const why = model.explain(history, scored.map((s) => s.movieId));
    const items = scored.flatMap((s, i) => {
      const m = movies.get(s.movieId);
      if (!m) return [];
      const because = why[i].flatMap((b) => {
        const title = movies.get(b.movieId)?.title;
        return title === undefined ? [] : [{ id: b.movieId, title }];
      });
      return [{ ...m, because }];
    });
    return { strategy: "model", modelVersion: pointer.version, items };
  }

  #mask(genre: string): Uint8Array {
    const { masks, model, genres } = this.#loaded;
    let m = masks.get(genre);
    if (!m) masks.set(genre, m = model.maskOf(genres.get(genre) ?? []));
    return m;
  }

  /**
   * Asks the server which version it serves; a new one is downloaded, verified and swapped in
   * (the old one keeps ranking meanwhile). True when something new was swapped in;
   * ServerOnlyModel when the new one's family cannot rank here.
   */
  async update(): Promise<boolean> {
    const pointer = await fetchUsablePointer();
    const current = this.#loaded;
    if (
      pointer.sha256 === current.pointer.sha256 &&
      pointer.catalog.sha256 === current.pointer.catalog.sha256
    ) {
      return false;
    }
    this.#loaded = await load(this.#module, pointer);
    current.model.close();
    return true;
  }

  /** Frees the model's kernel; the ranker must not be used after. */
  close(): void {
    this.#loaded.model.close();
  }
}
