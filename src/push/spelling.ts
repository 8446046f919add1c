// Sends every EVSE under the spelling Hubject acknowledged its data in (WireSpelling in oicp/ids.ts), for the data
// lane's requests; the status gate does the same for statuses.
import { WireSpelling } from '../oicp/ids';

/** The parts of a DataRequest this touches: an EvseID and the record's JSON text per record. */
interface Respellable {
  EvseIDs: string[];
  texts: string[];
}

/**
 * Rewrites, in place, the EvseID (list and record text) of each record whose EVSE Hubject acknowledged under another
 * spelling. Returns the warnings for EVSEs re-spelled for the first time.
 */
export function respellRequests(requests: readonly Respellable[], acknowledgedId: (evseId: string) => string | undefined, spelling: WireSpelling): string[] {
  const warnings: string[] = [];
  for (const r of requests) {
    for (let i = 0; i < r.EvseIDs.length; i++) {
      const id = r.EvseIDs[i]!;
      const out = spelling.apply(id, acknowledgedId(id));
      if (out.id === id) continue;
      if (out.warning) warnings.push(out.warning);
      r.EvseIDs[i] = out.id;
      const record = JSON.parse(r.texts[i]!) as { EvseID?: string };
      record.EvseID = out.id;
      r.texts[i] = JSON.stringify(record);
    }
  }
  return warnings;
}
