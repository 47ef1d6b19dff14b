// The seed's gate (seed.js, imported unchanged: its options, thresholds and iteration) with
// 10% of Mimo's backend calls failing: Toxiproxy resets one connection to Postgres in ten,
// and the stand-in fails one LLM call in ten. The faults go on in setup() and come off in
// teardown(), through k6/x/mimo's fault control, so the script runs as it is inside the
// harness (which sets MIMO_TOXIPROXY_URL and MIMO_STANDIN_URL) or against any environment
// that sets them.
import seed, { options as seedOptions } from './seed.js';
import mimo from 'k6/x/mimo';

export const options = seedOptions;

const faults = new mimo.Faults();
const toxic = 'postgres_reset_one_in_ten';

export function setup() {
  faults.addToxic('postgres', { type: 'reset_peer', name: toxic, toxicity: 0.1, attributes: { timeout: 0 } });
  faults.standinFail({ rate: 0.1, routes: ['/v1/chat/completions'] });
}

export default function () {
  seed();
}

export function teardown() {
  faults.removeToxic('postgres', toxic);
  faults.standinClear();
}
