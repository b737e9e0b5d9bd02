/** The hydration entry: each island's bundle calls hydrateIslands() for the instances on the page. */
import { type ComponentType, h, hydrate } from "preact";

/** Hydrates every `[data-island=name]` in place with the props serialised next to it. */
// deno-lint-ignore no-explicit-any
export function hydrateIslands(name: string, component: ComponentType<any>): void {
  for (const el of document.querySelectorAll<HTMLElement>(`[data-island="${name}"]`)) {
    const json = document.getElementById(el.dataset.props ?? "")?.textContent;
    if (json == null) throw new Error(`island ${name}: no props element #${el.dataset.props}`);
    hydrate(h(component, JSON.parse(json)), el);
    // Tests (and curious readers of the DOM) can tell a live island from server markup.
    el.dataset.hydrated = "true";
  }
}
