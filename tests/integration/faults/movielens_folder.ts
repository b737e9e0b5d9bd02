/** A small MovieLens folder written from the sequences fixture, for commands that ingest files. */
import { sequenceInteractions } from "../../fixtures/sequences/generate.ts";

/** Writes movies.csv (180 movies) and ratings.csv (`users` sequence users) into a new temp folder. */
export async function writeMovieLensFolder(options: { users?: number } = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "reelrank-ml-" });
  const movies = ["movieId,title,genres"];
  for (let id = 1; id <= 180; id++) {
    movies.push(`${id},Movie ${id} (${1990 + id % 30}),${id % 3 === 0 ? "Comedy" : "Drama"}`);
  }
  await Deno.writeTextFile(`${dir}/movies.csv`, movies.join("\n") + "\n");
  const data = sequenceInteractions({ users: options.users ?? 60 });
  const ratings = ["userId,movieId,rating,timestamp"];
  for (let i = 0; i < data.users.length; i++) {
    ratings.push(`${data.users[i]},${data.items[i]},4.0,${data.timestamps[i]}`);
  }
  await Deno.writeTextFile(`${dir}/ratings.csv`, ratings.join("\n") + "\n");
  return dir;
}
