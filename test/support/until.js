'use strict';
// Polling for tests. No dependencies, so every suite (node tests, fault, e2e and install suites) can use it.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves with pred()'s first truthy value; pred may be async. Checks at once, then every `every` ms. Rejects when
 * pred throws, or after `ms` with `<what> not met within <ms> ms`, followed on a new line by describe()'s text when
 * describe is given (best effort: a describe() that throws adds nothing).
 */
async function until(pred, ms = 10000, what = 'condition', { every = 10, describe } = {}) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) {
      let extra = '';
      try {
        extra = describe ? `\n${describe()}` : '';
      } catch {
        /* best effort */
      }
      throw new Error(`${what} not met within ${ms} ms${extra}`);
    }
    await sleep(every);
  }
}

module.exports = { until, sleep };
