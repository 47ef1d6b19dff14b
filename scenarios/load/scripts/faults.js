// The seed's gate (seed.js, imported unchanged: its options, thresholds and iteration) with
// 10% of Mimo's backend calls failing: the harness's profile ten_percent (harness/faults,
// the one the Go scenarios put on with Env.Faults), where Toxiproxy resets one connection
// to Postgres in ten and the stand-in fails one model call in ten. It goes on in setup()
// and comes off in teardown(), through k6/x/mimo's fault control, so the script runs as it
// is inside the harness (which sets MIMO_TOXIPROXY_URL and MIMO_STANDIN_URL) or against any
// environment that sets them.
import seed, { options as seedOptions } from './seed.js';
import mimo from 'k6/x/mimo';

export const options = seedOptions;

const faults = new mimo.Faults();
const profile = 'ten_percent';

export function setup() {
  faults.applyProfile(profile);
}

export default function () {
  seed();
}

export function teardown() {
  faults.removeProfile(profile);
}
