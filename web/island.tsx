/** Islands on the server: <Island> renders a component with its props as JSON beside it, and records it for the page's scripts. */
import { type ComponentType, createContext } from "preact";
import { useContext } from "preact/hooks";

/** The islands one page render used, in order of appearance. */
export class IslandCollector {
  readonly used: string[] = [];
  #next = 0;

  add(name: string): number {
    if (!this.used.includes(name)) this.used.push(name);
    return this.#next++;
  }
}

/** Set by renderPage(); an <Island> outside a page render is a programming error. */
export const IslandContext = createContext<IslandCollector | null>(null);

/**
 * JSON that is safe inside a `<script>` element: `<`, `>` and `&` become \u escapes (so a title
 * holding `</script>` cannot end the element), as do U+2028/U+2029. JSON.parse reads it back
 * unchanged.
 */
export function serializeProps(props: unknown): string {
  return JSON.stringify(props).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** Where island `id`'s props live on the page. */
export const propsId = (id: number) => `island-props-${id}`;

/**
 * An island: `component` rendered on the server inside a wrapper that the client bundle
 * hydrates, with `props` (plain JSON: no functions, dates or class instances) next to it.
 * `name` is the island's file name in web/islands.
 */
export function Island<P extends Record<string, unknown>>(
  { name, component: C, props }: { name: string; component: ComponentType<P>; props: NoInfer<P> },
) {
  const collector = useContext(IslandContext);
  if (!collector) throw new Error(`island ${name} rendered outside renderPage()`);
  const id = propsId(collector.add(name));
  return (
    <>
      <script
        type="application/json"
        id={id}
        dangerouslySetInnerHTML={{ __html: serializeProps(props) }}
      />
      <div class="island" data-island={name} data-props={id}>
        <C {...props} />
      </div>
    </>
  );
}
