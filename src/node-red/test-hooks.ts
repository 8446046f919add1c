/**
 * TEST-ONLY: the one entry through which the fault suites and benches look inside a running node (e.g. to wrap the
 * config node's client). A node lends getters with `lendToTests`; only test/ and bench/ call `testView`. Kept in a
 * WeakMap, so no production node carries a property for tests, and nothing here is part of the nodes' contract
 * (nodes read each other through HubjectConfig only).
 */
type Getters = Record<string, () => unknown>;

const lent = new WeakMap<object, Getters>();

/** Lends read-only views of a node's runtime parts to tests; a redeployed node lends anew. */
export function lendToTests(node: object, getters: Getters): void {
  lent.set(node, getters);
}

/** What a node lent to tests, read now: `testView(node).client`. Empty when it lent nothing. */
export function testView(node: object | null | undefined): Record<string, unknown> {
  const getters = node ? lent.get(node) : undefined;
  const view: Record<string, unknown> = {};
  for (const [name, get] of Object.entries(getters ?? {})) Object.defineProperty(view, name, { get, enumerable: true });
  return view;
}
