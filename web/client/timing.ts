/** Names of the performance entries the grid island records about in-browser ranking (read by src/bench/browser.ts and the browser tests). */

/** Marked when the first answer ranked in this browser is on screen (its startTime: since navigation). */
export const FIRST_MARK = "reelrank:first-browser-recommendation";
/** Measured around every in-browser ranking: top-k and its explanations. */
export const RANK_MEASURE = "reelrank:browser-rank";
